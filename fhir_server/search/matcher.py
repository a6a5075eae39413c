"""In-memory evaluation of a `SearchRequest` against one resource's index rows: the memory backend's
engine and the oracle every other backend is tested against, so it favours plain, obvious rules.

- string: the folded query is a prefix of a folded value; `:exact` compares the value as written;
  `:contains` is a folded substring.
- token: `code` any system, `system|code`, `|code` (no system), `system|`; `:in` = `system|code` of a
  member of the ValueSet's expansion (a member without a system as `|code`); `:not` (and `:not-in`, which
  is `:not` of an `:in` value) = no value matches;
  `:text` = folded prefix of Coding.display / CodeableConcept.text / Identifier.type.text (the query
  text comes as a StringQuery from `search.parse`; a TokenQuery's code is accepted too).
- reference: `Type/id`, bare `id` (any type), `:Type`, absolute URL or canonical (`url|version` exact,
  `url` any version); `:identifier` = Reference.identifier as a token.
- date: ranges [low, high) on both sides, prefixes as FHIR search §3.1.1.4.2 defines them (eq: the query
  range contains the value's range; gt/lt: the value's range reaches beyond/before the query range;
  ge/le: gt/lt or eq; sa/eb: starts after / ends before; ap: the ranges overlap — `search.parse` has
  already widened an `ap` query range, so every backend applies the same plain rule).
- number/quantity: the stored value as a point against the query's range: eq/ap = inside [low, high)
  (`100` is [99.5, 100.5); for ap the parser widened it to ±10%), ne = outside, gt/sa, lt/eb, ge, le
  compare with the exact query value; quantity units compare system+code, or code-or-unit when no
  system is given; a UCUM query whose code `search.ucum` converts compares canonical values in the
  same canonical unit instead (`gt5.4|http://unitsofmeasure.org|mg` finds 5500 ug and 0.0055 g).
- uri: equality, `:below` (prefix of the stored uri), `:above` (the stored uri is a prefix of the query).
- composite: one stored combination (one element's component values, `search.composite`) matches
  every part of the query, each part by the rules of its own type above.
- `:missing=true|false`: whether the resource has any row for the parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fhir_server.search.index import (
    CompositeValue,
    DateValue,
    IndexValues,
    NumberValue,
    QuantityValue,
    ReferenceValue,
    StringValue,
    TokenValue,
    UriValue,
)
from fhir_server.search.request import (
    CompositeQuery,
    Criterion,
    DateQuery,
    NumberQuery,
    QuantityQuery,
    ReferenceQuery,
    SearchRequest,
    StringQuery,
    TokenQuery,
    UriQuery,
    ValueSetQuery,
)

_ROW_LISTS = {
    "string": "strings",
    "token": "tokens",
    "date": "dates",
    "reference": "references",
    "number": "numbers",
    "quantity": "quantities",
    "uri": "uris",
    "composite": "composites",
}


def matches(request: SearchRequest, resource_id: str, last_updated: int, index: IndexValues) -> bool:
    """Whether a resource (id, meta.lastUpdated in µs UTC, index rows) satisfies every criterion and one
    criterion of each group of `alternatives`."""
    return all(_criterion(c, resource_id, last_updated, index) for c in request.criteria) and all(
        any(_criterion(c, resource_id, last_updated, index) for c in group) for group in request.alternatives
    )


def _rows(criterion: Criterion, index: IndexValues) -> list[Any]:
    if criterion.modifier == "identifier":
        return [row for row in index.tokens if row.param == criterion.param]
    name = _ROW_LISTS.get(criterion.type)
    return [row for row in getattr(index, name) if row.param == criterion.param] if name else []


def _criterion(criterion: Criterion, resource_id: str, last_updated: int, index: IndexValues) -> bool:
    if criterion.param == "_id":
        return any(isinstance(q, TokenQuery) and q.code == resource_id for q in criterion.values)
    if criterion.param == "_lastUpdated":
        stamp = DateValue("_lastUpdated", last_updated, last_updated + 1)
        return any(isinstance(q, DateQuery) and date_matches(q, stamp) for q in criterion.values)
    rows = _rows(criterion, index)
    if criterion.missing is not None:
        return (not rows) == criterion.missing
    found = any(_value(criterion.modifier, q, row) for q in criterion.values for row in rows)
    return not found if criterion.modifier == "not" else found


def _value(modifier: str | None, query: Any, row: Any) -> bool:
    if isinstance(query, CompositeQuery):
        return isinstance(row, CompositeValue) and composite_matches(query, row)
    if isinstance(row, TokenValue) and modifier == "text":
        text = query.text if isinstance(query, StringQuery) else getattr(query, "code", None)
        return row.display is not None and text is not None and row.display.startswith(text)
    if isinstance(query, StringQuery):
        return isinstance(row, StringValue) and string_matches(modifier, query, row)
    if isinstance(query, TokenQuery):
        return isinstance(row, TokenValue) and token_matches(query, row)
    if isinstance(query, ValueSetQuery):
        return (
            isinstance(row, TokenValue)
            and row.code is not None
            and query.codes.contains(row.system, row.code)
        )
    if isinstance(query, DateQuery):
        return isinstance(row, DateValue) and date_matches(query, row)
    if isinstance(query, ReferenceQuery):
        return isinstance(row, ReferenceValue) and reference_matches(query, row, modifier)
    if isinstance(query, QuantityQuery):
        return isinstance(row, QuantityValue) and quantity_matches(query, row)
    if isinstance(query, NumberQuery):
        return isinstance(row, NumberValue) and number_matches(
            query.prefix, query.value, query.low, query.high, row.value
        )
    if isinstance(query, UriQuery):
        return isinstance(row, UriValue) and uri_matches(modifier, query, row)
    return False


def composite_matches(query: CompositeQuery, row: CompositeValue) -> bool:
    """Every part against the same combination, part by part (components take no modifiers)."""
    return len(query.parts) == len(row.parts) and all(
        _value(None, part, value) for part, value in zip(query.parts, row.parts, strict=True)
    )


def string_matches(modifier: str | None, query: StringQuery, row: StringValue) -> bool:
    if modifier == "exact":
        return row.exact == query.text
    if modifier == "contains":
        return query.text in row.normalized
    return row.normalized.startswith(query.text)


def token_matches(query: TokenQuery, row: TokenValue) -> bool:
    if query.code is not None and row.code != query.code:
        return False
    if query.system is None:
        return True
    if query.system == "":
        return row.system is None
    return row.system == query.system


def reference_matches(query: ReferenceQuery, row: ReferenceValue, modifier: str | None = None) -> bool:
    """By id (and type, from the value or a `:Type` modifier), or by the URL as written."""
    if query.url is not None and (
        row.url == query.url or ("|" not in query.url and row.url.partition("|")[0] == query.url)
    ):
        return True
    if query.target_id is None or row.target_id != query.target_id:
        return False
    wanted = query.target_type or (modifier if modifier and modifier[:1].isupper() else None)
    return wanted is None or row.target_type == wanted


def date_matches(query: DateQuery, row: DateValue) -> bool:
    ql, qh, tl, th = query.low, query.high, row.low, row.high
    contained = ql <= tl and th <= qh
    match query.prefix:
        case "eq":
            return contained
        case "ne":
            return not contained
        case "gt":
            return th > qh
        case "lt":
            return tl < ql
        case "ge":
            return th > qh or contained
        case "le":
            return tl < ql or contained
        case "sa":
            return tl >= qh
        case "eb":
            return th <= ql
        case _:  # ap: the parser widened the query range
            return tl < qh and th > ql


def number_matches(prefix: str, value: float, low: float, high: float, stored: float) -> bool:
    match prefix:
        case "eq" | "ap":  # for ap the parser widened [low, high) to ±10%
            return low <= stored < high
        case "ne":
            return not low <= stored < high
        case "gt" | "sa":
            return stored > value
        case "lt" | "eb":
            return stored < value
        case "ge":
            return stored >= value
        case _:  # le
            return stored <= value


def quantity_matches(query: QuantityQuery, row: QuantityValue) -> bool:
    canonical = query.canonical
    if canonical is not None:  # UCUM: the same canonical unit, and the values in it
        if row.canonical_code != canonical.code or row.canonical_value is None:
            return False
        return number_matches(
            query.prefix, canonical.value, canonical.low, canonical.high, row.canonical_value
        )
    if query.system is not None and row.system != query.system:
        return False
    if (
        query.code is not None
        and row.code != query.code
        and (query.system is not None or row.unit != query.code)
    ):
        return False
    return number_matches(query.prefix, query.value, query.low, query.high, row.value)


def uri_matches(modifier: str | None, query: UriQuery, row: UriValue) -> bool:
    if modifier == "below":
        return row.uri.startswith(query.uri)
    if modifier == "above":
        return query.uri.startswith(row.uri)
    return row.uri == query.uri


def matching_ids(request: SearchRequest, candidates: Sequence[tuple[str, int, IndexValues]]) -> list[str]:
    """Ids of the candidates (id, last_updated, index) that match, in the given order; handy for tests."""
    return [rid for rid, stamp, index in candidates if matches(request, rid, stamp, index)]
