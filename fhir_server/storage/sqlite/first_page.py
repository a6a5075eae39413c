"""The page of a search without `_sort`, in creation (rid) order, read without materialising every match.

`where` (criteria.py) ANDs `r.rid IN (...)` lists, and SQLite builds each list in full before it returns
the first row: `vaccine-code=X&date=ge2024-01-01` built the list of every immunization since 2024. Here
one criterion drives the page and every other one is a probe of the candidate's own index rows:

1. an `_id` criterion drives (a unique-index lookup);
2. otherwise the criteria whose values seek the index (`Compiled.source`) count their first
   `ESTIMATE_CAP` matches (one bounded index range each) and the smallest drives as an IN list,
   when it holds fewer than the cap;
3. when every one of them is broad, a single `system|code` token or `Type/id` reference streams
   its index rows in rid order (`Compiled.stream`, no list at all, LIMIT stops it);
4. else the next SCAN_WINDOW resources of the type are read in rid order and every criterion probed:
   broad criteria usually match often enough to fill the page there. That attempt is tentative: when
   it finds fewer than count + 1 matches (the matches are sparser than 1 in SCAN_WINDOW / 21), the
   smallest broad criterion drives as an IN list after all, so the cost stays bounded by its size;
5. with no seekable criterion at all (`:not`, `ne`, `:missing` only) the type is read and probed.

Every plan returns the rows in rid order after the cursor, LIMIT count + 1: the same page as `where`.
`unsorted_page` gives the statements to try in order (the store stops at the first that returns
count + 1 rows, or at the last). `_total` counts with the same driver (`count_statement`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from fhir_server.search.request import SearchRequest
from fhir_server.storage.sqlite.criteria import Compiled, Statement, compile_all, conjunction
from fhir_server.storage.sqlite.predicates import Params, Predicate
from fhir_server.storage.sqlite.records import CURRENT_COLUMNS
from fhir_server.storage.sqlite.schema import ROW_BITS
from fhir_server.storage.versioning import decode_position

ESTIMATE_CAP: Final = 1000
SCAN_WINDOW: Final = 2000  # candidates read in rid order by a tentative scan of the type
Estimate = Callable[[Statement], int]  # runs a `SELECT count(*)` statement


def estimate_statement(source: Predicate) -> Statement:
    """How many of a criterion's first ESTIMATE_CAP index rows there are (one bounded index range)."""
    sql, params = source
    return Statement(f"SELECT count(*) FROM ({sql} LIMIT {ESTIMATE_CAP})", params)


def unsorted_page(request: SearchRequest, estimate: Estimate) -> tuple[Statement, ...]:
    """The statements to try in order; rows are `rid, CURRENT_COLUMNS`, at most count + 1."""
    after = decode_position(request.cursor)
    window = (max(request.count, 0) + 1, max(request.offset, 0))
    compiled = compile_all(request)
    driver, scan_first = _driver(compiled, estimate)
    if driver is not None and driver.stream is not None:  # the same rows as its list, in order, unbuilt
        others = [c.probe for c in compiled if c is not driver]
        return (_streamed(request.resource_type, driver.stream, others, after, window),)
    listed = _listed(request.resource_type, driver, compiled, after, window)
    if not scan_first:
        return (listed,)
    return _scanned(request.resource_type, [c.probe for c in compiled], after, window), listed


def _listed(
    resource_type: str,
    driver: Compiled | None,
    compiled: list[Compiled],
    after: int | None,
    window: tuple[int, int],
) -> Statement:
    """Driven by the driver's IN list, or by the type in rid order when there is no driver."""
    parts = ([driver.member] if driver is not None else []) + [c.probe for c in compiled if c is not driver]
    if after is not None:
        parts.append(("r.rid > ?", (after,)))
    sql, params = conjunction(resource_type, parts)
    return _page_of(
        f"SELECT r.rid AS rid FROM resources r WHERE {sql} ORDER BY r.rid LIMIT ? OFFSET ?",
        (*params, *window),
    )


def _scanned(
    resource_type: str, probes: list[Predicate], after: int | None, window: tuple[int, int]
) -> Statement:
    """The next SCAN_WINDOW resources of the type (deleted ones included), probed: tentative. The window's
    last rid is computed once, so that the scan itself stays a range of the type index in rid order,
    which LIMIT stops (a subquery of candidates would be read whole and sorted)."""
    start = after or 0
    last = (
        "(SELECT max(rid) FROM (SELECT rid FROM resources WHERE resource_type = ? AND rid > ?"
        " ORDER BY rid LIMIT ?))"
    )
    sql, params = conjunction(
        resource_type,
        [("r.rid > ?", (start,)), (f"r.rid <= {last}", (resource_type, start, SCAN_WINDOW)), *probes],
    )
    inner = f"SELECT r.rid AS rid FROM resources r WHERE {sql} ORDER BY r.rid LIMIT ? OFFSET ?"
    return _page_of(inner, (*params, *window))


def _page_of(inner: str, params: Params) -> Statement:
    """The bodies of the page's rids only: the history row of each match is joined after the LIMIT."""
    return Statement(
        f"SELECT r.rid, {CURRENT_COLUMNS} FROM ({inner}) p CROSS JOIN resources r ON r.rid = p.rid"
        " JOIN history h ON h.rid = r.rid AND h.version = r.version ORDER BY r.rid",
        params,
    )


def count_statement(request: SearchRequest, estimate: Estimate) -> Statement:
    """`_total`: the driving criterion's list with the others probed per member, rather than every list
    built in full (a broad date's list can be most of the type); without one, the lists of `where`."""
    compiled = compile_all(request)
    driver, _ = _driver(compiled, estimate)
    if driver is None:
        parts = [c.member for c in compiled]
    else:
        parts = [driver.member, *(c.probe for c in compiled if c is not driver)]
    sql, params = conjunction(request.resource_type, parts)
    return Statement(f"SELECT count(*) FROM resources r WHERE {sql}", params)


def _driver(compiled: list[Compiled], estimate: Estimate) -> tuple[Compiled | None, bool]:
    """The criterion to drive the page from (None: read the type in rid order and probe), and whether
    a tentative scan of the type should be tried first (every criterion is broad)."""
    for form in compiled:
        if form.by_id:
            return form, False
    candidates = [form for form in compiled if form.source is not None]
    if not candidates:
        return None, False
    if len(candidates) == 1 and candidates[0].stream is not None:
        return candidates[0], False  # nothing to compare it with, and streaming costs no list
    counted = sorted(
        (estimate(estimate_statement(form.source)), n)
        for n, form in enumerate(candidates)
        if form.source is not None
    )
    smallest, first = counted[0]
    if smallest < ESTIMATE_CAP:
        return candidates[first], False
    streamed = next((candidates[n] for _, n in counted if candidates[n].stream is not None), None)
    return (streamed, False) if streamed is not None else (candidates[first], True)


def _streamed(
    resource_type: str, stream: Predicate, probes: list[Predicate], after: int | None, window: tuple[int, int]
) -> Statement:
    """Index rows `d` of the driving value in rowid order; a resource with two such rows (the same
    code under two displays) is kept at its first one."""
    stream_sql, stream_params = stream
    clauses = [stream_sql]
    params: list[object] = [*stream_params]
    if after is not None:
        clauses.append("d.entry >= ?")
        params.append((after + 1) << ROW_BITS)
    clauses.append(
        "NOT EXISTS (SELECT 1 FROM idx e WHERE e.pid = d.pid AND e.k1 = d.k1 AND e.k2 = d.k2"
        f" AND e.entry >= (d.entry >> {ROW_BITS}) << {ROW_BITS} AND e.entry < d.entry)"
    )
    rest, rest_params = conjunction(resource_type, probes)
    inner = (
        f"SELECT r.rid AS rid FROM idx d CROSS JOIN resources r WHERE {' AND '.join(clauses)}"
        f" AND r.rid = d.entry >> {ROW_BITS} AND {rest} ORDER BY d.entry LIMIT ? OFFSET ?"
    )
    return _page_of(inner, (*params, *rest_params, *window))
