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

from fhir_server.search.request import SearchRequest, SortKey
from fhir_server.search.sorting import TOKEN_SEPARATOR, SortValue
from fhir_server.storage.sqlite.criteria import Statement, where
from fhir_server.storage.sqlite.first_page import Estimate, unsorted_page
from fhir_server.storage.sqlite.predicates import Params, Predicate
from fhir_server.storage.sqlite.records import CURRENT_COLUMNS, CURRENT_FROM
from fhir_server.storage.sqlite.schema import INDEX_KINDS, ROW_BITS
from fhir_server.storage.versioning import decode_sort_cursor


def ids_statement(request: SearchRequest, limit: int) -> Statement:
    sql, params = where(request)
    values, value_params = _sort_values(request)
    order = "".join(f"{_direction(value, key)}, " for value, key in zip(values, request.sort, strict=True))
    return Statement(
        f"SELECT r.id FROM resources r WHERE {sql} ORDER BY {order}r.rid LIMIT ?",
        (*params, *value_params, limit),
    )


def page_statements(request: SearchRequest, estimate: Estimate) -> tuple[Statement, ...]:
    """The statements to try in order: the store keeps the first that returns count + 1 rows, or the
    last. Without `_sort` the page continues after the cursor's rid (first_page.py, which may
    `estimate` how broad criteria are); rows are `rid, CURRENT_COLUMNS`."""
    if not request.sort:
        return unsorted_page(request, estimate)
    sql, params = where(request)
    # One row more than the page tells whether a next cursor is due.
    window = (max(request.count, 0) + 1, max(request.offset, 0))
    # The page is picked on (rid, sort values) only, after the cursor's (values, rid) in that order; the
    # bodies of its rows alone are read afterwards. Rows are `rid, s0..sn, CURRENT_COLUMNS`.
    values, value_params = _sort_values(request)
    columns = "".join(f", {value} AS s{n}" for n, value in enumerate(values))
    after = decode_sort_cursor(request.cursor, request.sort)
    keyset, keyset_params = ("1", ()) if after is None else _after(*after, request.sort)
    inner = "".join(f"{_direction(f'q.s{n}', key)}, " for n, key in enumerate(request.sort))
    outer = "".join(f"{_direction(f'p.s{n}', key)}, " for n, key in enumerate(request.sort))
    shown = "".join(f", p.s{n}" for n in range(len(request.sort)))
    return (
        Statement(
            f"SELECT p.rid{shown}, {CURRENT_COLUMNS} FROM (SELECT q.* FROM (SELECT r.rid AS rid{columns}"
            f" FROM resources r WHERE {sql}) q WHERE {keyset} ORDER BY {inner}q.rid LIMIT ? OFFSET ?) p"
            f" CROSS JOIN {CURRENT_FROM} WHERE r.rid = p.rid ORDER BY {outer}p.rid",
            (*value_params, *params, *keyset_params, *window),
        ),
    )


def _after(point: tuple[SortValue, ...], position: int, keys: tuple[SortKey, ...]) -> Predicate:
    """The rows after (point, position) in the order of `keys` (missing values last in either direction,
    then rid): for some key n, equal on the keys before it and beyond on key n; or equal on all and a
    later rid."""
    alternatives: list[str] = []
    params: list[object] = []
    equal: list[str] = []
    equal_params: list[object] = []
    for n, (value, key) in enumerate(zip(point, keys, strict=True)):
        column = f"q.s{n}"
        if value is None:  # nothing sorts beyond a missing value but later rids
            equal.append(f"{column} IS NULL")
            continue
        beyond = f"({column} {'<' if key.descending else '>'} ? OR {column} IS NULL)"
        alternatives.append(" AND ".join([*equal, beyond]))
        params += [*equal_params, value]
        equal.append(f"{column} = ?")
        equal_params.append(value)
    alternatives.append(" AND ".join([*equal, "q.rid > ?"]))
    params += [*equal_params, position]
    return "(" + " OR ".join(f"({a})" for a in alternatives) + ")", tuple(params)


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
