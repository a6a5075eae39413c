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
4. else the resources of the type are read in rid order and every criterion probed: broad criteria
   match often, so a page is found after a few candidates.

Every plan returns the rows in rid order after the cursor, LIMIT count + 1: the same page as `where`.
`_total` counts with the same driver (`count_statement`).
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
Estimate = Callable[[Statement], int]  # runs a `SELECT count(*)` statement


def estimate_statement(source: Predicate) -> Statement:
    """How many of a criterion's first ESTIMATE_CAP index rows there are (one bounded index range)."""
    sql, params = source
    return Statement(f"SELECT count(*) FROM ({sql} LIMIT {ESTIMATE_CAP})", params)


def unsorted_page(request: SearchRequest, estimate: Estimate) -> Statement:
    after = decode_position(request.cursor)
    window = (max(request.count, 0) + 1, max(request.offset, 0))
    compiled = compile_all(request)
    driver = _driver(compiled, estimate)
    others = [c.probe for c in compiled if c is not driver]
    if driver is not None and driver.stream is not None:  # the same rows as its list, in order, unbuilt
        return _streamed(request.resource_type, driver.stream, others, after, window)
    parts = ([driver.member] if driver is not None else []) + others
    if after is not None:
        parts.append(("r.rid > ?", (after,)))
    sql, params = conjunction(request.resource_type, parts)
    # The history row of each match is joined only for the page (the subquery stops at the LIMIT).
    return Statement(
        f"SELECT r.rid, {CURRENT_COLUMNS} FROM (SELECT r.rid AS rid FROM resources r WHERE {sql}"
        " ORDER BY r.rid LIMIT ? OFFSET ?) p CROSS JOIN resources r ON r.rid = p.rid"
        " JOIN history h ON h.rid = r.rid AND h.version = r.version ORDER BY r.rid",
        (*params, *window),
    )


def count_statement(request: SearchRequest, estimate: Estimate) -> Statement:
    """`_total`: the driving criterion's list with the others probed per member, rather than every list
    built in full (a broad date's list can be most of the type); without one, the lists of `where`."""
    compiled = compile_all(request)
    driver = _driver(compiled, estimate)
    if driver is None:
        parts = [c.member for c in compiled]
    else:
        parts = [driver.member, *(c.probe for c in compiled if c is not driver)]
    sql, params = conjunction(request.resource_type, parts)
    return Statement(f"SELECT count(*) FROM resources r WHERE {sql}", params)


def _driver(compiled: list[Compiled], estimate: Estimate) -> Compiled | None:
    """The criterion to drive the page from; None: read the type in rid order and probe."""
    for form in compiled:
        if form.by_id:
            return form
    candidates = [form for form in compiled if form.source is not None]
    if not candidates:
        return None
    if len(candidates) == 1 and candidates[0].stream is not None:
        return candidates[0]  # nothing to compare it with, and streaming costs no list
    counted = sorted(
        (estimate(estimate_statement(form.source)), n)
        for n, form in enumerate(candidates)
        if form.source is not None
    )
    smallest, first = counted[0]
    if smallest < ESTIMATE_CAP:
        return candidates[first]
    return next((candidates[n] for _, n in counted if candidates[n].stream is not None), None)


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
    all_params: Params = (*params, *rest_params, *window)
    return Statement(
        f"SELECT r.rid, {CURRENT_COLUMNS} FROM ({inner}) p CROSS JOIN resources r ON r.rid = p.rid"
        " JOIN history h ON h.rid = r.rid AND h.version = r.version ORDER BY r.rid",
        all_params,
    )
