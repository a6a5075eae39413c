"""Frozen registries built once at start-up by `definitions.loader` and passed to whoever needs them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

ParamType = Literal[
    "string", "token", "date", "reference", "number", "quantity", "uri", "composite", "special"
]


@dataclass(frozen=True, slots=True)
class SearchParamDef:
    """One SearchParameter as it applies to one resource type (multi-base expressions are split)."""

    code: str  # e.g. "patient"
    resource_type: str  # the base this definition is for, e.g. "Immunization"
    type: ParamType
    expression: str | None  # FHIRPath restricted to this resource type; None for specials without one
    url: str
    targets: tuple[str, ...] = ()  # reference target types
    components: tuple[tuple[str, str], ...] = ()  # composite: (definition url, expression)
    component_types: tuple[ParamType, ...] = ()  # composite: the type of each component's definition
    index_code: str = ""  # the code its index rows are stored under (see build_search_registry); "" = code


@dataclass(frozen=True, slots=True)
class CodeSet:
    """A complete ValueSet expansion as the token modifiers `:in` / `:not-in` compare with it: the codes
    grouped by system ("" holds the members without a system, which match index rows without one).
    Built once per ValueSet at start-up, so a search carries one of these, not one value per code;
    hashable (tuples), so search requests stay plain values."""

    url: str
    # sorted by system, each group's codes sorted (SQLite builds an IN list from sorted input ~4x faster)
    by_system: tuple[tuple[str, tuple[str, ...]], ...]
    # system -> its codes, for membership tests (search.matcher)
    _lookup: Mapping[str, frozenset[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lookup = {system: frozenset(codes) for system, codes in self.by_system}
        object.__setattr__(self, "_lookup", MappingProxyType(lookup))

    @classmethod
    def of(cls, url: str, pairs: Iterable[tuple[str, str]]) -> CodeSet:
        groups: dict[str, set[str]] = {}
        for system, code in pairs:
            groups.setdefault(system, set()).add(code)
        return cls(url, tuple((system, tuple(sorted(groups[system]))) for system in sorted(groups)))

    def __len__(self) -> int:
        return sum(len(codes) for _, codes in self.by_system)

    def contains(self, system: str | None, code: str) -> bool:
        """Whether a token (system None: written without one) is a member: its system and code both."""
        if system == "":  # as `|code` in a token query: the "" group is the rows with no system only
            return False
        return code in self._lookup.get("" if system is None else system, frozenset())


@dataclass(frozen=True, slots=True)
class SearchParamRegistry:
    """SearchParameters by resource type and code."""

    by_type: Mapping[str, Mapping[str, SearchParamDef]]
    # ValueSet url -> its expansion, for the token modifiers :in / :not-in. Only complete expansions
    # (terminology/); filled by app.py from the loaded artifacts.
    value_sets: Mapping[str, CodeSet] = field(default_factory=lambda: MappingProxyType({}))

    def for_type(self, resource_type: str) -> Mapping[str, SearchParamDef]:
        return self.by_type.get(resource_type, MappingProxyType({}))

    def get(self, resource_type: str, code: str) -> SearchParamDef | None:
        return self.for_type(resource_type).get(code)


@dataclass(frozen=True, slots=True)
class ValidationDefinitions:
    """What validation layers 3-4 need (DESIGN.md §7)."""

    json_schema: Mapping[str, Any]  # the R4 fhir.schema.json (draft-07), as vendored
    required_bindings: Mapping[str, Mapping[str, frozenset[str]]]  # type -> element path -> allowed codes
    reference_targets: Mapping[str, Mapping[str, frozenset[str]]]  # type -> element path -> target types


@dataclass(frozen=True, slots=True)
class CompartmentRegistry:
    """The official R4 CompartmentDefinitions: compartment type (e.g. "Patient") -> resource type ->
    the codes of the SearchParameters that put a resource of that type in the compartment (any of them)."""

    by_compartment: Mapping[str, Mapping[str, tuple[str, ...]]]

    def params(self, compartment_type: str, resource_type: str) -> tuple[str, ...]:
        """() when `resource_type` is not in the compartment (or the compartment type is unknown)."""
        return self.by_compartment.get(compartment_type, MappingProxyType({})).get(resource_type, ())


@dataclass(frozen=True, slots=True)
class ElementFlags:
    """The top-level elements of one resource type flagged `isSummary`, and those with `min >= 1`.
    Choice elements keep their base name (`value[x]`); model.elements expands them."""

    summary: frozenset[str]
    mandatory: frozenset[str]


@dataclass(frozen=True, slots=True)
class Definitions:
    """Everything loaded from conformance/ (later also profiles/, terminology/, schedules/)."""

    fhir_version: str
    resource_types: frozenset[str]
    search_params: SearchParamRegistry
    validation: ValidationDefinitions
    compartments: CompartmentRegistry
    element_flags: Mapping[str, ElementFlags]  # resource type -> its summary and mandatory elements
