"""Lock documents (on mongomock): one holder at a time, bounded waits, takeover of a dead holder's lock."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import mongomock
import pytest

from fhir_server.search.request import Criterion, SearchRequest, TokenQuery
from fhir_server.storage.base import StoreUnavailable
from fhir_server.storage.mongo.locks import Locks, condition_lock


def _locks(timeout: float = 0.2) -> tuple[Locks, object]:
    collection = mongomock.MongoClient().db.locks
    return Locks(collection, timeout=timeout), collection


def test_a_held_lock_makes_others_wait_then_give_up() -> None:
    locks, _ = _locks(timeout=0.2)
    locks.acquire("r:Patient/1", "a")
    started = time.monotonic()
    with pytest.raises(StoreUnavailable):
        locks.acquire("r:Patient/1", "b")
    assert time.monotonic() - started >= 0.2
    locks.release(["r:Patient/1"], "a")
    locks.acquire("r:Patient/1", "b")  # free again


def test_a_waiter_gets_the_lock_when_the_holder_releases() -> None:
    locks, _ = _locks(timeout=5)
    locks.acquire("x", "a")
    got: list[float] = []
    waiter = threading.Thread(target=lambda: (locks.acquire("x", "b"), got.append(time.monotonic())))
    waiter.start()
    time.sleep(0.05)
    released = time.monotonic()
    locks.release(["x"], "a")
    waiter.join()
    assert got and got[0] >= released


def test_release_only_removes_the_owners_locks() -> None:
    locks, collection = _locks()
    locks.acquire("x", "a")
    locks.release(["x"], "b")
    assert collection.count_documents({"_id": "x"}) == 1  # type: ignore[attr-defined]


def test_an_expired_lock_of_a_dead_holder_is_taken_over() -> None:
    locks, collection = _locks(timeout=0.5)
    past = datetime.now(UTC) - timedelta(seconds=1)
    collection.insert_one({"_id": "x", "owner": "dead", "exp": past})  # type: ignore[attr-defined]
    locks.acquire("x", "alive")
    assert collection.find_one({"_id": "x"})["owner"] == "alive"  # type: ignore[attr-defined]


def test_condition_locks_name_equal_requests_alike_and_hide_the_values() -> None:
    def request(value: str) -> SearchRequest:
        return SearchRequest("Patient", (Criterion("identifier", "token", None, (TokenQuery("s", value),)),))

    assert condition_lock(request("079226000123")) == condition_lock(request("079226000123"))
    assert condition_lock(request("079226000123")) != condition_lock(request("079226000124"))
    assert "079226000123" not in condition_lock(request("079226000123"))
