"""The storage contract suite runs unchanged against every backend through the `store` fixture."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from fhir_server.model.json import loads
from fhir_server.search.index import IndexValues
from fhir_server.storage.base import Store, StoredResource
from fhir_server.storage.factory import open_store
from tests.contract import mongo_backend

START = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)


class FakeClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime = START) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, **delta: float) -> datetime:
        with self._lock:
            self._now += timedelta(**delta)
            return self._now


BACKENDS = ["memory", "sqlite", "mongodb"]


def store_url(backend: str, directory: Path) -> str:
    return "memory://" if backend == "memory" else f"sqlite:///{directory / 'db' / 'store.sqlite3'}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store(backend: str, clock: FakeClock, tmp_path: Path) -> Iterator[Store]:
    if backend == "mongodb":
        mongo = mongo_backend.open_mongo(clock)
        yield mongo
        mongo_backend.drop(mongo)
        mongo.close()
        return
    opened = open_store(store_url(backend, tmp_path), clock)
    yield opened
    opened.close()


def patient(id: str, **elements: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": id, "gender": "female", **elements}


def put(
    store: Store, resource: dict[str, Any], index: IndexValues | None = None, **kw: Any
) -> StoredResource:
    """One write in its own unit of work."""
    with store.unit_of_work() as uow:
        return uow.write(resource, index or IndexValues(), method=kw.pop("method", "PUT"), **kw)


def delete(store: Store, resource_type: str, id: str, **kw: Any) -> StoredResource | None:
    with store.unit_of_work() as uow:
        return uow.delete(resource_type, id, **kw)


def body(stored: StoredResource) -> dict[str, Any]:
    parsed: dict[str, Any] = loads(stored.body)
    return parsed


def run_threads(count: int, work: Callable[[int], object]) -> list[object]:
    """Run `work(i)` on `count` threads released at once; returns results (or the exceptions raised)."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def target(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # collected for the test to inspect
            results[i] = exc

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
