"""The CapabilityStatement, generated from what is really wired (the conformance issue fills it in)."""

from __future__ import annotations

from collections.abc import Sequence
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
# Index kinds a write stores today; composite parameters are not indexed yet.
_INDEXED_TYPES = frozenset({"string", "token", "date", "reference", "number", "quantity", "uri"})


class CapabilityService:
    def __init__(
        self, definitions: Definitions, started: datetime, operations: Sequence[tuple[str, str]] = ()
    ) -> None:
        self._definitions = definitions
        self._date = instant(started)
        self._operations = operations  # (code, OperationDefinition url) of the operations wired

    def statement(self, base_url: str) -> JsonResource:
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
            "rest": [
                {
                    "mode": "server",
                    "resource": [self._resource(rt) for rt in sorted(self._definitions.resource_types)],
                    "interaction": [{"code": "history-system"}, {"code": "search-system"}],
                    "operation": [{"name": code, "definition": url} for code, url in self._operations],
                    "compartment": [
                        f"http://hl7.org/fhir/CompartmentDefinition/{name.lower()}"
                        for name in sorted(self._definitions.compartments.by_compartment)
                    ],
                }
            ],
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
        return entry
