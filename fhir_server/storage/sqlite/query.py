"""A SearchRequest compiled to parameterised SQL over `resources r`: an AND of criteria, each an OR of
its values. Each criterion becomes `r.rid IN (SELECT rid FROM idx_<kind> WHERE pid = ... AND ...)`, one
SELECT per value, so that SQLite can drive the search from the (pid, value) index (schema.py).
A chain's target ids and a `_has`'s referred ids are subqueries over another resource type, compiled
by `where` itself (their own `resources r` shadows the outer one).

Results come in `_sort` order, then surrogate-key order (creation order), which is stable under
concurrent writes. Each sort key is a correlated subquery over the resource's own index rows (one rowid
range, schema.py) with the tiers of `search.sorting`, the oracle; the page is chosen on rids and sort
values alone, and only its rows are joined with their bodies.
"""

from __future__ import annotations

from dataclasses import dataclass

from fhir_server.search.request import (
    ChainQuery,
    Criterion,
    DateQuery,
    HasQuery,
    QueryValue,
    SearchRequest,
    SortKey,
    TokenQuery,
)
from fhir_server.search.sorting import TOKEN_SEPARATOR
from fhir_server.storage.sqlite.predicates import (
    PREDICATES,
    Params,
    Predicate,
    not_supported,
    range_predicate,
)
from fhir_server.storage.sqlite.records import CURRENT_COLUMNS, CURRENT_FROM
from fhir_server.storage.sqlite.schema import INDEX_KINDS, ROW_BITS
from fhir_server.storage.versioning import decode_position


@dataclass(frozen=True, slots=True)
class Statement:
    sql: str
    params: Params


def where(request: SearchRequest) -> Predicate:
    """The WHERE clause selecting the current, non-deleted resources that match `request`."""
    clauses = ["r.resource_type = ?", "r.deleted = 0"]
    params: list[object] = [request.resource_type]
    for criterion in request.criteria:
        sql, bound = _criterion(request.resource_type, criterion)
        clauses.append(sql)
        params += bound
    return " AND ".join(clauses), tuple(params)


def ids_statement(request: SearchRequest, limit: int) -> Statement:
    sql, params = where(request)
    values, value_params = _sort_values(request)
    order = "".join(f"{_direction(value, key)}, " for value, key in zip(values, request.sort, strict=True))
    return Statement(
        f"SELECT r.id FROM resources r WHERE {sql} ORDER BY {order}r.rid LIMIT ?",
        (*params, *value_params, limit),
    )


def page_statement(request: SearchRequest) -> Statement:
    """Rows are `rid, CURRENT_COLUMNS`. Without `_sort` the page continues after the cursor's rid and
    reads one row more than `count`, which tells the store whether a next cursor is due."""
    sql, params = where(request)
    window = (max(request.count, 0), max(request.offset, 0))
    if not request.sort:
        after = decode_position(request.cursor)
        if after is not None:
            sql, params = f"{sql} AND r.rid > ?", (*params, after)
        return Statement(
            f"SELECT r.rid, {CURRENT_COLUMNS} FROM {CURRENT_FROM} WHERE {sql}"
            " ORDER BY r.rid LIMIT ? OFFSET ?",
            (*params, window[0] + 1, window[1]),
        )
    # The page is picked on (rid, sort values) only; the bodies of its rows alone are read afterwards.
    values, value_params = _sort_values(request)
    columns = "".join(f", {value} AS s{n}" for n, value in enumerate(values))
    inner = "".join(f"{_direction(f's{n}', key)}, " for n, key in enumerate(request.sort))
    outer = "".join(f"{_direction(f'p.s{n}', key)}, " for n, key in enumerate(request.sort))
    return Statement(
        f"SELECT p.rid, {CURRENT_COLUMNS} FROM (SELECT r.rid AS rid{columns} FROM resources r WHERE {sql}"
        f" ORDER BY {inner}r.rid LIMIT ? OFFSET ?) p"
        f" CROSS JOIN {CURRENT_FROM} WHERE r.rid = p.rid ORDER BY {outer}p.rid",
        (*value_params, *params, *window),
    )


def total_statement(request: SearchRequest) -> Statement:
    sql, params = where(request)
    return Statement(f"SELECT count(*) FROM resources r WHERE {sql}", params)


# What `search.sorting.sort_values` compares, by parameter type: (IR kind, condition, column ascending,
# column descending), first tier with a value wins.
_TOKEN_TEXT = f"k1 || char({ord(TOKEN_SEPARATOR)}) || coalesce(k2, '')"
_SORT_TIERS: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "date": (("date", "", "k1", "k2"),),
    "reference": (
        ("reference", " AND k2 IS NOT NULL", "k1", "k1"),  # id rows: the target id
        ("reference", " AND k2 IS NULL", "k1", "k1"),  # url rows
    ),
    "token": (("token", " AND k1 IS NOT NULL", _TOKEN_TEXT, _TOKEN_TEXT),),
    **{kind: ((kind, "", "k1", "k1"),) for kind in ("string", "number", "quantity", "uri")},
}


def _sort_value(resource_type: str, key: SortKey) -> Predicate:
    """The value that `key` compares for resource `r`, NULL when it has none."""
    if key.param == "_id":
        return "r.id", ()
    if key.param == "_lastUpdated":
        return "r.last_updated", ()
    aggregate = "max" if key.descending else "min"
    tiers: list[str] = []
    params: list[object] = []
    for kind, condition, ascending, descending in _SORT_TIERS.get(key.type, ()):
        column = descending if key.descending else ascending
        # NOT INDEXED: seek the resource's rowid range, not every row of the parameter.
        tiers.append(
            f"(SELECT {aggregate}({column}) FROM idx NOT INDEXED"
            f" WHERE entry >= r.rid << {ROW_BITS} AND entry < (r.rid + 1) << {ROW_BITS}"
            f" AND pid = (SELECT pid FROM params WHERE resource_type = ? AND param = ? AND kind = ?)"
            f"{condition})"
        )
        params += [resource_type, key.param, INDEX_KINDS[kind][0]]
    if not tiers:
        return "NULL", ()
    # coalesce() stops at the first tier with a value.
    return (f"coalesce({', '.join(tiers)})" if len(tiers) > 1 else tiers[0]), tuple(params)


def _sort_values(request: SearchRequest) -> tuple[list[str], Params]:
    values = [_sort_value(request.resource_type, key) for key in request.sort]
    return [sql for sql, _ in values], tuple(p for _, bound in values for p in bound)


def _direction(value: str, key: SortKey) -> str:
    return f"{value} {'DESC' if key.descending else 'ASC'} NULLS LAST"


def _criterion(resource_type: str, criterion: Criterion) -> Predicate:
    if criterion.param == "_id":
        return _id_criterion(criterion)
    if criterion.param == "_lastUpdated":
        return _last_updated_criterion(criterion)
    if criterion.param == "_has":
        return _has_criterion(resource_type, criterion)
    # `reference:identifier` searches Reference.identifier, which the extractor indexes as tokens.
    kind = "token" if criterion.modifier == "identifier" else criterion.type
    if kind not in INDEX_KINDS:
        raise not_supported(
            f"Search on {criterion.type} parameters ({criterion.param}) is not supported",
            f"Chưa hỗ trợ tìm kiếm theo tham số kiểu {criterion.type} ({criterion.param})",
            criterion.param,
        )
    code, view, _ = INDEX_KINDS[kind]
    scope = (
        f"SELECT rid FROM {view} WHERE pid ="
        f" (SELECT pid FROM params WHERE resource_type = ? AND param = ? AND kind = {code})"
    )
    scope_params: Params = (resource_type, criterion.param)
    if criterion.missing is not None:
        # :missing=true -> no index row for the parameter at all; false -> at least one.
        return f"r.rid {'NOT IN' if criterion.missing else 'IN'} ({scope})", scope_params
    if not criterion.values:
        raise _no_values(criterion)
    parts = [_value(kind, value, criterion) for value in criterion.values]
    # One SELECT per value: each seeks the search index on its own (an OR of them would scan the param).
    union = " UNION ALL ".join(f"{scope} AND ({sql})" for sql, _ in parts)
    params = tuple(p for _, bound in parts for p in (*scope_params, *bound))
    # :not selects the resources with no matching value, including those without the element.
    negated = criterion.modifier == "not"
    return f"r.rid {'NOT IN' if negated else 'IN'} ({union})", params


def _value(kind: str, value: QueryValue, criterion: Criterion) -> Predicate:
    if isinstance(value, ChainQuery):
        # The target ids: the current resources of the target type matching the inner criterion (the
        # subquery's own `r` shadows the outer one), themselves compiled by `where`.
        inner, params = where(SearchRequest(value.target_type, (value.inner,)))
        return (
            f"(target_type = ? AND value IN (SELECT r.id FROM resources r WHERE {inner}))",
            (value.target_type, *params),
        )
    return PREDICATES[kind](value, criterion.modifier, criterion.param)


def _has_criterion(resource_type: str, criterion: Criterion) -> Predicate:
    """`_has`: the ids that the referring resources matching the inner criterion refer to, read from
    each one's own rowid range of index rows (schema.py)."""
    parts: list[Predicate] = []
    for value in criterion.values:
        if not isinstance(value, HasQuery):
            raise not_supported("Unsupported _has value", "Giá trị _has không được hỗ trợ", "_has")
        inner, params = where(SearchRequest(value.referring_type, (value.inner,)))
        kind = INDEX_KINDS["reference"][0]
        pid = f"SELECT pid FROM params WHERE resource_type = ? AND param = ? AND kind = {kind}"
        parts.append(
            (
                # NOT INDEXED: each referring resource's own rowid range, not every row of the param;
                # the outer rid IN (...) lets the searched resources be sought by (type, id).
                "r.rid IN (SELECT t.rid FROM resources t WHERE t.resource_type = ? AND t.id IN"
                f" (SELECT h.k1 FROM resources r CROSS JOIN idx h NOT INDEXED WHERE {inner}"
                f" AND h.entry >= r.rid << {ROW_BITS} AND h.entry < (r.rid + 1) << {ROW_BITS}"
                f" AND h.pid = ({pid}) AND h.k2 = ?))",
                (resource_type, *params, value.referring_type, value.reference_param, resource_type),
            )
        )
    if not parts:
        raise _no_values(criterion)
    return "(" + " OR ".join(sql for sql, _ in parts) + ")", tuple(p for _, b in parts for p in b)


def _id_criterion(criterion: Criterion) -> Predicate:
    if criterion.missing is not None:
        return ("0" if criterion.missing else "1"), ()  # every resource has an id
    if criterion.modifier is not None:
        raise _unsupported_modifier(criterion)
    ids: list[str] = []
    for value in criterion.values:
        if not isinstance(value, TokenQuery):
            raise not_supported("Unsupported _id value", "Giá trị _id không được hỗ trợ", "_id")
        if value.code is not None:
            ids.append(value.code)
    if not ids:
        return "0", ()
    return f"r.id IN ({', '.join('?' * len(ids))})", tuple(ids)


def _last_updated_criterion(criterion: Criterion) -> Predicate:
    """meta.lastUpdated is an instant: the stored range is the single microsecond [t, t + 1)."""
    if criterion.missing is not None:
        return ("0" if criterion.missing else "1"), ()
    if criterion.modifier is not None:
        raise _unsupported_modifier(criterion)
    parts: list[Predicate] = []
    for value in criterion.values:
        if not isinstance(value, DateQuery):
            raise not_supported(
                "Unsupported _lastUpdated value", "Giá trị _lastUpdated không được hỗ trợ", "_lastUpdated"
            )
        parts.append(
            range_predicate(value.prefix, "r.last_updated", "(r.last_updated + 1)", value.low, value.high)
        )
    if not parts:
        raise _no_values(criterion)
    return "(" + " OR ".join(f"({sql})" for sql, _ in parts) + ")", tuple(p for _, b in parts for p in b)


def _unsupported_modifier(criterion: Criterion) -> Exception:
    return not_supported(
        f"The modifier :{criterion.modifier} is not supported for {criterion.param}",
        f"Chưa hỗ trợ bộ bổ nghĩa :{criterion.modifier} cho {criterion.param}",
        criterion.param,
    )


def _no_values(criterion: Criterion) -> Exception:
    return not_supported(
        f"The parameter {criterion.param} has no value",
        f"Tham số {criterion.param} không có giá trị",
        criterion.param,
    )
