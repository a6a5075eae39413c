"""Pages without `_sort` driven by one criterion and probed on the others (storage/sqlite/first_page.py):
every plan the SQLite planner can choose returns the memory oracle's ids, page after page, with and
without groups of alternatives (SearchRequest.alternatives)."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from fhir_server.search.index import DateValue, IndexValues, ReferenceValue, StringValue, TokenValue
from fhir_server.search.request import (
    Criterion,
    DateQuery,
    QueryValue,
    ReferenceQuery,
    SearchRequest,
    StringQuery,
    TokenQuery,
)
from fhir_server.storage.base import Store
from fhir_server.storage.factory import open_store
from fhir_server.storage.sqlite import first_page
from fhir_server.storage.sqlite.criteria import Statement
from fhir_server.storage.sqlite.first_page import ESTIMATE_CAP, SCAN_WINDOW, count_statement, unsorted_page
from fhir_server.storage.versioning import encode_position
from tests.contract.conftest import FakeClock, delete, put, store_url
from tests.contract.test_contract_search import us

CVX = "http://hl7.org/fhir/sid/cvx"


def c(param: str, type: str, *values: QueryValue, modifier: str | None = None) -> Criterion:
    return Criterion(param, type, modifier, values)  # type: ignore[arg-type]


def immunization(n: int) -> IndexValues:
    """Every third has code 08 (some twice, under two displays), dates spread over 2023-2025, two
    patients alternate, names for a string criterion."""
    code = "08" if n % 3 == 0 else "20"
    tokens = [TokenValue("vaccine-code", CVX, code, "hep b")]
    if n % 6 == 0:
        tokens.append(TokenValue("vaccine-code", CVX, code, "viem gan b"))  # same code, other display
    year = 2023 + n // 3 % 3
    return IndexValues(
        tokens=tuple(tokens),
        dates=(DateValue("date", us(year, 1 + n % 12, 1 + n % 28), us(year, 1 + n % 12, 2 + n % 28)),),
        references=(ReferenceValue("patient", "Patient", f"p{n % 2}", f"Patient/p{n % 2}"),),
        strings=(StringValue("lot", f"lot{n % 4}", f"LOT{n % 4}"),),
    )


def seed(store: Store) -> None:
    for n in range(40):
        put(store, {"resourceType": "Immunization", "id": f"i{n:02d}"}, immunization(n))
    for n in (3, 12, 25):
        delete(store, "Immunization", f"i{n:02d}")


GE_2024 = DateQuery("ge", us(2024, 1, 1), us(2024, 1, 2))
REQUESTS = {
    "code and date": (c("vaccine-code", "token", TokenQuery(CVX, "08")), c("date", "date", GE_2024)),
    "code only": (c("vaccine-code", "token", TokenQuery(CVX, "08")),),
    "date only": (c("date", "date", GE_2024),),
    "date gt and lt": (
        c("date", "date", DateQuery("gt", us(2023, 6, 1), us(2023, 6, 2))),
        c("date", "date", DateQuery("lt", us(2025, 3, 1), us(2025, 3, 2))),
    ),
    "patient and code": (
        c("patient", "reference", ReferenceQuery("Patient", "p0", None)),
        c("vaccine-code", "token", TokenQuery(CVX, "20")),
    ),
    "lot and not code": (
        c("lot", "string", StringQuery("lot1"), StringQuery("lot2")),
        c("vaccine-code", "token", TokenQuery(CVX, "08"), modifier="not"),
    ),
    "code any system and missing": (
        c("vaccine-code", "token", TokenQuery(None, "08")),
        Criterion("patient", "reference", "missing", (), missing=False),
    ),
    "id and code": (
        c("_id", "token", TokenQuery(None, "i06"), TokenQuery(None, "i07")),
        c("vaccine-code", "token", TokenQuery(CVX, "08")),
    ),
}
# Groups of alternatives (compartments: any of several parameters), ANDed with the criteria.
ALTERNATIVES: dict[str, tuple[tuple[Criterion, ...], ...]] = {
    "patient or lot": (
        (
            c("patient", "reference", ReferenceQuery("Patient", "p1", None)),
            c("lot", "string", StringQuery("lot0")),
        ),
    ),
    "code and (id or date)": ((c("_id", "token", TokenQuery(None, "i00")), c("date", "date", GE_2024)),),
    "two groups": (
        (
            c("patient", "reference", ReferenceQuery("Patient", "p0", None)),
            c("lot", "string", StringQuery("lot1")),
        ),
        (
            c("vaccine-code", "token", TokenQuery(CVX, "08")),
            c("date", "date", DateQuery("lt", us(2024, 1, 1), us(2024, 1, 2))),
        ),
    ),
}
CRITERIA_OF_ALTERNATIVES = {"code and (id or date)": (c("vaccine-code", "token", TokenQuery(CVX, "20")),)}


def template(name: str) -> SearchRequest:
    if name in ALTERNATIVES:
        criteria = CRITERIA_OF_ALTERNATIVES.get(name, ())
        return SearchRequest("Immunization", criteria, alternatives=ALTERNATIVES[name])
    return SearchRequest("Immunization", REQUESTS[name])


NAMES = [*REQUESTS, *ALTERNATIVES]


def all_pages(store: Store, request: SearchRequest) -> list[str]:
    seen: list[str] = []
    while True:
        page = store.search(request, with_total=False)
        seen += [r.id for r in page.resources]
        if page.next_cursor is None:
            return seen
        request = replace(request, cursor=page.next_cursor)


@pytest.fixture
def oracle(clock: FakeClock) -> Store:
    memory = open_store("memory://", clock)
    seed(memory)
    return memory


@pytest.mark.parametrize("name", NAMES)
def test_pages_match_the_oracle(store: Store, oracle: Store, name: str) -> None:
    seed(store)
    request = replace(template(name), count=4)
    expected = all_pages(oracle, replace(request, count=100))
    assert expected, "each row must find something"
    assert all_pages(store, request) == expected
    counted = store.search(request, with_total=True).total
    assert counted == len(expected)


def read_page(conn: sqlite3.Connection, plan: tuple[Statement, ...], count: int) -> list[tuple[Any, ...]]:
    """As the store does: the first statement that fills the page (count + 1 rows), else the last."""
    for n, statement in enumerate(plan, start=1):
        rows = conn.execute(statement.sql, statement.params).fetchall()
        if len(rows) > count or n == len(plan):
            return rows
    raise AssertionError("empty plan")


@pytest.fixture
def seeded_file(tmp_path: Path, clock: FakeClock) -> Path:
    store = open_store(store_url("sqlite", tmp_path), clock)
    try:
        seed(store)
    finally:
        store.close()
    return tmp_path / "db" / "store.sqlite3"


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "plan",
    [(0, SCAN_WINDOW), (ESTIMATE_CAP, SCAN_WINDOW), (ESTIMATE_CAP, 3)],
    ids=["narrow", "broad", "broad-sparse"],
)
def test_every_plan_gives_the_oracle_page(
    seeded_file: Path, oracle: Store, monkeypatch: pytest.MonkeyPatch, name: str, plan: tuple[int, int]
) -> None:
    """Forcing the estimates drives the page by a list (narrow), a stream or a scan of the type (broad);
    a scan window of 3 resources makes the tentative scan fall short so that the list drives after all
    (broad-sparse). The total is counted with the same driver."""
    broad, window = plan  # the estimate of every criterion, the tentative scan's window
    monkeypatch.setattr(first_page, "SCAN_WINDOW", window)
    request = replace(template(name), count=5)
    expected = all_pages(oracle, replace(request, count=100))
    conn = sqlite3.connect(seeded_file)
    try:
        counting = count_statement(request, lambda _: broad)
        assert conn.execute(counting.sql, counting.params).fetchone()[0] == len(expected)
        found: list[str] = []
        while True:
            rows = read_page(conn, unsorted_page(request, lambda _: broad), request.count)
            found += [row[2] for row in rows[: request.count]]
            if len(rows) <= request.count:
                break
            request = replace(request, cursor=encode_position(rows[request.count - 1][0]))
    finally:
        conn.close()
    assert found == expected


def test_broad_token_streams_in_index_order_with_probes(tmp_path: Path, clock: FakeClock) -> None:
    store = open_store(store_url("sqlite", tmp_path), clock)
    try:
        seed(store)
    finally:
        store.close()
    request = SearchRequest("Immunization", REQUESTS["code and date"])
    (statement,) = unsorted_page(request, lambda _: ESTIMATE_CAP)
    with sqlite3.connect(tmp_path / "db" / "store.sqlite3") as conn:
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + statement.sql, statement.params)]
    text = "; ".join(plan)
    assert "SEARCH d USING COVERING INDEX idx_search (pid=? AND k1=? AND k2=?)" in text
    # In index order: nothing built before the first row; only the page itself is sorted, at the end.
    assert text.count("TEMP B-TREE") == 1 and plan[-1] == "USE TEMP B-TREE FOR ORDER BY"
    assert "LIST SUBQUERY" not in text
