"""Units of work: all or nothing, read-your-writes, and one writer at a time under thread races."""

from __future__ import annotations

import pytest

from fhir_server.search.index import IndexValues, TokenValue
from fhir_server.search.request import Criterion, SearchRequest, TokenQuery
from fhir_server.storage.base import HistoryQuery, Store, StoredResource, VersionConflict
from tests.contract.conftest import body, delete, patient, put, run_threads

CCCD = "https://fhir.vn/sid/cccd"


def identifier_index(value: str) -> IndexValues:
    return IndexValues(tokens=(TokenValue("identifier", CCCD, value),))


def by_identifier(value: str) -> SearchRequest:
    return SearchRequest("Patient", (Criterion("identifier", "token", None, (TokenQuery(CCCD, value),)),))


class Boom(Exception):
    pass


def test_failed_unit_of_work_leaves_nothing(store: Store) -> None:
    put(store, patient("kept"), identifier_index("1"))
    with pytest.raises(Boom), store.unit_of_work() as uow:
        uow.write(patient("new"), identifier_index("2"), method="POST")
        uow.write(patient("kept", gender="male"), identifier_index("3"), method="PUT")
        uow.delete("Patient", "kept")
        raise Boom
    assert store.read("Patient", "new") is None
    kept = store.read("Patient", "kept")
    assert kept is not None and kept.version == 1 and body(kept)["gender"] == "female"
    assert store.history(HistoryQuery()).total == 1
    assert store.search(by_identifier("2"), with_total=True).total == 0
    assert store.search(by_identifier("3"), with_total=True).total == 0
    assert [r.id for r in store.search(by_identifier("1"), with_total=True).resources] == ["kept"]
    # The store is still usable afterwards.
    assert put(store, patient("new")).version == 1


def test_a_version_conflict_inside_a_unit_of_work_undoes_its_earlier_writes(store: Store) -> None:
    put(store, patient("p1"))
    with pytest.raises(VersionConflict), store.unit_of_work() as uow:
        uow.write(patient("p2"), IndexValues(), method="POST")
        uow.write(patient("p1"), IndexValues(), method="PUT", expected_version=7)
    assert store.read("Patient", "p2") is None


def test_writes_are_visible_inside_their_unit_of_work(store: Store) -> None:
    with store.unit_of_work() as uow:
        first = uow.write(patient("p1"), identifier_index("9"), method="POST")
        assert uow.read("Patient", "p1") == first
        assert uow.search_ids(by_identifier("9"), limit=5) == ["p1"]
        second = uow.write(patient("p1"), identifier_index("10"), method="PUT", expected_version=1)
        assert second.version == 2
        assert uow.search_ids(by_identifier("9"), limit=5) == []
        deleted = uow.delete("Patient", "p1")
        assert deleted is not None and deleted.version == 3
        assert uow.search_ids(by_identifier("10"), limit=5) == []
    assert store.read("Patient", "p1") == deleted
    assert store.history(HistoryQuery("Patient", "p1")).total == 3


def test_search_ids_respects_the_limit(store: Store) -> None:
    for i in range(5):
        put(store, patient(f"p{i}"), identifier_index("same"))
    with store.unit_of_work() as uow:
        assert uow.search_ids(by_identifier("same"), limit=2) == ["p0", "p1"]
        assert uow.search_ids(by_identifier("other"), limit=2) == []


def test_racing_updates_with_the_same_expected_version_exactly_one_wins(store: Store) -> None:
    put(store, patient("p1"))

    def update(i: int) -> StoredResource:
        return put(store, patient("p1", gender="male", text={"status": "generated"}), expected_version=1)

    results = run_threads(20, update)
    winners = [r for r in results if isinstance(r, StoredResource)]
    losers = [r for r in results if isinstance(r, VersionConflict)]
    assert len(winners) == 1 and len(losers) == 19
    assert all(loser.current == 2 for loser in losers)
    current = store.read("Patient", "p1")
    assert current is not None and current.version == 2


def test_racing_updates_without_expected_version_all_land_as_successive_versions(store: Store) -> None:
    put(store, patient("p1"))
    results = run_threads(20, lambda i: put(store, patient("p1", name=[{"text": f"n{i}"}])))
    assert sorted(r.version for r in results if isinstance(r, StoredResource)) == list(range(2, 22))
    current = store.read("Patient", "p1")
    assert current is not None and current.version == 21
    texts = {body(v)["name"][0]["text"] for v in (store.vread("Patient", "p1", n) for n in range(2, 22)) if v}
    assert texts == {f"n{i}" for i in range(20)}


def test_conditional_create_from_many_threads_creates_exactly_one(store: Store) -> None:
    def create_if_none_exist(i: int) -> str:
        with store.unit_of_work() as uow:
            found = uow.search_ids(by_identifier("079226000123"), limit=2)
            if found:
                return found[0]
            return uow.write(patient(f"c{i}"), identifier_index("079226000123"), method="POST").id

    results = run_threads(20, create_if_none_exist)
    assert all(isinstance(r, str) for r in results), results
    assert len(set(results)) == 1
    page = store.search(by_identifier("079226000123"), with_total=True)
    assert page.total == 1 and page.resources[0].id == results[0]


def test_delete_racing_with_updates_never_loses_a_version(store: Store) -> None:
    put(store, patient("p1"))

    def work(i: int) -> object:
        return delete(store, "Patient", "p1") if i % 5 == 0 else put(store, patient("p1"))

    run_threads(10, work)
    current = store.read("Patient", "p1")
    assert current is not None
    versions = [store.vread("Patient", "p1", v) for v in range(1, current.version + 1)]
    assert all(v is not None for v in versions)
    assert store.history(HistoryQuery("Patient", "p1")).total == current.version
