"""The CapabilityStatement, generated from what is really wired: the resource types the validator and
store accept, the interactions the routers answer, every search parameter the parser understands (with
its type), `_include`/`_revinclude` values from the reference parameters, the $operations with their
OperationDefinitions (app.py passes what it routes), the national profiles and, when the SMART authorization
server is wired, `rest.security`. tests/api/test_capabilities_truth.py exercises it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from fhir_server.definitions.artifacts import ARTIFACT_TYPES, Artifacts
from fhir_server.definitions.registry import Definitions, SearchParamDef
from fhir_server.model.bundle import instant
from fhir_server.search.parse import NOT_SUPPORTED, SUPPORTED_TYPES
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
# Searches every type answers besides its own parameters (search/parse.py handles them itself).
_COMMON = (("_id", "token"), ("_lastUpdated", "date"))
_ARTIFACT_PARAMS = (
    ("_id", "token"),
    ("url", "uri"),
    ("name", "string"),
    ("status", "token"),
    ("version", "token"),
)

# Artifact types whose `code` the read-only provider (services/artifacts.py) searches.
_CODED_ARTIFACTS = frozenset({"OperationDefinition", "SearchParameter"})


@dataclass(frozen=True, slots=True)
class OperationEntry:
    """One $operation as routed: its code, the types it is on ("" = system level), its definition."""

    code: str
    resource_types: tuple[str, ...]
    definition: str


def searchable(p: SearchParamDef) -> bool:
    """The parser answers it (the same test as services/search_coverage.py)."""
    if p.code in NOT_SUPPORTED or p.type not in SUPPORTED_TYPES:
        return False
    return not (p.type == "composite" and not p.component_types)


class CapabilityService:
    def __init__(
        self,
        definitions: Definitions,
        started: datetime,
        artifacts: Artifacts | None = None,
        operations: Sequence[OperationEntry] = (),
        enforced: frozenset[str] = frozenset(),
    ) -> None:
        self._definitions = definitions
        self._date = instant(started)
        self._artifacts = artifacts
        self._operations = tuple(operations)
        self._enforced = enforced
        self._revincludes = self._reverse_references()

    def statement(self, base_url: str, oauth: Mapping[str, str] | None = None) -> JsonResource:
        """`oauth`: the authorization server's endpoints (authorize, token, ...) for `rest.security`."""
        types = sorted(self._definitions.resource_types)
        system_ops = [o for o in self._operations if not o.resource_types]
        rest: JsonResource = {
            "mode": "server",
            **({"security": _security(oauth)} if oauth else {}),
            "resource": [self._resource(rt) for rt in types],
            "interaction": [
                {"code": "transaction"},
                {"code": "batch"},
                {"code": "history-system"},
                {"code": "search-system"},
            ],
            "compartment": [
                f"http://hl7.org/fhir/CompartmentDefinition/{name.lower()}"
                for name in sorted(self._definitions.compartments.by_compartment)
            ],
        }
        if system_ops:
            rest["operation"] = [{"name": o.code, "definition": o.definition} for o in system_ops]
        statement: JsonResource = {
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
        if self._artifacts is not None:
            statement["implementationGuide"] = [self._artifacts.implementation_guide["url"]]
        return statement

    def _reverse_references(self) -> Mapping[str, list[str]]:
        """target type -> `Source:param` of every reference parameter that can point at it."""
        out: dict[str, list[str]] = {}
        for rt, params in sorted(self._definitions.search_params.by_type.items()):
            for code, p in sorted(params.items()):
                if p.type == "reference" and searchable(p):
                    for target in p.targets or ():
                        out.setdefault(target, []).append(f"{rt}:{code}")
        return out

    def _resource(self, resource_type: str) -> JsonResource:
        if resource_type in ARTIFACT_TYPES and self._artifacts is not None:
            return {
                "type": resource_type,
                "interaction": [{"code": "read"}, {"code": "search-type"}],
                "searchParam": [{"name": n, "type": t} for n, t in _ARTIFACT_PARAMS]
                + ([{"name": "code", "type": "token"}] if resource_type in _CODED_ARTIFACTS else []),
                **self._operations_of(resource_type),
            }
        params = self._definitions.search_params.for_type(resource_type)
        listed = [
            {"name": code, "definition": p.url, "type": p.type}
            for code, p in sorted(params.items())
            if searchable(p) and code not in dict(_COMMON)
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
            "searchParam": [{"name": n, "type": t} for n, t in _COMMON] + listed,
        }
        includes = [
            f"{resource_type}:{code}"
            for code, p in sorted(params.items())
            if p.type == "reference" and searchable(p)
        ]
        if includes:
            entry["searchInclude"] = ["*", *includes]
        if self._revincludes.get(resource_type):
            entry["searchRevInclude"] = self._revincludes[resource_type]
        profile = self._artifacts.profile_for_type(resource_type) if self._artifacts else None
        if profile is not None:
            entry["supportedProfile"] = [profile.url]
            if resource_type in self._enforced:
                entry["profile"] = profile.url
        entry.update(self._operations_of(resource_type))
        return entry

    def _operations_of(self, resource_type: str) -> JsonResource:
        ops = [
            {"name": o.code, "definition": o.definition}
            for o in self._operations
            if resource_type in o.resource_types or "Resource" in o.resource_types
        ]
        return {"operation": ops} if ops else {}


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
