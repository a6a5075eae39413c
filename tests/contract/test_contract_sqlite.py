"""What only the SQLite backend has: a file that outlives the process, a schema version, several
writers on one file, and SQL that refuses what it cannot compile."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from fhir_server.model.outcome import FhirError
from fhir_server.search.index import IndexValues, StringValue, TokenValue
from fhir_server.search.request import Criterion, NumberQuery, SearchRequest, StringQuery, TokenQuery
from fhir_server.storage.base import HistoryQuery, StoredResource, StoreUnavailable, VersionConflict
from fhir_server.storage.sqlite import SqliteStore
from fhir_server.storage.sqlite.schema import SCHEMA_VERSION
from tests.contract.conftest import FakeClock, body, delete, patient, put, run_threads

NAME = IndexValues(strings=(StringValue("name", "nguyen", "Nguyễn"),))


def test_data_survives_close_and_reopen(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "fhir.sqlite3"
    store = SqliteStore(path, clock)
    put(store, patient("p1"), NAME)
    put(store, patient("p1", gender="male"), NAME)
    put(store, patient("p2"))
    delete(store, "Patient", "p2")
    store.close()

    reopened = SqliteStore(path, clock)
    try:
        current = reopened.read("Patient", "p1")
        assert current is not None and current.version == 2 and body(current)["gender"] == "male"
        assert (reopened.vread("Patient", "p1", 1) or current).version == 1
        gone = reopened.read("Patient", "p2")
        assert gone is not None and gone.deleted
        assert reopened.history(HistoryQuery()).total == 4
        found = reopened.search(
            SearchRequest("Patient", (Criterion("name", "string", None, (StringQuery("ngu"),)),)),
            with_total=True,
        )
        assert [r.id for r in found.resources] == ["p1"]
        assert put(reopened, patient("p1")).version == 3
    finally:
        reopened.close()


def test_file_is_in_wal_mode_with_the_schema_version(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "fhir.sqlite3"
    store = SqliteStore(path, clock)
    health = store.health()
    store.close()
    assert health["schema_version"] == SCHEMA_VERSION and health["path"] == str(path)
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("SELECT max(version) FROM schema_version").fetchone()[0] == SCHEMA_VERSION


def test_a_newer_schema_is_refused(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "fhir.sqlite3"
    SqliteStore(path, clock).close()
    with sqlite3.connect(path) as raw:
        raw.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION + 1,))
    with pytest.raises(RuntimeError, match="newer"):
        SqliteStore(path, clock)


def test_a_closed_store_refuses_work(tmp_path: Path, clock: FakeClock) -> None:
    store = SqliteStore(tmp_path / "fhir.sqlite3", clock)
    store.close()
    with pytest.raises(StoreUnavailable):
        store.read("Patient", "p1")


def test_two_stores_on_one_file_serialise_their_writers(tmp_path: Path) -> None:
    """Two store objects stand for two server processes: only BEGIN IMMEDIATE orders them."""
    clock = FakeClock()
    path = tmp_path / "fhir.sqlite3"
    stores = [SqliteStore(path, clock), SqliteStore(path, clock)]
    try:
        put(stores[0], patient("p1"))
        results = run_threads(20, lambda i: put(stores[i % 2], patient("p1"), expected_version=1))
        assert sum(isinstance(r, StoredResource) for r in results) == 1
        assert sum(isinstance(r, VersionConflict) for r in results) == 19
        results = run_threads(20, lambda i: put(stores[i % 2], patient("p1")))
        assert sorted(r.version for r in results if isinstance(r, StoredResource)) == list(range(3, 23))
    finally:
        for store in stores:
            store.close()


def _increment_many(path: str, start: Any, threads: int, rounds: int) -> None:
    """Child process: read-check-write updates with the version just read, from several threads."""
    store = SqliteStore(Path(path), FakeClock())
    start.wait()  # both processes write at the same time, not one after the other

    def work() -> None:
        for _ in range(rounds):
            with store.unit_of_work() as uow:
                current = uow.read("Patient", "p1")
                assert current is not None
                uow.write(patient("p1"), IndexValues(), method="PUT", expected_version=current.version)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    store.close()


def test_writers_in_several_processes_never_lose_an_update(tmp_path: Path) -> None:
    """What `uvicorn --workers 2` does to the file: every read-check-write must land, none may conflict."""
    path = tmp_path / "fhir.sqlite3"
    store = SqliteStore(path, FakeClock())
    try:
        put(store, patient("p1"))
        spawn = multiprocessing.get_context("spawn")
        start = spawn.Barrier(2)
        children = [spawn.Process(target=_increment_many, args=(str(path), start, 4, 25)) for _ in range(2)]
        for child in children:
            child.start()
        for child in children:
            child.join()
        assert [child.exitcode for child in children] == [0, 0]
        current = store.read("Patient", "p1")
        assert current is not None and current.version == 1 + 2 * 4 * 25
        assert store.history(HistoryQuery("Patient", "p1")).total == current.version
    finally:
        store.close()


@pytest.mark.parametrize(
    "criterion",
    [
        Criterion("code", "token", "in", (TokenQuery(None, "x"),)),
        Criterion("code", "token", "below", (TokenQuery(None, "x"),)),
        Criterion("name", "string", "text", (StringQuery("x"),)),
        Criterion("n", "number", "exact", (NumberQuery("eq", 1.0, 0.95, 1.05),)),
        Criterion("combo", "composite", None, (TokenQuery(None, "x"),)),
        Criterion("name", "string", None, (TokenQuery(None, "x"),)),
    ],
)
def test_what_cannot_be_compiled_is_a_400_not_supported(tmp_path: Path, criterion: Criterion) -> None:
    store = SqliteStore(tmp_path / "fhir.sqlite3", FakeClock())
    try:
        with pytest.raises(FhirError) as error:
            store.search(SearchRequest("Patient", (criterion,)), with_total=True)
        assert error.value.status == 400 and error.value.issues[0].code == "not-supported"
    finally:
        store.close()


def test_values_never_become_sql(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "fhir.sqlite3", FakeClock())
    try:
        put(store, patient("p1"), IndexValues(tokens=(TokenValue("code", None, "x"),)))
        hostile = "x' OR 1=1 --"
        request = SearchRequest(
            "Patient", (Criterion("code", "token", None, (TokenQuery(hostile, hostile),)),)
        )
        assert store.search(request, with_total=True).total == 0
    finally:
        store.close()
