"""Composite search parameters (FHIR search §3.1.1.4.x "composite"): extraction and matching.

A composite (`Observation?code-value-quantity=http://loinc.org|8480-6$gt100`) names an element
(`Observation`, `Observation.component`, `DocumentReference.relatesTo`) and components evaluated on each
such element, each with the type of its own SearchParameter. A resource matches when ONE element has
values matching every component: a blood pressure's systolic code must go with the systolic value, not
with the diastolic one. So the index keeps, per element, every combination of its component values
(`CompositeValue`), at most MAX_COMBINATIONS per element, and a query matches one combination part by
part with the matcher of each part's type.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from itertools import islice, product
from typing import Any, Final

from fhir_server.definitions.registry import ParamType, SearchParamDef
from fhir_server.definitions.search_parameters import split_top_level
from fhir_server.search.convert import CONVERTERS, Rows
from fhir_server.search.expressions import Evaluate, compile_expression
from fhir_server.search.index import ComponentValue, CompositeValue

MAX_COMBINATIONS: Final = 64  # per element: codings x values; real data has a handful
# The row list of `Rows` that holds each component type's values.
_ROW_LISTS: Final[dict[str, str]] = {
    "string": "strings",
    "token": "tokens",
    "date": "dates",
    "reference": "references",
    "number": "numbers",
    "quantity": "quantities",
    "uri": "uris",
}


@dataclass(slots=True)
class CompositePlan:
    """One composite parameter of one resource type, its component evaluators compiled per element
    type on first use (the elements of `Observation | Observation.component` have two types)."""

    codes: tuple[str, ...]
    resource_type: str
    elements: tuple[Evaluate | None, ...]  # None: the resource itself
    components: tuple[tuple[str, ParamType], ...]  # (expression relative to the element, type)
    _compiled: dict[str, tuple[Evaluate, ...]] = field(default_factory=dict)

    def _evaluators(self, element_type: str) -> tuple[Evaluate, ...]:
        found = self._compiled.get(element_type)
        if found is None:
            found = tuple(compile_expression(expr, element_type)[0] for expr, _ in self.components)
            self._compiled[element_type] = found
        return found

    def extract(
        self, resource: dict[str, Any], tz: tzinfo, known_types: frozenset[str]
    ) -> list[CompositeValue]:
        found: list[CompositeValue] = []
        for element, element_type in self._elements(resource):
            evaluators = self._evaluators(element_type)
            parts: list[list[ComponentValue]] = []
            for (_, kind), evaluate in zip(self.components, evaluators, strict=True):
                parts.append(_component_values(kind, evaluate(element), tz, known_types))
                if not parts[-1]:
                    break  # an element without one of the components has no combination
            else:
                for combination in islice(product(*parts), MAX_COMBINATIONS):
                    found += [CompositeValue(code, tuple(combination)) for code in self.codes]
        return found

    def _elements(self, resource: dict[str, Any]) -> list[tuple[Any, str]]:
        elements: list[tuple[Any, str]] = []
        for evaluate in self.elements:
            if evaluate is None:
                elements.append((resource, self.resource_type))
                continue
            elements += [
                (value, kind) for value, kind in evaluate(resource) if kind and isinstance(value, dict)
            ]
        return elements


def compile_composite(definition: SearchParamDef, codes: tuple[str, ...]) -> CompositePlan | None:
    """None when the composite cannot be indexed: a component of an unknown or non-value type, or an
    element expression beyond plain paths (none of the official R4 composites)."""
    types = definition.component_types
    if (
        not definition.expression
        or not definition.components
        or len(types) != len(definition.components)
        or any(t not in _ROW_LISTS for t in types)
    ):
        return None
    elements: list[Evaluate | None] = []
    for part in split_top_level(definition.expression, "|"):
        if part == definition.resource_type:
            elements.append(None)
            continue
        evaluate, fast = compile_expression(part, definition.resource_type)
        if not fast:
            return None  # FHIRPath results carry no type: the components could not be compiled
        elements.append(evaluate)
    components = tuple((expr, kind) for (_, expr), kind in zip(definition.components, types, strict=True))
    return CompositePlan(codes, definition.resource_type, tuple(elements), components)


def _component_values(
    kind: ParamType, found: Sequence[tuple[Any, str | None]], tz: tzinfo, known_types: frozenset[str]
) -> list[ComponentValue]:
    rows = Rows(tz, known_types)
    for value, value_kind in found:
        try:
            CONVERTERS[kind](rows, ("",), value, value_kind)
        except Exception:  # as in Extractor.extract: one value that fails to convert is left out
            continue
    values: list[ComponentValue] = [v for v in getattr(rows, _ROW_LISTS[kind]) if v.param == ""]
    if kind == "token":  # the text-only rows of a CodeableConcept carry no code to compare
        values = [v for v in values if getattr(v, "code", None) is not None]
    return list(dict.fromkeys(values))
