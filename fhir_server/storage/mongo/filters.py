"""One query value of one parameter type as the condition on one `_idx` row (an `$elemMatch` body).

The semantics are those of `search.matcher`, the in-memory oracle, and of the SQLite predicates; values
are passed as BSON values, never pasted into a query text. Prefix matches are ranges `[p, p + MAX)`, which
a MongoDB index answers with tight bounds (an anchored regex would too, but a range needs no escaping).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final, TypeVar

from fhir_server.model.outcome import FhirError
from fhir_server.search.normalize import fold
from fhir_server.search.request import (
    DateQuery,
    NumberQuery,
    Prefix,
    QuantityQuery,
    QueryValue,
    ReferenceQuery,
    StringQuery,
    TokenQuery,
    UriQuery,
    ValueSetQuery,
)

T = TypeVar("T")
Condition = dict[str, Any]

_EXACT_HEAD: Final = 64  # shorter than the clipping of index texts (search.convert.MAX_TEXT)
# Above every code point of real text in MongoDB's binary string order.
_MAX_CHAR: Final = "\U0010ffff"
NOTHING: Final[Condition] = {"$expr": False}


def not_supported(en: str, vi: str, expression: str | None = None) -> FhirError:
    return FhirError.of(400, "not-supported", en, vi, expression)


def modifier_error(param: str, modifier: str) -> FhirError:
    return not_supported(
        f"The modifier :{modifier} is not supported for {param}",
        f"Chưa hỗ trợ bộ bổ nghĩa :{modifier} cho {param}",
        param,
    )


def _expect(value: QueryValue, kind: type[T], param: str) -> T:
    if not isinstance(value, kind):
        raise not_supported(
            f"A {type(value).__name__} value cannot be used with parameter {param}",
            f"Không dùng được giá trị kiểu {type(value).__name__} cho tham số {param}",
            param,
        )
    return value


def prefix(text: str) -> Condition:
    return {"$gte": text, "$lt": text + _MAX_CHAR}


def string_condition(value: QueryValue, modifier: str | None, param: str) -> Condition:
    text = _expect(value, StringQuery, param).text
    if modifier is None:
        return {"n": prefix(text)}
    if modifier == "exact":
        # A row's `n` is the folded, clipped text of its `e` (search.convert), so it starts with the
        # query's folded head: that bound lets the one string index serve :exact too (no second index
        # over every string row, ~590 GB at national scale: docs/scaling.md).
        return {"n": prefix(fold(text)[:_EXACT_HEAD]), "e": text}
    if modifier == "contains":
        return {"n": {"$regex": re.escape(text)}}
    raise modifier_error(param, modifier)


def token_condition(value: QueryValue, modifier: str | None, param: str) -> Condition:
    """`code`, `system|code`, `|code` (no system) and `system|`; `:not` is applied by the caller."""
    if modifier == "text":
        text = value.text if isinstance(value, StringQuery) else _expect(value, TokenQuery, param).code
        return {"_never": True} if text is None else {"d": prefix(text)}
    if modifier not in (None, "not", "identifier"):
        raise modifier_error(param, modifier)
    token = _expect(value, TokenQuery, param)
    condition: Condition = {}
    if token.code is not None:
        condition["c"] = token.code
    if token.system == "":
        condition["s"] = None
    elif token.system is not None:
        condition["s"] = token.system
    return condition


def value_set_conditions(value: ValueSetQuery) -> list[Condition]:
    """`:in` (and `:not-in`, negated by the caller): one row condition per system of the expansion, its
    codes as one `$in` list (the token index on p, c, s answers it with one bound per code). The ""
    group is the members without a system: rows without one, as `|code` matches."""
    return [{"c": {"$in": list(codes)}, "s": system or None} for system, codes in value.codes.by_system]


def reference_condition(value: QueryValue, modifier: str | None, param: str) -> Condition:
    """By id, with the type from the value or a `:Type` modifier (a bare id matches any type), or by
    the reference as written: `url|version` exactly, a bare `url` any version of it."""
    if modifier is not None and not modifier[:1].isupper():
        raise modifier_error(param, modifier)
    ref = _expect(value, ReferenceQuery, param)
    alternatives: list[Condition] = []
    if ref.url is not None:
        alternatives.append({"u": ref.url})
        if "|" not in ref.url:
            alternatives.append({"u": prefix(ref.url + "|")})
            url_type, slash, url_id = ref.url.partition("/")
            # A plain `Type/id` reference is stored without its url (documents.py).
            if url_type and slash and not is_absolute(ref.url):
                alternatives.append({"ti": url_id, "tt": url_type, "u": {"$exists": False}})
    target_type = ref.target_type or modifier
    if ref.target_id is not None and target_type is None:
        alternatives.append({"ti": ref.target_id})
    elif ref.target_id is not None:
        alternatives.append({"ti": ref.target_id, "tt": target_type})
    if not alternatives:  # nothing to compare (e.g. `subject:Group=Patient/1`): matches nothing
        return {"_never": True}
    return alternatives[0] if len(alternatives) == 1 else {"$or": alternatives}


def is_absolute(url: str) -> bool:
    return "://" in url or url.startswith("urn:")


def uri_condition(value: QueryValue, modifier: str | None, param: str) -> Condition:
    """Equality; `:below`: the stored uri starts with the query; `:above`: the query starts with the
    stored uri, i.e. the stored uri is one of the query's prefixes (an `$in`, which an index answers)."""
    uri = _expect(value, UriQuery, param).uri
    if modifier is None:
        return {"u": uri}
    if modifier == "below":
        return {"u": prefix(uri)}
    if modifier == "above":
        return {"u": {"$in": [uri[:n] for n in range(1, len(uri) + 1)]}}
    raise modifier_error(param, modifier)


def range_condition(
    prefix_: Prefix, low: str, high: str, query_low: int, query_high: int, *, high_offset: int = 0
) -> Condition:
    """Stored ranges [low, high) against the query's range, by the prefix table of the FHIR search page
    (the same table as the SQLite backend and search.matcher.date_matches). `high_offset`: the stored
    high end is the field `high` + offset (meta.lastUpdated is the one-microsecond range [lu, lu + 1))."""
    hl, hh = query_low - high_offset, query_high - high_offset  # compared with the `high` field
    contains: Condition = {low: {"$gte": query_low}, high: {"$lte": hh}}
    if low == high:
        contains = {low: {"$gte": query_low, "$lte": hh}}
    table: dict[str, Condition] = {
        "eq": contains,
        "ne": {"$or": [{low: {"$lt": query_low}}, {high: {"$gt": hh}}]},
        "gt": {high: {"$gt": hh}},
        "lt": {low: {"$lt": query_low}},
        "ge": {"$or": [{high: {"$gt": hh}}, contains]},
        "le": {"$or": [{low: {"$lt": query_low}}, contains]},
        "sa": {low: {"$gte": query_high}},
        "eb": {high: {"$lte": hl}},
        "ap": {"$and": [{low: {"$lt": query_high}}, {high: {"$gt": hl}}]},
    }
    return table[prefix_]


def date_condition(value: QueryValue, modifier: str | None, param: str) -> Condition:
    if modifier is not None:
        raise modifier_error(param, modifier)
    query = _expect(value, DateQuery, param)
    return range_condition(query.prefix, "lo", "hi", query.low, query.high)


def _compare(prefix_: Prefix, value: float, low: float, high: float, field: str = "v") -> Condition:
    """The stored value as a point: eq/ap within the query's range, gt/lt/ge/le the exact value."""
    if prefix_ in ("eq", "ap"):
        return {field: {"$gte": low, "$lt": high}}
    if prefix_ == "ne":
        return {"$or": [{field: {"$lt": low}}, {field: {"$gte": high}}]}
    operators = {"gt": "$gt", "sa": "$gt", "lt": "$lt", "eb": "$lt", "ge": "$gte", "le": "$lte"}
    return {field: {operators[prefix_]: value}}


def number_condition(value: QueryValue, modifier: str | None, param: str) -> Condition:
    if modifier is not None:
        raise modifier_error(param, modifier)
    query = _expect(value, NumberQuery, param)
    return _compare(query.prefix, float(query.value), float(query.low), float(query.high))


def quantity_condition(value: QueryValue, modifier: str | None, param: str) -> Condition:
    """`5.4|system|code` matches system and code; `5.4||code` matches the code or the unit text; with
    the UCUM system and a code that converts, the canonical unit and value (search.ucum)."""
    if modifier is not None:
        raise modifier_error(param, modifier)
    query = _expect(value, QuantityQuery, param)
    canonical = query.canonical
    if canonical is not None:
        compared = _compare(query.prefix, canonical.value, canonical.low, canonical.high, "cv")
        return {"$and": [{"cc": canonical.code}, compared]}
    parts = [_compare(query.prefix, float(query.value), float(query.low), float(query.high))]
    if query.system is not None:
        parts.append({"s": query.system})
        if query.code is not None:
            parts.append({"c": query.code})
    elif query.code is not None:
        parts.append({"$or": [{"c": query.code}, {"un": query.code}]})
    return parts[0] if len(parts) == 1 else {"$and": parts}


CONDITIONS: Final[dict[str, Callable[[QueryValue, str | None, str], Condition]]] = {
    "string": string_condition,
    "token": token_condition,
    "reference": reference_condition,
    "uri": uri_condition,
    "date": date_condition,
    "number": number_condition,
    "quantity": quantity_condition,
}
