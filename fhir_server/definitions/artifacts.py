"""The national conformance artifacts, frozen: profiles, terminology, OperationDefinitions, SearchParameters.

Built once by `definitions.loader.load_artifacts`; served read-only (services/artifacts.py) and used by
validation (model/profile_checker.py) and the terminology operations."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from fhir_server.definitions.operations import OperationDefinition, operation_definition
from fhir_server.definitions.profiles import Profile
from fhir_server.definitions.terminology import Terminology
from fhir_server.types import JsonResource

ARTIFACT_TYPES = (
    "StructureDefinition",
    "CodeSystem",
    "ValueSet",
    "ConceptMap",
    "NamingSystem",
    "OperationDefinition",
    "SearchParameter",
    "ImplementationGuide",
)


class ArtifactError(Exception):
    """A broken file under profiles/, terminology/ or conformance/: start-up stops with its name."""


@dataclass(frozen=True, slots=True)
class Artifacts:
    profiles: Mapping[str, Profile]  # by canonical url
    terminology: Terminology
    # by id ("Resource-validate", "coverage", "Patient-export", ...): the id is the url's last segment
    operation_definitions: Mapping[str, JsonResource]
    implementation_guide: JsonResource
    # the national SearchParameters (conformance/search-parameters/) by id; the search registry has them too
    search_parameters: Mapping[str, JsonResource] = field(default_factory=lambda: MappingProxyType({}))

    def operation(self, id: str) -> OperationDefinition:
        """The typed view of one OperationDefinition (KeyError for an unknown id: a wiring error)."""
        return operation_definition(self.operation_definitions[id])

    def system_operations(self) -> Mapping[str, JsonResource]:
        """The system-level OperationDefinitions by code ("coverage", "immds-forecast", ...)."""
        return {od["code"]: od for od in self.operation_definitions.values() if od.get("system")}

    def profile_for_type(self, resource_type: str) -> Profile | None:
        """The national profile of a resource type (one per type)."""
        return next((p for p in self.profiles.values() if p.type == resource_type), None)

    def extensions(self) -> Mapping[str, Profile]:
        return {url: p for url, p in self.profiles.items() if p.type == "Extension"}

    def resources(self) -> Iterator[JsonResource]:
        yield from (p.resource for p in self.profiles.values())
        yield from self.terminology.resources()
        yield from self.operation_definitions.values()
        yield from self.search_parameters.values()
        yield self.implementation_guide
