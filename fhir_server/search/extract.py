"""Index extraction: one resource -> its `IndexValues`, computed once per write (DESIGN.md §4, §6).

Every SearchParameter of the resource's type is compiled once, at construction, into an evaluator
(`search.expressions`: a direct walk over the JSON for the common path shapes, fhirpathpy for the rest) and a
converter for its parameter type (`search.convert`). Not indexed here:
- `_id` and `_lastUpdated`: the store owns the id and assigns `meta.lastUpdated` after extraction, so
  backends answer them from their own columns;
- parameters that are not values of the resource: `_text`, `_content`, `_list`, `_query`, `_has`,
  `_filter`, and the `special` type (`Location.near`);
- `composite` parameters (`code-value-quantity`, ...): left for the search issue, which will index the
  components together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

from fhir_server.definitions.registry import SearchParamRegistry
from fhir_server.search.convert import CONVERTERS, Converter, Rows
from fhir_server.search.expressions import Evaluate, compile_expression
from fhir_server.search.index import IndexValues
from fhir_server.types import JsonResource

NOT_INDEXED = frozenset({"_id", "_lastUpdated", "_text", "_content", "_list", "_query", "_has", "_filter"})


@dataclass(frozen=True, slots=True)
class _Plan:
    codes: tuple[str, ...]  # parameters with the same expression and type are evaluated once
    evaluate: Evaluate
    convert: Converter
    fast: bool  # compiled to a direct walk; False: evaluated by fhirpathpy


class Extractor:
    """Computes the index rows of resources; immutable and thread-safe once built."""

    def __init__(self, registry: SearchParamRegistry, default_tz: tzinfo) -> None:
        self._tz = default_tz
        self._known_types = frozenset(registry.by_type)
        plans: dict[str, tuple[_Plan, ...]] = {}
        for resource_type, params in registry.by_type.items():
            shared: dict[tuple[str, str], list[str]] = {}
            for code, definition in sorted(params.items()):
                if definition.index_code not in ("", code):
                    continue  # another parameter with the same expression stores these rows
                if definition.type in CONVERTERS and code not in NOT_INDEXED and definition.expression:
                    shared.setdefault((definition.expression, definition.type), []).append(code)
            compiled: list[_Plan] = []
            for (expression, param_type), codes in shared.items():
                evaluate, fast = compile_expression(expression, resource_type)
                compiled.append(_Plan(tuple(codes), evaluate, CONVERTERS[param_type], fast))
            plans[resource_type] = tuple(compiled)
        self._plans = plans

    def slow_parameters(self) -> list[tuple[str, str]]:
        """(type, code) of the parameters evaluated by fhirpathpy rather than the fast path."""
        return [
            (rt, code) for rt, plans in self._plans.items() for p in plans if not p.fast for code in p.codes
        ]

    def extract(self, resource: JsonResource) -> IndexValues:
        rows = Rows(self._tz, self._known_types)
        for plan in self._plans.get(resource.get("resourceType", ""), ()):
            if plan.fast:
                found = plan.evaluate(resource)
            else:
                try:
                    found = plan.evaluate(resource)
                except Exception:  # a FHIRPath engine error must not refuse a write that validation accepted
                    continue
            for value, kind in found:
                plan.convert(rows, plan.codes, value, kind)
        return IndexValues(
            strings=tuple(dict.fromkeys(rows.strings)),
            tokens=tuple(dict.fromkeys(rows.tokens)),
            dates=tuple(dict.fromkeys(rows.dates)),
            references=tuple(dict.fromkeys(rows.references)),
            numbers=tuple(dict.fromkeys(rows.numbers)),
            quantities=tuple(dict.fromkeys(rows.quantities)),
            uris=tuple(dict.fromkeys(rows.uris)),
        )
