"""The CapabilityStatement, generated from what is really wired (the conformance issue fills it in)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from fhir_server.definitions.registry import Definitions
from fhir_server.model.bundle import instant
from fhir_server.types import JsonResource

SOFTWARE_NAME = "VN Immunization Registry FHIR Server"
SOFTWARE_VERSION = "0.1.0"

_TYPE_INTERACTIONS = (
    "read",
    "vread",
    "update",
    "patch",
    "delete",
    "history-instance",
    "history-type",
    "create",
    "search-type",
)
_BULK = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition"
# Bulk Data $export (fhir_server.bulk): system level, and type level on Patient and Group.
_TYPE_OPERATIONS = {
    "Patient": {"name": "export", "definition": f"{_BULK}/patient-export"},
    "Group": {"name": "export", "definition": f"{_BULK}/group-export"},
}
# Index kinds a write stores today; composite parameters are not indexed yet.
_INDEXED_TYPES = frozenset({"string", "token", "date", "reference", "number", "quantity", "uri"})


class CapabilityService:
    def __init__(
        self, definitions: Definitions, started: datetime, operations: Sequence[tuple[str, str]] = ()
    ) -> None:
        self._definitions = definitions
        self._date = instant(started)
        self._operations = operations  # (code, OperationDefinition url) of the operations wired

    def statement(self, base_url: str, oauth: Mapping[str, str] | None = None) -> JsonResource:
        """`oauth`: the authorization server's endpoints (authorize, token, ...) for `rest.security`."""
        rest: JsonResource = {
            "mode": "server",
            "resource": [self._resource(rt) for rt in sorted(self._definitions.resource_types)],
            "interaction": [{"code": "history-system"}, {"code": "search-system"}],
            "operation": [
                {"name": "export", "definition": f"{_BULK}/export"},
                *({"name": code, "definition": url} for code, url in self._operations),
            ],
            "compartment": [
                f"http://hl7.org/fhir/CompartmentDefinition/{name.lower()}"
                for name in sorted(self._definitions.compartments.by_compartment)
            ],
        }
        if oauth:
            rest = {
                "mode": "server",
                "security": _security(oauth),
                **{k: v for k, v in rest.items() if k != "mode"},
            }
        return {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": self._date,
            "publisher": "Vietnam national immunization registry (open source)",
            "kind": "instance",
            "software": {"name": SOFTWARE_NAME, "version": SOFTWARE_VERSION},
            "implementation": {"description": "Lifelong immunization record server", "url": base_url},
            "fhirVersion": self._definitions.fhir_version,
            "format": ["application/fhir+json", "json"],
            "patchFormat": ["application/json-patch+json"],
            "rest": [rest],
        }

    def _resource(self, resource_type: str) -> JsonResource:
        params = self._definitions.search_params.for_type(resource_type)
        search_params = [
            {"name": code, "definition": p.url, "type": p.type}
            for code, p in sorted(params.items())
            if p.type in _INDEXED_TYPES
        ]
        entry: JsonResource = {
            "type": resource_type,
            "interaction": [{"code": code} for code in _TYPE_INTERACTIONS],
            "versioning": "versioned-update",
            "readHistory": True,
            "updateCreate": True,
            "conditionalCreate": True,
            "conditionalUpdate": True,
            "conditionalDelete": "single",
        }
        if search_params:
            entry["searchParam"] = search_params
        if resource_type in _TYPE_OPERATIONS:
            entry["operation"] = [_TYPE_OPERATIONS[resource_type]]
        return entry


def _security(oauth: Mapping[str, str]) -> JsonResource:
    """SMART App Launch's `rest.security`: the service code and the oauth-uris extension."""
    return {
        "extension": [
            {
                "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                "extension": [{"url": name, "valueUri": uri} for name, uri in oauth.items()],
            }
        ],
        "service": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                        "code": "SMART-on-FHIR",
                    }
                ],
                "text": "OAuth2 using SMART-on-FHIR profile (see http://docs.smarthealthit.org)",
            }
        ],
        "description": "SMART on FHIR: every interaction needs a bearer token; scopes are enforced "
        "(patient/ scopes confine to the launch patient's compartment)",
    }
