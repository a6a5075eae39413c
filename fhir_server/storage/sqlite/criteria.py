"""One search criterion compiled to SQL over `resources r`, in the forms the planner (first_page.py) chooses
between:

- `member`: `r.rid IN (SELECT rid FROM idx_<kind> WHERE pid = ... AND ...)`, one SELECT per value so that
  SQLite can seek the (pid, k1, k2) index (schema.py); what `where` ANDs together;
- `source`: that SELECT of matching rids alone, when every value seeks the index (a bounded range of it),
  so that the planner can count its first matches cheaply and drive a page from it;
- `probe`: `EXISTS` over the resource's own index rows (one rowid range, schema.py): a few rows read per
  resource, never the parameter's whole range, for the criteria that do not drive the page;
- `stream`: for a single `system|code` token or `Type/id` reference, the condition on index rows `d`
  whose index order is creation order, so that a page can be read in order without materialising the
  matches at all.

A chain's target ids and a `_has`'s referred ids are subqueries over another resource type, compiled by
`where` itself (their own `resources r` shadows the outer one).
"""

from __future__ import annotations

from dataclasses import dataclass

from fhir_server.search.request import (
    ChainQuery,
    CompositeQuery,
    Criterion,
    DateQuery,
    HasQuery,
    QuantityQuery,
    QueryValue,
    ReferenceQuery,
    SearchRequest,
    TokenQuery,
    ValueSetQuery,
)
from fhir_server.storage.sqlite.predicates import (
    PREDICATES,
    Params,
    Predicate,
    not_supported,
    range_predicate,
    value_set_predicates,
)
from fhir_server.storage.sqlite.schema import INDEX_KINDS, ROW_BITS, VALUE_COLUMNS

# The index rows of resource `r` (its rowid range); NOT INDEXED: seek that range, not the parameter's rows.
_DATE = INDEX_KINDS["date"][0]
OWN_ROWS = f"idx NOT INDEXED WHERE entry >= r.rid << {ROW_BITS} AND entry < (r.rid + 1) << {ROW_BITS}"


@dataclass(frozen=True, slots=True)
class Statement:
    sql: str
    params: Params


@dataclass(frozen=True, slots=True)
class Compiled:
    member: Predicate
    probe: Predicate
    source: Predicate | None = None
    stream: Predicate | None = None
    by_id: bool = False  # an `_id` list: the cheapest driver there is


def where(request: SearchRequest) -> Predicate:
    """The WHERE clause selecting the current, non-deleted resources that match `request`."""
    return conjunction(request.resource_type, [c.member for c in compile_all(request)])


def conjunction(resource_type: str, parts: list[Predicate]) -> Predicate:
    clauses = ["r.resource_type = ?", "r.deleted = 0", *(sql for sql, _ in parts)]
    return " AND ".join(clauses), (resource_type, *(p for _, bound in parts for p in bound))


def compile_all(request: SearchRequest) -> list[Compiled]:
    """The criteria, then each group of `alternatives` as one more ANDed form."""
    resource_type = request.resource_type
    return [
        *(compile_criterion(resource_type, c) for c in request.criteria),
        *(compile_group(resource_type, group) for group in request.alternatives),
    ]


def compile_group(resource_type: str, group: tuple[Criterion, ...]) -> Compiled:
    """At least one criterion of `group`: the union of their rid lists when each has one (a compartment's
    `subject` and `performer` lists are small), else an OR of the members; the probe ORs their probes."""
    if not group:
        return Compiled(("0", ()), ("0", ()))
    forms = [compile_criterion(resource_type, c) for c in group]
    if len(forms) == 1:
        return forms[0]
    probe = _either([f.probe for f in forms])
    sources = [f.source for f in forms if f.source is not None]
    if len(sources) == len(forms):
        union = " UNION ALL ".join(sql for sql, _ in sources)
        union_params = tuple(p for _, bound in sources for p in bound)
        return Compiled((f"r.rid IN ({union})", union_params), probe, (union, union_params))
    return Compiled(_either([f.member for f in forms]), probe)


def _either(parts: list[Predicate]) -> Predicate:
    return "(" + " OR ".join(f"({sql})" for sql, _ in parts) + ")", tuple(
        p for _, bound in parts for p in bound
    )


def pid_of(kind: str) -> str:
    """The pid of (resource type, parameter) for `kind`: bind the type and the parameter."""
    return f"SELECT pid FROM params WHERE resource_type = ? AND param = ? AND kind = {INDEX_KINDS[kind][0]}"


def compile_criterion(resource_type: str, criterion: Criterion) -> Compiled:
    if criterion.param == "_id":
        return _id_criterion(resource_type, criterion)
    if criterion.param == "_lastUpdated":
        only = _last_updated_criterion(criterion)
        return Compiled(only, only)
    if criterion.param == "_has":
        only = _has_criterion(resource_type, criterion)
        return Compiled(only, only)
    # `reference:identifier` searches Reference.identifier, which the extractor indexes as tokens.
    kind = "token" if criterion.modifier == "identifier" else criterion.type
    if kind not in INDEX_KINDS:
        raise not_supported(
            f"Search on {criterion.type} parameters ({criterion.param}) is not supported",
            f"Chưa hỗ trợ tìm kiếm theo tham số kiểu {criterion.type} ({criterion.param})",
            criterion.param,
        )
    _, view, names = INDEX_KINDS[kind]
    pid = pid_of(kind)
    pid_params: Params = (resource_type, criterion.param)
    scope = f"SELECT rid FROM {view} WHERE pid = ({pid})"
    if criterion.missing is not None:
        # :missing=true -> no index row for the parameter at all; false -> at least one.
        negate = "NOT " if criterion.missing else ""
        return Compiled(
            (f"r.rid {negate}IN ({scope})", pid_params),
            (f"{negate}EXISTS (SELECT 1 FROM {OWN_ROWS} AND pid = ({pid}))", pid_params),
        )
    if not criterion.values:
        raise _no_values(criterion)
    # :not selects the resources with no matching value, including those without the element.
    negated = criterion.modifier == "not"
    # (predicate, seek) per value; an `:in` value gives one per system of its ValueSet.
    pairs = [
        (part, _seek(kind, value, criterion.modifier, pid_params))
        for value in criterion.values
        for part in _value(kind, value, criterion)
    ]
    if not pairs:  # an empty ValueSet: `:in` matches nothing, `:not-in` everything
        return _empty(negated)
    parts = [part for part, _ in pairs]
    seeks = [seek for _, seek in pairs]
    # One SELECT per value: each seeks the search index on its own (an OR of them would scan the param).
    arms: list[Predicate] = []
    for (sql, bound), seek in pairs:
        seek_sql, seek_params = seek or ("1", ())
        bounded = "" if seek_sql == "1" else f" AND {seek_sql}"
        arms.append((f"{scope} AND ({sql}){bounded}", (*pid_params, *bound, *seek_params)))
    union = " UNION ALL ".join(sql for sql, _ in arms)
    union_params = tuple(p for _, bound in arms for p in bound)
    columns = ", ".join(f"{k} AS {name}" for k, name in zip(VALUE_COLUMNS, names, strict=False))
    rows = f"SELECT {columns} FROM {OWN_ROWS} AND pid = ({pid})"
    condition = " OR ".join(f"({sql})" for sql, _ in parts)
    probe = (
        f"{'NOT ' if negated else ''}EXISTS (SELECT 1 FROM ({rows}) WHERE {condition})",
        (*pid_params, *(p for _, bound in parts for p in bound)),
    )
    seekable = not negated and all(seek is not None for seek in seeks)
    return Compiled(
        (f"r.rid {'NOT IN' if negated else 'IN'} ({union})", union_params),
        probe,
        (union, union_params) if seekable else None,
        None if negated else _stream(kind, criterion, pid, pid_params),
    )


def _value(kind: str, value: QueryValue, criterion: Criterion) -> list[Predicate]:
    if isinstance(value, ChainQuery):
        # The target ids: the current resources of the target type matching the inner criterion (the
        # subquery's own `r` shadows the outer one), themselves compiled by `where`.
        inner, params = where(SearchRequest(value.target_type, (value.inner,)))
        return [
            (
                f"(target_type = ? AND value IN (SELECT r.id FROM resources r WHERE {inner}))",
                (value.target_type, *params),
            )
        ]
    if isinstance(value, ValueSetQuery) and kind == "token":
        return value_set_predicates(value)
    return [PREDICATES[kind](value, criterion.modifier, criterion.param)]


def _empty(negated: bool) -> Compiled:
    """An `:in` of an empty ValueSet (`:not-in`: every resource). Its source is an empty rid list, so
    that the planner drives the page from it (none) rather than reading the type."""
    if negated:
        return Compiled(("1", ()), ("1", ()))
    return Compiled(("0", ()), ("0", ()), ("SELECT NULL AS rid WHERE 0", ()))


def _seek(kind: str, value: QueryValue, modifier: str | None, pid_params: Params) -> Predicate | None:
    """An extra condition on k1 (the first value column of the search index) that `value`'s predicate
    implies; ("1", ()) when its own predicate bounds k1 already; None when nothing bounds k1 (the
    value would read every row of the parameter)."""
    already: Predicate = ("1", ())  # the value's own predicate bounds k1
    if kind == "string":
        return already if modifier is None else None  # :exact compares k2, :contains is a substring
    if kind == "token":
        if isinstance(value, ValueSetQuery):
            return already  # its `code IN (...)` bounds k1
        coded = isinstance(value, TokenQuery) and value.code is not None
        return already if coded and modifier != "text" else None
    if kind == "uri":
        return already if modifier in (None, "below") else None
    if kind == "quantity" and isinstance(value, QuantityQuery) and value.canonical is not None:
        return None  # compares k7, k8, which the search index does not hold
    if kind in ("reference", "number", "quantity"):
        return None if getattr(value, "prefix", None) == "ne" else already
    if kind == "date" and isinstance(value, DateQuery):
        return _date_seek(value, pid_params)
    if kind == "composite" and isinstance(value, CompositeQuery) and value.parts:
        first = value.parts[0]  # its first value is k1 (schema.COMPOSITE_SLOTS)
        coded = isinstance(first, TokenQuery) and first.code is not None
        return already if coded or isinstance(first, ReferenceQuery) else None
    return None


def _date_seek(value: DateQuery, pid_params: Params) -> Predicate | None:
    """Dates store [low = k1, high = k2). Prefixes that compare `high` only are bounded on `low` by the
    widest range stored for the parameter (`params.width`, kept by index_rows.py): high > x implies
    low > x - width. The others imply a bound on `low` themselves (range_predicate)."""
    ql, qh = value.low, value.high
    width = f"(SELECT width FROM params WHERE resource_type = ? AND param = ? AND kind = {_DATE})"
    match value.prefix:
        case "eq":
            return "low < ?", (qh,)  # contained: low >= ql and low < high <= qh
        case "le":
            return "low < ?", (qh,)
        case "eb":
            return "low < ?", (ql,)
        case "gt":
            return f"low > ? - {width}", (qh, *pid_params)
        case "ge":
            return f"low >= min(?, ? - {width} + 1)", (ql, qh, *pid_params)
        case "ne":
            return None
        case _:  # lt, sa, ap compare low already
            return "1", ()


def _stream(kind: str, criterion: Criterion, pid: str, pid_params: Params) -> Predicate | None:
    """For one value that fixes both k1 and k2, the condition on index rows `d`: the search index lists
    them in rowid, i.e. creation, order (schema.py)."""
    if len(criterion.values) != 1 or criterion.modifier not in (None, "identifier"):
        return None
    value = criterion.values[0]
    if kind == "token" and isinstance(value, TokenQuery) and value.code is not None and value.system:
        first, second = value.code, value.system
    elif (
        kind == "reference"
        and isinstance(value, ReferenceQuery)
        and value.url is None
        and value.target_id is not None
        and value.target_type is not None
    ):
        first, second = value.target_id, value.target_type
    else:
        return None
    return f"d.pid = ({pid}) AND d.k1 = ? AND d.k2 = ?", (*pid_params, first, second)


def _has_criterion(resource_type: str, criterion: Criterion) -> Predicate:
    """`_has`: the ids that the referring resources matching the inner criterion refer to, read from
    each one's own rowid range of index rows (schema.py)."""
    parts: list[Predicate] = []
    for value in criterion.values:
        if not isinstance(value, HasQuery):
            raise not_supported("Unsupported _has value", "Giá trị _has không được hỗ trợ", "_has")
        inner, params = where(SearchRequest(value.referring_type, (value.inner,)))
        parts.append(
            (
                # NOT INDEXED: each referring resource's own rowid range, not every row of the param;
                # the outer rid IN (...) lets the searched resources be sought by (type, id).
                "r.rid IN (SELECT t.rid FROM resources t WHERE t.resource_type = ? AND t.id IN"
                f" (SELECT h.k1 FROM resources r CROSS JOIN idx h NOT INDEXED WHERE {inner}"
                f" AND h.entry >= r.rid << {ROW_BITS} AND h.entry < (r.rid + 1) << {ROW_BITS}"
                f" AND h.pid = ({pid_of('reference')}) AND h.k2 = ?))",
                (resource_type, *params, value.referring_type, value.reference_param, resource_type),
            )
        )
    if not parts:
        raise _no_values(criterion)
    return "(" + " OR ".join(sql for sql, _ in parts) + ")", tuple(p for _, b in parts for p in b)


def _id_criterion(resource_type: str, criterion: Criterion) -> Compiled:
    if criterion.missing is not None:
        every: Predicate = ("0" if criterion.missing else "1"), ()  # every resource has an id
        return Compiled(every, every)
    if criterion.modifier is not None:
        raise _unsupported_modifier(criterion)
    ids: list[str] = []
    for value in criterion.values:
        if not isinstance(value, TokenQuery):
            raise not_supported("Unsupported _id value", "Giá trị _id không được hỗ trợ", "_id")
        if value.code is not None:
            ids.append(value.code)
    if not ids:
        return Compiled(("0", ()), ("0", ()))
    marks = ", ".join("?" * len(ids))
    # The member is a list of rids sought by (type, id): with ORDER BY rid, `r.id IN (...)` alone may
    # be planned as a scan of the type in rid order.
    return Compiled(
        (
            f"r.rid IN (SELECT rid FROM resources WHERE resource_type = ? AND id IN ({marks}))",
            (resource_type, *ids),
        ),
        (f"r.id IN ({marks})", tuple(ids)),
        by_id=True,
    )


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
