"""What only the MongoDB backend has: the transactions flag, the commit's atomicity on each deployment,
the documents it writes, and /health when the server is gone."""

from __future__ import annotations

import pytest
from pymongo import MongoClient

from fhir_server.search.index import IndexValues, ReferenceValue
from fhir_server.storage.base import HistoryQuery, StoreUnavailable, VersionConflict
from fhir_server.storage.mongo import MongoStore
from tests.contract import mongo_backend
from tests.contract.conftest import FakeClock, patient, put


@pytest.fixture
def mongo() -> MongoStore:
    store = mongo_backend.open_mongo(FakeClock())
    yield store  # type: ignore[misc]
    mongo_backend.drop(store)
    store.close()


def test_transactions_flag_follows_the_deployment(mongo: MongoStore) -> None:
    if mongo.server == "mongomock":
        assert mongo.supports_transactions is False  # mongomock has no sessions
    else:
        assert mongo.supports_transactions == (mongo.server != "standalone")
    assert mongo.health()["transactions"] is mongo.supports_transactions


def test_a_commit_failing_midway_is_undone_only_where_transactions_exist(mongo: MongoStore) -> None:
    """Another writer bypassing the locks changes p2 between its read and the commit: the commit's
    compare-and-set on p2 fails. With transactions p1's write is rolled back too; without, p1 has
    landed, which is exactly why `supports_transactions` is False there and transaction Bundles are
    refused."""
    put(mongo, patient("p2"))
    with pytest.raises(VersionConflict), mongo.unit_of_work() as uow:
        uow.write(patient("p1"), IndexValues(), method="POST")
        uow.write(patient("p2", gender="male"), IndexValues(), method="PUT")
        mongo.resources.update_one({"_id": "Patient/p2"}, {"$set": {"v": 5}})
    p1 = mongo.read("Patient", "p1")
    if mongo.supports_transactions:
        assert p1 is None
        assert mongo.history(HistoryQuery()).total == 1
    else:
        assert p1 is not None and p1.version == 1


def test_documents_carry_the_compartment_and_keep_it_when_deleted(mongo: MongoStore) -> None:
    index = IndexValues(references=(ReferenceValue("patient", "Patient", "child-1", "Patient/child-1"),))
    put(mongo, {"resourceType": "Immunization", "id": "i1", "status": "completed"}, index)
    with mongo.unit_of_work() as uow:
        uow.delete("Immunization", "i1")
    doc = mongo.resources.find_one({"_id": "Immunization/i1"})
    assert doc is not None and doc["pc"] == "child-1" and doc["del"] is True and doc["_idx"] == {}
    versions = list(mongo.history_collection.find({"t": "Immunization", "id": "i1"}))
    assert [v["pc"] for v in versions] == ["child-1", "child-1"]


def test_locks_are_released_after_each_unit_of_work(mongo: MongoStore) -> None:
    put(mongo, patient("p1"))
    with pytest.raises(RuntimeError), mongo.unit_of_work() as uow:
        uow.read("Patient", "p1")
        raise RuntimeError
    assert mongo.locks._collection.count_documents({}) == 0


def test_reads_and_health_fail_clearly_when_the_server_is_gone(
    mongo: MongoStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone: MongoClient[dict[str, object]] = MongoClient("mongodb://127.0.0.1:1", serverSelectionTimeoutMS=200)
    monkeypatch.setattr(mongo, "client", gone)
    with pytest.raises(Exception, match=r"127\.0\.0\.1:1"):
        mongo.health()
    monkeypatch.setattr(mongo, "_reader", gone.db.resources)
    with pytest.raises(StoreUnavailable, match="ServerSelectionTimeoutError"):
        mongo.read("Patient", "p1")
    gone.close()


def test_a_unit_of_work_whose_commit_hits_a_server_error_is_a_store_unavailable(
    mongo: MongoStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone: MongoClient[dict[str, object]] = MongoClient("mongodb://127.0.0.1:1", serverSelectionTimeoutMS=200)
    monkeypatch.setattr(mongo, "resources", gone.db.resources)
    with pytest.raises(StoreUnavailable), mongo.unit_of_work() as uow:
        uow.write(patient("p1"), IndexValues(), method="POST")
    gone.close()


def test_chains_over_too_many_targets_are_refused_as_too_costly(
    mongo: MongoStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fhir_server.model.outcome import FhirError
    from fhir_server.search.index import TokenValue
    from fhir_server.search.request import ChainQuery, Criterion, SearchRequest, TokenQuery
    from fhir_server.storage.mongo import joins as store_module

    for n in range(3):
        put(mongo, patient(f"p{n}"), IndexValues(tokens=(TokenValue("gender", None, "female"),)))
    female = Criterion("gender", "token", None, (TokenQuery(None, "female"),))
    chain = Criterion("patient", "reference", None, (ChainQuery("Patient", female),))
    monkeypatch.setattr(store_module, "MAX_JOIN_IDS", 3)
    assert mongo.search(SearchRequest("Immunization", (chain,)), with_total=False).resources == []
    monkeypatch.setattr(store_module, "MAX_JOIN_IDS", 2)
    with pytest.raises(FhirError) as raised:
        mongo.search(SearchRequest("Immunization", (chain,)), with_total=False)
    assert raised.value.status == 400
    assert raised.value.issues[0].code == "too-costly"


def test_an_immunization_moved_to_another_child_moves_compartment(mongo: MongoStore) -> None:
    from fhir_server.search.request import Criterion, ReferenceQuery, SearchRequest

    def of(child: str) -> IndexValues:
        return IndexValues(references=(ReferenceValue("patient", "Patient", child, f"Patient/{child}"),))

    def search(child: str) -> list[str]:
        criterion = Criterion("patient", "reference", None, (ReferenceQuery("Patient", child, None),))
        return [
            r.id
            for r in mongo.search(SearchRequest("Immunization", (criterion,)), with_total=False).resources
        ]

    immunization = {"resourceType": "Immunization", "id": "i1", "status": "completed"}
    put(mongo, immunization, of("a"))
    put(mongo, immunization, of("b"))  # a record merge points it at another child
    assert search("b") == ["i1"] and search("a") == []
    doc = mongo.resources.find_one({"_id": "Immunization/i1"})
    assert doc is not None and doc["pc"] == "b"


def test_searches_are_answered_from_an_index(mongo: MongoStore) -> None:
    if mongo.server == "mongomock":
        pytest.skip("needs a real MongoDB (FHIR_TEST_MONGODB_URL): mongomock has no query planner")
    from fhir_server.search.index import TokenValue
    from fhir_server.search.request import Criterion, SearchRequest, TokenQuery
    from fhir_server.storage.mongo.query import request_filter
    from fhir_server.storage.mongo.store import _plan_summary

    for n in range(50):
        put(mongo, patient(f"p{n}"), IndexValues(tokens=(TokenValue("identifier", "cccd", f"{n:012d}"),)))
    criterion = Criterion("identifier", "token", None, (TokenQuery("cccd", "000000000007"),))
    condition = request_filter(SearchRequest("Patient", (criterion,)), mongo.joins)
    plan = mongo.resources.find(condition).explain()["queryPlanner"]["winningPlan"]
    assert any(stage.startswith("IXSCAN") for stage in _plan_summary(plan)), plan


def test_locks_left_behind_by_a_lost_server_do_not_hide_the_error(
    mongo: MongoStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone: MongoClient[dict[str, object]] = MongoClient("mongodb://127.0.0.1:1", serverSelectionTimeoutMS=200)

    def lose_the_server() -> None:
        monkeypatch.setattr(mongo.locks, "_collection", gone.db.locks)

    with pytest.raises(VersionConflict), mongo.unit_of_work() as uow:
        uow.read("Patient", "p1")
        lose_the_server()
        raise VersionConflict("Patient", "p1", 1, None)
    gone.close()
