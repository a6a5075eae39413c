"""Index extraction: one resource -> its `IndexValues`, computed once per write (DESIGN.md §4, §6).

Every SearchParameter of the resource's type is compiled once, at construction, into an evaluator
(`search.expressions`: a direct walk over the JSON for the common path shapes, fhirpathpy for the rest) and a
converter for its parameter type (`search.convert`). Not indexed here:
- `_id` and `_lastUpdated`: the store owns the id and assigns `meta.lastUpdated` after extraction, so
  backends answer them from their own columns;
- parameters that are not values of the resource: `_text`, `_content`, `_list`, `_query`, `_has`,
  `_filter`, and the `special` type (`Location.near`);
Composite parameters (`code-value-quantity`, ...) index their components together, per element
(`search.composite`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from typing import Any, Final

from fhir_server.definitions.registry import SearchParamRegistry
from fhir_server.search.composite import CompositePlan, compile_composite
from fhir_server.search.convert import CONVERTERS, Converter, Rows
from fhir_server.search.expressions import Evaluate, compile_expression
from fhir_server.search.index import CompositeValue, IndexValues
from fhir_server.types import JsonResource

# A bound on the rows (and so the index bytes) of one resource. Clinical records have a few hundred at
# most; the largest official R4 example, a ValueSet expansion, has 6,412. Beyond it a resource keeps its
# first rows, fairly shared between parameters (`_within`), rather than failing the write: the SQLite store
# refuses 2**20 rows with a ValueError, which would be a 500 for a resource that validation accepted.
MAX_ROWS: Final = 10_000
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
        composites: dict[str, tuple[CompositePlan, ...]] = {}
        for resource_type, params in registry.by_type.items():
            shared: dict[tuple[str, str], list[str]] = {}
            own: list[CompositePlan] = []
            for code, definition in sorted(params.items()):
                if definition.index_code not in ("", code):
                    continue  # another parameter with the same expression stores these rows
                if definition.type == "composite":
                    plan = compile_composite(definition, (code,))
                    own += [plan] if plan is not None else []
                elif definition.type in CONVERTERS and code not in NOT_INDEXED and definition.expression:
                    shared.setdefault((definition.expression, definition.type), []).append(code)
            if own:
                composites[resource_type] = tuple(own)
            compiled: list[_Plan] = []
            for (expression, param_type), codes in shared.items():
                evaluate, fast = compile_expression(expression, resource_type)
                compiled.append(_Plan(tuple(codes), evaluate, CONVERTERS[param_type], fast))
            plans[resource_type] = tuple(compiled)
        self._plans = plans
        self._composites = composites

    def new_rows(self) -> Rows:
        """An empty row collector with this extractor's time zone and types, for a caller that converts
        values it already knows (services.audit_index) rather than evaluating expressions."""
        return Rows(self._tz, self._known_types)

    def slow_parameters(self) -> list[tuple[str, str]]:
        """(type, code) of the parameters evaluated by fhirpathpy rather than the fast path."""
        return [
            (rt, code) for rt, plans in self._plans.items() for p in plans if not p.fast for code in p.codes
        ]

    def extract(self, resource: JsonResource) -> IndexValues:
        """The resource's rows, at most MAX_ROWS of them. Indexing never refuses a write that validation
        accepted: a parameter whose expression fails, or a single value that fails to convert, is left
        out of the index (a gap in search results is better than a refused record)."""
        rows = Rows(self._tz, self._known_types)
        for plan in self._plans.get(resource.get("resourceType", ""), ()):
            try:
                found = plan.evaluate(resource)
            except Exception:  # FHIRPath engine or walker error on an unforeseen shape
                continue
            for value, kind in found:
                try:
                    plan.convert(rows, plan.codes, value, kind)
                except Exception:  # this value only: its siblings are still indexed
                    continue
        composites: list[CompositeValue] = []
        for composite in self._composites.get(resource.get("resourceType", ""), ()):
            try:
                composites += composite.extract(resource, self._tz, self._known_types)
            except Exception:  # as above: a gap in the index, never a refused write
                continue
        collected = (rows.strings, rows.tokens, rows.dates, rows.references, rows.numbers, rows.quantities)
        kinds: list[tuple[Any, ...]] = [
            tuple(dict.fromkeys(kind)) for kind in (*collected, rows.uris, composites)
        ]
        if sum(map(len, kinds)) > MAX_ROWS:
            kinds = _bounded(kinds)
        strings, tokens, dates, references, numbers, quantities, uris, composite_rows = kinds
        return IndexValues(strings, tokens, dates, references, numbers, quantities, uris, composite_rows)


def _bounded(kinds: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The rows of each kind, MAX_ROWS in all, shared fairly between (kind, parameter) groups."""
    groups: dict[tuple[int, str], list[Any]] = {}
    for number, kind in enumerate(kinds):
        for row in kind:
            groups.setdefault((number, row.param), []).append(row)
    kept = dict(zip(groups, _within(MAX_ROWS, list(groups.values())), strict=True))
    return [
        tuple(row for (n, _), found in kept.items() if n == number for row in found)
        for number in range(len(kinds))
    ]


def _within(budget: int, groups: list[list[Any]]) -> list[list[Any]]:
    """At most `budget` rows in all: a group within its fair share keeps every row, and the share it
    leaves unused goes to the larger groups, which lose the rows at their end (document order)."""
    limits = [0] * len(groups)
    by_size = sorted(range(len(groups)), key=lambda i: len(groups[i]))
    for done, i in enumerate(by_size):
        limits[i] = min(len(groups[i]), budget // (len(groups) - done))
        budget -= limits[i]
    return [rows[:limit] for rows, limit in zip(groups, limits, strict=True)]
