"""Compartment membership (FHIR R4 §3.1.1.3 search, CompartmentDefinition): which resources of a type
belong to e.g. `Patient/123`. Used by compartment search (`GET Patient/123/Immunization`) and, later, by
SMART `patient/` scopes, which must narrow every search the same way.

A resource is in the compartment when ANY of the compartment's parameters for its type refers to the
compartment's focal resource: with one parameter (most types, e.g. Immunization: `patient`) that is one
more criterion; with several (Observation: `subject`, `performer`) one group of
`SearchRequest.alternatives`, which every backend answers in one query, sorting and paging included.
"""

from __future__ import annotations

from dataclasses import replace

from fhir_server.definitions.registry import CompartmentRegistry, SearchParamRegistry
from fhir_server.model.outcome import FhirError
from fhir_server.search.request import Criterion, ReferenceQuery, SearchRequest, TokenQuery

FOCAL = "{def}"  # a CompartmentDefinition's name for the focal resource itself (e.g. Encounter in Encounter)


class Compartments:
    def __init__(self, registry: CompartmentRegistry, search_params: SearchParamRegistry) -> None:
        self._registry = registry
        self._search_params = search_params

    def membership(
        self, compartment_type: str, compartment_id: str, resource_type: str
    ) -> tuple[Criterion, ...]:
        """The alternative criteria (ORed) putting a `resource_type` in `compartment_type/compartment_id`."""
        if compartment_type not in self._registry.by_compartment:
            raise FhirError.of(
                404,
                "not-supported",
                f"{compartment_type} is not a compartment type",
                f"{compartment_type} không phải là một loại ngăn (compartment)",
            )
        params = self._registry.params(compartment_type, resource_type)
        if not params:
            raise FhirError.of(
                400,
                "not-supported",
                f"{resource_type} is not in the {compartment_type} compartment",
                f"{resource_type} không thuộc ngăn (compartment) {compartment_type}",
            )
        return tuple(
            _criterion(self._stored_code(resource_type, param), compartment_type, compartment_id)
            for param in params
        )

    def params(self, compartment_type: str, resource_type: str) -> tuple[str, ...]:
        """The codes of the parameters putting `resource_type` in the compartment; () when none do."""
        return self._registry.params(compartment_type, resource_type)

    def _stored_code(self, resource_type: str, param: str) -> str:
        """The code the parameter's rows are stored under (shared expressions are stored once)."""
        definition = self._search_params.get(resource_type, param)
        return (definition.index_code or param) if definition else param

    def narrow(self, request: SearchRequest, compartment_type: str, compartment_id: str) -> SearchRequest:
        """`request` restricted to the compartment; sort, count and offset are kept."""
        alternatives = self.membership(compartment_type, compartment_id, request.resource_type)
        if len(alternatives) == 1:
            return replace(request, criteria=(*request.criteria, alternatives[0]))
        return replace(request, alternatives=(*request.alternatives, alternatives))


def _criterion(param: str, compartment_type: str, compartment_id: str) -> Criterion:
    if param == FOCAL:
        return Criterion("_id", "token", None, (TokenQuery(None, compartment_id),))
    return Criterion(param, "reference", None, (ReferenceQuery(compartment_type, compartment_id, None),))
