"""Derived rows (storage/base.py Summarizer): written by the backend with every write and delete of the
summarized types, in the same unit of work (rolled back with it); trusted only while complete."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fhir_server.search.index import IndexValues, TokenValue
from fhir_server.storage.base import Columns, Store, Summaries
from fhir_server.storage.factory import open_store
from tests.contract import mongo_backend
from tests.contract.conftest import FakeClock, patient, store_url


class Genders:
    """A toy summarizer: one row per Patient, grouped by its gender."""

    resource_types = frozenset({"Patient"})
    kinds = frozenset({"gender"})
    listed: frozenset[str] = frozenset()

    def __call__(self, rows: Summaries, resource_type: str, id: str, columns: Columns | None) -> None:
        if columns is None:
            rows.delete_summary("gender", id)
            return
        gender = str(columns.get("gender", ["|?"])[0]).partition("|")[2]
        rows.put_summary("gender", id, gender, id.encode())


def _index(gender: str) -> IndexValues:
    return IndexValues(tokens=(TokenValue("gender", "http://hl7.org/fhir/administrative-gender", gender),))


def _write(store: Store, id: str, gender: str) -> None:
    with store.unit_of_work() as uow:
        uow.write(patient(id, gender=gender), _index(gender), method="PUT")


@pytest.fixture(params=["memory", "sqlite", "mongodb"])
def kept(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "mongodb":
        mongo = mongo_backend.open_mongo(FakeClock(), (Genders(),))
        yield mongo
        mongo_backend.drop(mongo)
        return
    yield open_store(store_url(str(request.param), tmp_path), FakeClock(), summarizers=(Genders(),))


def test_rows_follow_writes_and_deletes(kept: Store) -> None:
    _write(kept, "a", "female")
    _write(kept, "b", "male")
    _write(kept, "a", "male")  # moves to another group
    assert sorted(kept.summary_rows("gender", ["male", "female"]) or []) == [
        ("a", "male", b"a"), ("b", "male", b"b")
    ]  # fmt: skip
    with kept.unit_of_work() as uow:
        uow.delete("Patient", "b")
    assert kept.summary_rows("gender", ["male"]) == [("a", "male", b"a")]
    kept.close()


def test_a_failed_unit_of_work_leaves_no_row(kept: Store) -> None:
    with pytest.raises(RuntimeError), kept.unit_of_work() as uow:
        uow.write(patient("a", gender="female"), _index("female"), method="PUT")
        raise RuntimeError("crash before commit")
    assert kept.summary_rows("gender", ["female"]) == []
    kept.close()


def test_rows_nobody_keeps_are_not_trusted(store: Store) -> None:
    """Without the summarizer the store answers None: compute from the index."""
    assert store.summary_rows("gender", ["female"]) is None


def test_a_file_written_without_the_summarizer_is_incomplete_until_marked(tmp_path: Path) -> None:
    url = store_url("sqlite", tmp_path)
    fresh = open_store(url, FakeClock(), summarizers=(Genders(),))
    _write(fresh, "a", "female")
    fresh.close()
    bare = open_store(url, FakeClock())  # an older server: its writes leave no rows
    _write(bare, "b", "female")
    bare.close()
    again = open_store(url, FakeClock(), summarizers=(Genders(),))
    assert again.summary_rows("gender", ["female"]) is None  # "b" is missing: not complete any more
    with again.unit_of_work() as uow:  # what a rebuild does, then marks the kind complete
        rows = uow.derived()
        assert rows is not None
        rows.clear_summaries("gender")
        for id in ("a", "b"):
            rows.put_summary("gender", id, "female", id.encode())
        uow.save_checkpoint("summary:gender", b"1")
    assert sorted(again.summary_rows("gender", ["female"]) or []) == [
        ("a", "female", b"a"),
        ("b", "female", b"b"),
    ]
    again.close()


class Tally:
    """A toy summarizer that reads a group: one row per Observation grouped by its subject, and a total
    per subject recomputed from that group on every write (what the coverage child row does)."""

    resource_types = frozenset({"Observation"})
    kinds = frozenset({"obs", "total"})
    listed = frozenset({"obs"})

    def __call__(self, rows: Summaries, resource_type: str, id: str, columns: Columns | None) -> None:
        subject = str((columns or {}).get("subject", [""])[0])
        rows.put_summary("obs", id, subject, b"1")
        count = len(rows.summaries("obs", subject))
        time.sleep(0.002)  # lets the other writer run between the read and the write: the race, made likely
        rows.put_summary("total", subject, "all", str(count).encode())


def test_concurrent_writes_about_one_subject_lose_no_row(backend: str, tmp_path: Path) -> None:
    """Two writers adding rows to the same group at once: the total that reads the group counts both
    (SQLite and memory: one writer at a time; MongoDB: the group's lock)."""
    import threading

    from fhir_server.search.index import ReferenceValue

    if backend == "mongodb":
        store: Store = mongo_backend.open_mongo(FakeClock(), (Tally(),))
    else:
        store = open_store(store_url(backend, tmp_path), FakeClock(), summarizers=(Tally(),))

    about_p1 = IndexValues(references=(ReferenceValue("subject", "Patient", "p1", "Patient/p1"),))

    def add(prefix: str) -> None:
        for n in range(8):
            with store.unit_of_work() as uow:
                resource = {"resourceType": "Observation", "id": f"{prefix}{n}", "status": "final"}
                uow.write(resource, about_p1, method="PUT")

    writers = [threading.Thread(target=add, args=(prefix,)) for prefix in ("a", "b")]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert store.summary_rows("total", ["all"]) == [("p1", "all", b"16")]
    assert len(store.summary_rows("obs", ["p1"]) or []) == 16
    if backend == "mongodb":
        mongo_backend.drop(store)  # type: ignore[arg-type]
    store.close()


def test_writers_about_different_groups_in_opposite_orders_do_not_deadlock(
    backend: str, tmp_path: Path
) -> None:
    """Groups nobody lists are never locked (MongoDB): two units of work writing rows of the same two
    groups in opposite orders both commit (with group locks they would wait on each other until the lock
    timeout). The coverage child rows are such a kind: grouped by station, written by import batches."""
    import threading

    if backend == "mongodb":
        store: Store = mongo_backend.open_mongo(FakeClock(), (Genders(),))
    else:
        store = open_store(store_url(backend, tmp_path), FakeClock(), summarizers=(Genders(),))
    errors: list[BaseException] = []

    def write(first: tuple[str, str], second: tuple[str, str]) -> None:
        try:
            with store.unit_of_work() as uow:
                for n, (id, gender) in enumerate((first, second)):
                    uow.write(patient(id, gender=gender), _index(gender), method="PUT")
                    if n == 0:
                        time.sleep(0.2)  # both hold their first group now
        except BaseException as exc:
            errors.append(exc)

    writers = [
        threading.Thread(target=write, args=(("a", "female"), ("b", "male"))),
        threading.Thread(target=write, args=(("c", "male"), ("d", "female"))),
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert errors == []
    assert len(store.summary_rows("gender", ["female", "male"]) or []) == 4
    if backend == "mongodb":
        mongo_backend.drop(store)  # type: ignore[arg-type]
    store.close()


def test_mongodb_without_transactions_distrusts_rows_a_crashed_commit_may_have_left() -> None:
    """A standalone MongoDB writes a commit's resources, then its rows: a crash in between leaves the
    commit's pending mark, and the rows are not trusted until a rebuild."""
    from fhir_server.storage.mongo.unit_of_work import MongoUnitOfWork

    store = mongo_backend.open_mongo(FakeClock(), (Genders(),))
    if store.supports_transactions:  # a real replica set: the commit is one transaction
        mongo_backend.drop(store)
        return
    _write(store, "a", "female")
    assert store.summary_rows("gender", ["female"]) == [("a", "female", b"a")]
    apply = MongoUnitOfWork._apply

    def crash(self: MongoUnitOfWork, *args: object) -> None:
        apply(self, *args)  # type: ignore[arg-type]
        raise RuntimeError("the process died before the rows were written")

    MongoUnitOfWork._apply = crash  # type: ignore[method-assign]
    try:
        with pytest.raises(RuntimeError):
            _write(store, "b", "female")
    finally:
        MongoUnitOfWork._apply = apply  # type: ignore[method-assign]
    assert store.read("Patient", "b") is not None and store.summary_rows("gender", ["female"]) is None
    with store.unit_of_work() as uow:  # what `coverage rebuild` does
        rows = uow.derived()
        assert rows is not None
        rows.clear_summaries("gender")
        for id in ("a", "b"):
            rows.put_summary("gender", id, "female", id.encode())
        uow.save_checkpoint("summary:gender", b"1")
    assert len(store.summary_rows("gender", ["female"]) or []) == 2
    mongo_backend.drop(store)


def test_sqlite_reads_a_group_through_its_index(tmp_path: Path) -> None:
    """One child's doses are found by the (kind, group) index, never by scanning every row of the kind:
    without statistics SQLite's planner picks the primary key's `kind` prefix, and each write then cost
    time in proportion to the whole country's doses."""
    import sqlite3

    from fhir_server.storage.sqlite.summaries import GROUP_ROWS

    store = open_store(store_url("sqlite", tmp_path), FakeClock(), summarizers=(Genders(),))
    _write(store, "a", "female")
    store.close()
    with sqlite3.connect(tmp_path / "db" / "store.sqlite3") as conn:
        plan = conn.execute(
            "EXPLAIN QUERY PLAN " + GROUP_ROWS.format(marks="?"), ("gender", "female")
        ).fetchall()
    assert [row[-1] for row in plan] == ["SEARCH summaries USING INDEX summaries_group (kind=? AND grp=?)"]
