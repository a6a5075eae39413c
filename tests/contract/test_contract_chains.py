"""Chained parameters and `_has` on every backend, over hand-built index values (memory is the oracle)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from fhir_server.search.index import IndexValues, ReferenceValue, StringValue, TokenValue
from fhir_server.search.request import (
    ChainQuery,
    Criterion,
    HasQuery,
    QueryValue,
    ReferenceQuery,
    SearchRequest,
    StringQuery,
    TokenQuery,
)
from fhir_server.storage.base import Store
from fhir_server.storage.factory import open_store
from fhir_server.storage.sqlite.query import page_statements
from tests.contract.conftest import FakeClock, delete, put, store_url

CVX = "http://hl7.org/fhir/sid/cvx"
CCCD = "https://cccd.gov.vn"


def ref(param: str, target_type: str, id: str) -> ReferenceValue:
    return ReferenceValue(param, target_type, id, f"{target_type}/{id}")


def name(text: str) -> StringValue:
    return StringValue("name", text, text)


def resource(store: Store, resource_type: str, id: str, index: IndexValues) -> None:
    body: dict[str, Any] = {"resourceType": resource_type, "id": id}
    put(store, body, index)


def seed(store: Store) -> None:
    resource(store, "Organization", "o1", IndexValues(strings=(name("vnvc"),)))
    resource(store, "Organization", "o2", IndexValues(strings=(name("other"),)))
    for id, family, cccd, org in (("p1", "nguyen", "001", "o1"), ("p2", "tran", "002", "o2")):
        index = IndexValues(
            strings=(name(family),),
            tokens=(TokenValue("identifier", CCCD, cccd),),
            references=(ref("organization", "Organization", org),),
        )
        resource(store, "Patient", id, index)
    resource(store, "Location", "l1", IndexValues(strings=(name("nguyen"),)))
    for id, patient, code in (("i1", "p1", "08"), ("i2", "p2", "08"), ("i3", "p1", "20"), ("i4", "p9", "08")):
        index = IndexValues(
            tokens=(TokenValue("vaccine-code", CVX, code),), references=(ref("patient", "Patient", patient),)
        )
        resource(store, "Immunization", id, index)
    for id, subject in (("ob1", ref("subject", "Patient", "p1")), ("ob2", ref("subject", "Location", "l1"))):
        resource(store, "Observation", id, IndexValues(references=(subject,)))


def c(param: str, type: Any, *values: QueryValue, modifier: str | None = None) -> Criterion:
    return Criterion(param, type, modifier, values)


def ids(store: Store, resource_type: str, *criteria: Criterion) -> list[str]:
    request = SearchRequest(resource_type, criteria, count=100)
    page = store.search(request, with_total=True)
    found = [r.id for r in page.resources]
    assert page.total == len(found)
    with store.unit_of_work() as uow:
        assert uow.search_ids(request, limit=100) == found
    return found


def chain(param: str, target: str, inner: Criterion) -> Criterion:
    return c(param, "reference", ChainQuery(target, inner))


def test_chain_on_a_token_and_a_string(store: Store) -> None:
    seed(store)
    by_cccd = chain("patient", "Patient", c("identifier", "token", TokenQuery(CCCD, "001")))
    assert ids(store, "Immunization", by_cccd) == ["i1", "i3"]
    by_name = chain("patient", "Patient", c("name", "string", StringQuery("tran"), StringQuery("zz")))
    assert ids(store, "Immunization", by_name) == ["i2"]
    nobody = chain("patient", "Patient", c("identifier", "token", TokenQuery(CCCD, "999")))
    assert ids(store, "Immunization", nobody) == []


def test_chain_and_other_criteria_combine(store: Store) -> None:
    seed(store)
    by_cccd = chain("patient", "Patient", c("identifier", "token", TokenQuery(None, "001")))
    code = c("vaccine-code", "token", TokenQuery(CVX, "20"))
    assert ids(store, "Immunization", by_cccd, code) == ["i3"]


def test_two_hops(store: Store) -> None:
    seed(store)
    org = chain("organization", "Organization", c("name", "string", StringQuery("vnvc")))
    assert ids(store, "Observation", chain("subject", "Patient", org)) == ["ob1"]
    other = chain("organization", "Organization", c("name", "string", StringQuery("other")))
    assert ids(store, "Observation", chain("subject", "Patient", other)) == []


def test_or_over_target_types_keeps_types_apart(store: Store) -> None:
    seed(store)
    inner = c("name", "string", StringQuery("nguyen"))
    both = c("subject", "reference", ChainQuery("Patient", inner), ChainQuery("Location", inner))
    assert ids(store, "Observation", both) == ["ob1", "ob2"]
    assert ids(store, "Observation", chain("subject", "Location", inner)) == ["ob2"]


def test_deleted_targets_never_satisfy_a_chain(store: Store) -> None:
    seed(store)
    delete(store, "Patient", "p2")
    by_name = chain("patient", "Patient", c("name", "string", StringQuery("tran")))
    assert ids(store, "Immunization", by_name) == []


def test_has(store: Store) -> None:
    seed(store)
    has_08 = c(
        "_has",
        "reference",
        HasQuery("Immunization", "patient", c("vaccine-code", "token", TokenQuery(CVX, "08"))),
    )
    assert ids(store, "Patient", has_08) == ["p1", "p2"]
    has_20 = c(
        "_has",
        "reference",
        HasQuery("Immunization", "patient", c("vaccine-code", "token", TokenQuery(None, "20"))),
    )
    assert ids(store, "Patient", has_20) == ["p1"]
    assert ids(store, "Patient", has_20, c("name", "string", StringQuery("tran"))) == []
    # Only references to the searched type count: Observation ob2 refers to a Location.
    has_obs = c(
        "_has", "reference", HasQuery("Observation", "subject", c("_id", "token", TokenQuery(None, "ob2")))
    )
    assert ids(store, "Patient", has_obs) == []
    assert ids(store, "Location", has_obs) == ["l1"]


def test_deleted_referrers_never_satisfy_has(store: Store) -> None:
    seed(store)
    delete(store, "Immunization", "i3")
    has_20 = c(
        "_has",
        "reference",
        HasQuery("Immunization", "patient", c("vaccine-code", "token", TokenQuery(None, "20"))),
    )
    assert ids(store, "Patient", has_20) == []


def test_nested_has_and_has_in_a_chain(store: Store) -> None:
    seed(store)
    has_08 = c(
        "_has",
        "reference",
        HasQuery("Immunization", "patient", c("vaccine-code", "token", TokenQuery(CVX, "20"))),
    )
    # Organizations whose patients have a dose of CVX 20.
    nested = c("_has", "reference", HasQuery("Patient", "organization", has_08))
    assert ids(store, "Organization", nested) == ["o1"]
    # Immunizations of patients who have a dose of CVX 20.
    assert ids(store, "Immunization", chain("patient", "Patient", has_08)) == ["i1", "i3"]


def test_plain_reference_still_works_next_to_chains(store: Store) -> None:
    seed(store)
    plain = c("patient", "reference", ReferenceQuery("Patient", "p2", None))
    assert ids(store, "Immunization", plain) == ["i2"]


def test_sqlite_plans_seek_the_search_index(tmp_path: Path, clock: FakeClock) -> None:
    """Chains and `_has` are driven by idx_search seeks and rowid ranges: no table scan anywhere."""
    store = open_store(store_url("sqlite", tmp_path), clock)
    try:
        seed(store)
    finally:
        store.close()
    has_08 = c(
        "_has",
        "reference",
        HasQuery("Immunization", "patient", c("vaccine-code", "token", TokenQuery(CVX, "08"))),
    )
    org = chain("organization", "Organization", c("name", "string", StringQuery("vnvc")))
    requests = [
        SearchRequest(
            "Immunization", (chain("patient", "Patient", c("identifier", "token", TokenQuery(CCCD, "001"))),)
        ),
        SearchRequest("Observation", (chain("subject", "Patient", org),)),
        SearchRequest("Patient", (has_08,)),
    ]
    conn = sqlite3.connect(tmp_path / "db" / "store.sqlite3")
    try:
        for request in requests:
            count = lambda s: int(conn.execute(s.sql, s.params).fetchone()[0])  # noqa: E731
            (statement,) = page_statements(request, count)  # narrow: one list-driven statement
            plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + statement.sql, statement.params)]
            assert any("idx_search (pid=? AND k1" in step for step in plan), plan
            assert not any(step.startswith("SCAN") and step != "SCAN p" for step in plan), "; ".join(plan)
    finally:
        conn.close()
