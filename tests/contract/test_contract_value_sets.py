"""`:in` / `:not-in` values (`ValueSetQuery`) on every backend against the in-memory matcher (the oracle):
members of several systems, members without a system, an empty set, a set of 5,000 codes, `:not`, an OR
with a plain token and an AND with another parameter. SQLite: the plan seeks the token index per code."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from fhir_server.definitions.registry import CodeSet
from fhir_server.search.index import IndexValues, StringValue, TokenValue
from fhir_server.search.matcher import matching_ids
from fhir_server.search.request import Criterion, SearchRequest, StringQuery, TokenQuery, ValueSetQuery
from fhir_server.storage.base import Store
from fhir_server.storage.factory import open_store
from fhir_server.storage.sqlite.criteria import compile_criterion
from fhir_server.storage.sqlite.first_page import unsorted_page
from tests.contract.conftest import FakeClock, patient, store_url

A, B = "http://a.example", "http://b.example"
BIG = CodeSet.of("big", [(A, f"{n:05}") for n in range(5000)])
MIXED = CodeSet.of("mixed", [(A, "1"), (A, "2"), (B, "1"), ("", "9")])
EMPTY = CodeSet.of("empty", [])


def tokens(*pairs: tuple[str | None, str | None]) -> IndexValues:
    return IndexValues(
        tokens=tuple(TokenValue("code", s, c) for s, c in pairs), strings=(StringValue("name", "x", "x"),)
    )


WORLD: dict[str, IndexValues] = {
    "a1": tokens((A, "1")),
    "a2-b3": tokens((A, "2"), (B, "3")),
    "b1": tokens((B, "1")),
    "b2": tokens((B, "2")),
    "none9": tokens((None, "9")),  # no system: a member without one
    "c9": tokens(("http://c.example", "9")),
    "a4999": tokens((A, "04999")),
    "a5000": tokens((A, "05000")),  # just outside BIG
    "no-code": tokens((A, None)),
    "nothing": IndexValues(strings=(StringValue("name", "y", "y"),)),  # no code row at all
}


def criterion(codes: CodeSet, negated: bool = False, *extra: TokenQuery) -> Criterion:
    return Criterion("code", "token", "not" if negated else None, (ValueSetQuery(codes), *extra))


CASES: dict[str, tuple[Criterion, ...]] = {
    "mixed": (criterion(MIXED),),
    "not mixed": (criterion(MIXED, True),),
    "big": (criterion(BIG),),
    "not big": (criterion(BIG, True),),
    "empty": (criterion(EMPTY),),
    "not empty": (criterion(EMPTY, True),),
    "or a token": (criterion(MIXED, False, TokenQuery(B, "2")),),
    "and a name": (criterion(MIXED), Criterion("name", "string", None, (StringQuery("x"),))),
}


@pytest.fixture
def seeded(store: Store) -> Store:
    with store.unit_of_work() as uow:
        for rid, index in WORLD.items():
            uow.write(patient(rid), index, method="PUT")
    return store


def oracle(criteria: tuple[Criterion, ...]) -> list[str]:
    request = SearchRequest("Patient", criteria)
    return sorted(matching_ids(request, [(rid, 0, index) for rid, index in WORLD.items()]))


def test_the_oracle_reads_value_sets_as_system_and_code() -> None:
    assert oracle(CASES["mixed"]) == ["a1", "a2-b3", "b1", "none9"]
    assert oracle(CASES["not mixed"]) == ["a4999", "a5000", "b2", "c9", "no-code", "nothing"]
    assert oracle(CASES["big"]) == ["a4999"]
    assert oracle(CASES["empty"]) == [] and len(oracle(CASES["not empty"])) == len(WORLD)


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_backend_agrees_with_the_oracle(seeded: Store, case: str) -> None:
    criteria = CASES[case]
    request = SearchRequest("Patient", criteria, count=100)
    page = seeded.search(request, with_total=True)
    found = sorted(r.id for r in page.resources)
    assert found == oracle(criteria) and page.total == len(found)
    # paged by cursor (SQLite: the first-page planner's lists, streams and probes)
    small, paged = replace(request, count=2), []
    while True:
        step = seeded.search(small, with_total=False)
        paged += [r.id for r in step.resources]
        if step.next_cursor is None:
            break
        small = replace(small, cursor=step.next_cursor)
    assert sorted(paged) == found


def test_sqlite_binds_one_json_array_per_system() -> None:
    compiled = compile_criterion("Patient", criterion(MIXED))
    sql, params = compiled.member
    assert sql.count("json_each(?)") == 3 and "system IS NULL" in sql  # A, B and the system-less members
    arrays = [json.loads(p) for p in params if isinstance(p, str) and p.startswith("[")]
    assert arrays == [["9"], ["1", "2"], ["1"]]  # the system-less group, A, B; each array sorted
    big_sql, big_params = compile_criterion("Patient", criterion(BIG)).member
    assert len(big_params) < 10 and big_sql.count("?") == len(big_params)  # not one parameter per code
    assert compiled.source is not None and compiled.stream is None
    negated = compile_criterion("Patient", criterion(MIXED, True))
    assert negated.member[0].startswith("r.rid NOT IN") and negated.source is None


def test_sqlite_seeks_the_token_index_code_by_code(tmp_path: Path, clock: FakeClock) -> None:
    store = open_store(store_url("sqlite", tmp_path), clock)
    try:
        with store.unit_of_work() as uow:
            for rid, index in WORLD.items():
                uow.write(patient(rid), index, method="PUT")
    finally:
        store.close()
    request = SearchRequest("Patient", (criterion(BIG),))
    (statement,) = unsorted_page(request, lambda _: 0)  # a narrow criterion drives the page as a list
    with sqlite3.connect(tmp_path / "db" / "store.sqlite3") as conn:
        plan = "; ".join(
            row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + statement.sql, statement.params)
        )
        rows = conn.execute(statement.sql, statement.params).fetchall()
    assert "SEARCH idx USING COVERING INDEX idx_search (pid=? AND k1=? AND k2=?)" in plan
    assert "SCAN idx" not in plan and len(rows) == 1
