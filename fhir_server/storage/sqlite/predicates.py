"""One query value of one parameter type as a parameterised SQL predicate over its index table's columns.

Values are always bound (`?`), never pasted into the SQL text. The semantics follow the FHIR R4 search
page and must agree with `search.matcher`, the in-memory oracle the contract tests compare against.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final, TypeVar

import orjson

from fhir_server.model.outcome import FhirError
from fhir_server.search.request import (
    CompositeQuery,
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
from fhir_server.storage.sqlite.schema import COMPOSITE_SLOTS, VALUE_COLUMNS

T = TypeVar("T")
Params = tuple[object, ...]
Predicate = tuple[str, Params]

# Above every code point of real text in BINARY (UTF-8 byte) order: `x >= p AND x < p || MAX` is a
# prefix test that can use an index.
_MAX_CHAR: Final = "\U0010ffff"


def not_supported(en: str, vi: str, expression: str | None = None) -> FhirError:
    return FhirError.of(400, "not-supported", en, vi, expression)


def _expect(value: QueryValue, kind: type[T], param: str) -> T:
    if not isinstance(value, kind):
        raise not_supported(
            f"A {type(value).__name__} value cannot be used with parameter {param}",
            f"Không dùng được giá trị kiểu {type(value).__name__} cho tham số {param}",
            param,
        )
    return value


def prefix_match(column: str, text: str) -> Predicate:
    return f"({column} >= ? AND {column} < ?)", (text, text + _MAX_CHAR)


def string_predicate(value: QueryValue, modifier: str | None, param: str) -> Predicate:
    text = _expect(value, StringQuery, param).text
    if modifier is None:
        return prefix_match("normalized", text)
    if modifier == "exact":
        return "exact = ?", (text,)
    if modifier == "contains":
        return "instr(normalized, ?) > 0", (text,)
    raise _modifier(param, modifier)


def token_predicate(value: QueryValue, modifier: str | None, param: str) -> Predicate:
    """`code`, `system|code`, `|code` (no system) and `system|`; `:not` is applied by the caller."""
    if modifier == "text":  # the parser sends a StringQuery; a TokenQuery's code is accepted too
        text = value.text if isinstance(value, StringQuery) else _expect(value, TokenQuery, param).code
        return ("0", ()) if text is None else prefix_match("display", text)
    if modifier not in (None, "not", "identifier"):
        raise _modifier(param, modifier)
    token = _expect(value, TokenQuery, param)
    clauses: list[str] = []
    params: list[object] = []
    if token.code is not None:
        clauses.append("code = ?")
        params.append(token.code)
    if token.system == "":
        clauses.append("system IS NULL")
    elif token.system is not None:
        clauses.append("system = ?")
        params.append(token.system)
    return " AND ".join(clauses) or "1", tuple(params)


def value_set_predicates(value: ValueSetQuery) -> list[Predicate]:
    """`:in` (and `:not-in`, negated by the caller): one predicate per system of the expansion, the codes
    bound as ONE JSON array, so that a set of 3,321 communes is one parameter and one index seek per code
    (`code IN (SELECT value FROM json_each(?))` is planned as a list the (pid, k1, k2) index is probed
    with; the codes come sorted, which makes building that list ~4x cheaper). The "" group is the
    members without a system: rows without one, as `|code` matches."""
    predicates: list[Predicate] = []
    for system, codes in value.codes.by_system:
        members = "code IN (SELECT value FROM json_each(?))"
        codes_json = orjson.dumps(codes).decode()
        if system:
            predicates.append((f"({members} AND system = ?)", (codes_json, system)))
        else:
            predicates.append((f"({members} AND system IS NULL)", (codes_json,)))
    return predicates


def reference_predicate(value: QueryValue, modifier: str | None, param: str) -> Predicate:
    """By id, with the type from the value or a `:Type` modifier (a bare id matches any type), or by
    the URL / canonical as written: `url|version` exactly, a bare `url` any version of it. The rows are
    id rows (target_type set) and url rows (target_type NULL); a plain `Type/id` reference has only its
    id row, marked `plain` (index_rows.py), so a url of that form is looked up as an id row too."""
    if modifier is not None and not modifier[:1].isupper():
        raise _modifier(param, modifier)
    ref = _expect(value, ReferenceQuery, param)
    alternatives: list[str] = []
    params: list[object] = []
    if ref.url is not None:
        alternatives.append("(value = ? AND target_type IS NULL)")
        params.append(ref.url)
        if "|" not in ref.url:
            versioned_sql, versioned = prefix_match("value", ref.url + "|")
            alternatives.append(f"({versioned_sql} AND target_type IS NULL)")
            params += versioned
            url_type, slash, url_id = ref.url.partition("/")
            if url_type and slash:
                alternatives.append("(value = ? AND target_type = ? AND plain = 1)")
                params += [url_id, url_type]
    target_type = ref.target_type or modifier
    if ref.target_id is not None and target_type is None:
        alternatives.append("(value = ? AND target_type IS NOT NULL)")
        params.append(ref.target_id)
    elif ref.target_id is not None:
        alternatives.append("(value = ? AND target_type = ?)")
        params += [ref.target_id, target_type]
    # Nothing to compare (e.g. `subject:Group=Patient/1`, contradictory) matches nothing.
    return "(" + (" OR ".join(alternatives) or "0") + ")", tuple(params)


def uri_predicate(value: QueryValue, modifier: str | None, param: str) -> Predicate:
    """Equality; `:below`: the stored uri starts with the query; `:above`: the query starts with it."""
    uri = _expect(value, UriQuery, param).uri
    if modifier is None:
        return "uri = ?", (uri,)
    if modifier == "below":
        return prefix_match("uri", uri)
    if modifier == "above":
        return "substr(?, 1, length(uri)) = uri", (uri,)
    raise _modifier(param, modifier)


def range_predicate(prefix: Prefix, low: str, high: str, query_low: int, query_high: int) -> Predicate:
    """Date ranges, stored [low, high) against the query's own range, per the prefix table of the FHIR
    search page: eq = the query range contains the stored range; gt/lt = the stored range reaches above /
    below the query range; ge/le = gt/lt or eq; sa/eb = entirely after / before; ap = the ranges
    overlap (`search.parse` has already widened the query range of an `ap`)."""
    contains = f"({low} >= ? AND {high} <= ?)"
    table: dict[str, Predicate] = {
        "eq": (contains, (query_low, query_high)),
        "ne": (f"NOT {contains}", (query_low, query_high)),
        "gt": (f"{high} > ?", (query_high,)),
        "lt": (f"{low} < ?", (query_low,)),
        "ge": (f"({high} > ? OR {contains})", (query_high, query_low, query_high)),
        "le": (f"({low} < ? OR {contains})", (query_low, query_low, query_high)),
        "sa": (f"{low} >= ?", (query_high,)),
        "eb": (f"{high} <= ?", (query_low,)),
        "ap": (f"({low} < ? AND {high} > ?)", (query_high, query_low)),
    }
    return table[prefix]


def date_predicate(value: QueryValue, modifier: str | None, param: str) -> Predicate:
    if modifier is not None:
        raise _modifier(param, modifier)
    query = _expect(value, DateQuery, param)
    return range_predicate(query.prefix, "low", "high", query.low, query.high)


def _compare(prefix: Prefix, value: float, low: float, high: float, column: str = "value") -> Predicate:
    """Numbers: the stored value as a point. `eq` means within the implicit precision of the query value
    ("100" is [99.5, 100.5)), `ap` within the range the parser widened to ±10%; gt/lt/ge/le compare with
    the exact value (sa/eb as gt/lt)."""
    within = f"({column} >= ? AND {column} < ?)"
    if prefix in ("eq", "ap"):
        return within, (low, high)
    if prefix == "ne":
        return f"NOT {within}", (low, high)
    operators = {"gt": ">", "sa": ">", "lt": "<", "eb": "<", "ge": ">=", "le": "<="}
    return f"{column} {operators[prefix]} ?", (value,)


def number_predicate(value: QueryValue, modifier: str | None, param: str) -> Predicate:
    if modifier is not None:
        raise _modifier(param, modifier)
    query = _expect(value, NumberQuery, param)
    return _compare(query.prefix, float(query.value), float(query.low), float(query.high))


def quantity_predicate(value: QueryValue, modifier: str | None, param: str) -> Predicate:
    """`5.4|system|code` matches system and code; `5.4||code` matches the code or the unit text; with
    the UCUM system and a code that converts, the canonical unit and value (search.ucum)."""
    if modifier is not None:
        raise _modifier(param, modifier)
    query = _expect(value, QuantityQuery, param)
    canonical = query.canonical
    if canonical is not None:  # UCUM (search.ucum): the canonical unit and the values in it
        sql, params = _compare(query.prefix, canonical.value, canonical.low, canonical.high, "canonical")
        return f"(canonical_code = ? AND {sql})", (canonical.code, *params)
    sql, params = _compare(query.prefix, float(query.value), float(query.low), float(query.high))
    clauses, bound = [sql], list(params)
    if query.system is not None:
        clauses.append("system = ?")
        bound.append(query.system)
    if query.code is not None and query.system is not None:
        clauses.append("code = ?")
        bound.append(query.code)
    elif query.code is not None:
        clauses.append("(code = ? OR unit = ?)")
        bound += [query.code, query.code]
    return "(" + " AND ".join(clauses) + ")", tuple(bound)


# The kind of each composite part by its query type (schema.COMPOSITE_SLOTS says where its values are).
_PART_KINDS: Final[dict[type, str]] = {
    TokenQuery: "token",
    QuantityQuery: "quantity",
    NumberQuery: "number",
    DateQuery: "date",
    StringQuery: "string",
    ReferenceQuery: "reference",
    UriQuery: "uri",
}
_NAME: Final = re.compile(r"\b[a-z_]+\b")


def _renamed(sql: str, columns: dict[str, str]) -> str:
    return _NAME.sub(lambda m: columns.get(m.group(0), m.group(0)), sql)


def composite_predicate(value: QueryValue, modifier: str | None, param: str) -> Predicate:
    """Each part's own predicate, its column names moved to the columns its values occupy in the
    combination row (schema.COMPOSITE_SLOTS, filled in part order from k1)."""
    if modifier is not None:
        raise _modifier(param, modifier)
    query = _expect(value, CompositeQuery, param)
    clauses: list[str] = []
    params: list[object] = []
    offset = 0
    for part in query.parts:
        kind = _PART_KINDS.get(type(part))
        if kind is None:
            raise _modifier(param, type(part).__name__)
        names = COMPOSITE_SLOTS[kind]
        columns = {
            name: VALUE_COLUMNS[offset + n] for n, name in enumerate(names) if offset + n < len(VALUE_COLUMNS)
        }
        if len(columns) < len(names):  # wider than a row: no combination was stored that way
            return "0", ()
        sql, bound = PREDICATES[kind](part, None, param)
        clauses.append(_renamed(sql, columns))
        params += bound
        offset += len(names)
    return "(" + " AND ".join(f"({clause})" for clause in clauses) + ")", tuple(params)


def _modifier(param: str, modifier: str) -> FhirError:
    return not_supported(
        f"The modifier :{modifier} is not supported for {param}",
        f"Chưa hỗ trợ bộ bổ nghĩa :{modifier} cho {param}",
        param,
    )


PREDICATES: Final[dict[str, Callable[[QueryValue, str | None, str], Predicate]]] = {
    "string": string_predicate,
    "token": token_predicate,
    "reference": reference_predicate,
    "uri": uri_predicate,
    "date": date_predicate,
    "number": number_predicate,
    "quantity": quantity_predicate,
    "composite": composite_predicate,
}
