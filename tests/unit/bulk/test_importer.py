from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import orjson
import pytest

from fhir_server.bulk.importer import ImportConflict, Importer, ImportOptions
from fhir_server.storage.base import HistoryQuery, Store, UnitOfWork
from fhir_server.storage.factory import open_store
from tests.contract import mongo_backend
from tests.contract.conftest import FakeClock


def patient(n: int, **changes: Any) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": f"p{n}",
        "name": [{"family": "Nguyễn", "given": ["Văn"]}],
        "gender": "male",
        "birthDate": "2024-05-01",
        **changes,
    }


def write_ndjson(path: Path, resources: list[Any]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in resources))
    return path


@pytest.fixture(params=["memory", "sqlite", "mongodb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "mongodb":  # mongomock unless FHIR_TEST_MONGODB_URL (tests/contract/mongo_backend.py)
        mongo = mongo_backend.open_mongo(FakeClock())
        yield mongo
        mongo_backend.drop(mongo)
        mongo.close()
        return
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'db.sqlite3'}"
    opened = open_store(url, FakeClock())
    yield opened
    opened.close()


def versions(store: Store) -> int:
    return store.history(HistoryQuery(count=0)).total


def test_ndjson_import_stores_valid_lines_and_rejects_the_rest_with_line_numbers(
    store: Store, tmp_path: Path
) -> None:
    lines: list[Any] = [patient(n) for n in range(1, 11)]
    lines[3] = patient(4, gender="robot")  # a required binding: 422
    lines[6] = {"resourceType": "Patient", "name": [{"family": "X"}]}  # no id: 400
    path = write_ndjson(tmp_path / "in.ndjson", lines)
    with path.open("ab") as out:
        out.write(b"{not json\n")
    summary = Importer(store, ImportOptions(batch_size=3)).run([path])
    (file,) = summary.files
    assert (file.read, file.stored, file.rejected) == (11, 8, 3)
    assert summary.read == summary.stored + summary.rejected
    assert store.read("Patient", "p1") is not None and store.read("Patient", "p4") is None
    assert versions(store) == 8
    assert file.rejects_file == tmp_path / "in.ndjson.rejects.ndjson"
    rejects = [orjson.loads(line) for line in file.rejects_file.read_bytes().splitlines()]
    assert [(r["line"], r["status"]) for r in rejects] == [(4, 422), (7, 400), (11, 400)]
    assert all(r["file"] == str(path) and r["outcome"]["resourceType"] == "OperationOutcome" for r in rejects)
    assert rejects[0]["outcome"]["issue"][0]["expression"] == ["Patient.gender"]


def test_a_bundle_file_imports_its_entries_resources(store: Store, tmp_path: Path) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"resource": patient(n), "request": {"method": "PUT", "url": f"Patient/p{n}"}} for n in (1, 2)
        ]
        + [{"request": {"method": "DELETE", "url": "Patient/p9"}}],
    }
    path = tmp_path / "bundle.json"
    path.write_bytes(orjson.dumps(bundle))
    summary = Importer(store, ImportOptions(), None).run([path])
    assert (summary.read, summary.stored, summary.rejected) == (3, 2, 1)
    (reject,) = [orjson.loads(x) for x in (tmp_path / "bundle.json.rejects.ndjson").read_bytes().splitlines()]
    assert reject["entry"] == 3
    assert store.read("Patient", "p2") is not None


class _Crash(Exception):
    pass


class CrashingStore:
    """Delegates to a real store; the `crash_at`-th unit of work fails before committing."""

    def __init__(self, inner: Store, crash_at: int) -> None:
        self._inner = inner
        self._crash_at = crash_at
        self.units = 0

    def unit_of_work(self) -> AbstractContextManager[UnitOfWork]:
        self.units += 1
        if self.units == self._crash_at:
            raise _Crash
        return self._inner.unit_of_work()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def test_resume_after_an_interruption_writes_nothing_twice(store: Store, tmp_path: Path) -> None:
    lines: list[Any] = [patient(n) for n in range(1, 21)]
    lines[2] = patient(3, gender="robot")
    lines[14] = patient(15, gender="robot")
    path = write_ndjson(tmp_path / "in.ndjson", lines)
    options = ImportOptions(batch_size=4, chunk_size=2)
    crashing = CrashingStore(store, crash_at=3)
    with pytest.raises(_Crash):
        Importer(crashing, options).run([path])  # type: ignore[arg-type]
    committed = versions(store)
    assert 0 < committed < 18
    summary = Importer(store, options).run([path])
    assert (summary.read, summary.stored, summary.rejected) == (20, 18, 2)
    assert versions(store) == 18  # each resource once: version 1, no duplicate from the replay
    assert all(store.read("Patient", f"p{n}").version == 1 for n in range(1, 21) if n not in (3, 15))  # type: ignore[union-attr]
    rejects = (tmp_path / "in.ndjson.rejects.ndjson").read_bytes().splitlines()
    assert [orjson.loads(r)["line"] for r in rejects] == [3, 15]
    again = Importer(store, options).run([path])
    assert again.files[0].skipped and versions(store) == 18


def test_a_changed_file_is_imported_from_the_start(store: Store, tmp_path: Path) -> None:
    path = write_ndjson(tmp_path / "in.ndjson", [patient(1)])
    Importer(store, ImportOptions()).run([path])
    write_ndjson(path, [patient(1, gender="female"), patient(2)])
    summary = Importer(store, ImportOptions()).run([path])
    assert (summary.read, summary.stored) == (2, 2)
    assert store.read("Patient", "p1").version == 2  # type: ignore[union-attr]


def test_worker_processes_check_while_the_parent_writes(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}", FakeClock())
    try:
        lines: list[Any] = [patient(n) for n in range(1, 301)]
        lines[99] = patient(100, birthDate="2024-13-01")
        path = write_ndjson(tmp_path / "in.ndjson", lines)
        summary = Importer(store, ImportOptions(workers=2, chunk_size=16, batch_size=50)).run([path])
        assert (summary.read, summary.stored, summary.rejected) == (300, 299, 1)
        assert versions(store) == 299
    finally:
        store.close()


class RacingStore:
    """Before the importer's second commit, another importer imports the same file completely."""

    def __init__(self, inner: Store, path: Path) -> None:
        self._inner = inner
        self._path = path
        self.units = 0

    def unit_of_work(self) -> AbstractContextManager[UnitOfWork]:
        self.units += 1
        if self.units == 2:
            Importer(self._inner, ImportOptions(batch_size=4)).run([self._path])
        return self._inner.unit_of_work()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def test_two_imports_of_one_file_at_once_never_write_twice(store: Store, tmp_path: Path) -> None:
    path = write_ndjson(tmp_path / "in.ndjson", [patient(n) for n in range(1, 13)])
    with pytest.raises(ImportConflict):
        Importer(RacingStore(store, path), ImportOptions(batch_size=4)).run([path])  # type: ignore[arg-type]
    assert versions(store) == 12


def test_each_committed_batch_is_handed_on_after_its_commit(store: Store, tmp_path: Path) -> None:
    """The hook the CLI uses to refresh recommendations: called once per committed batch, in file order,
    with exactly the resources that batch stored (rejected lines are not in it)."""
    lines = [patient(1), patient(2), patient(3, gender="robot"), patient(4)]
    path = write_ndjson(tmp_path / "p.ndjson", lines)
    batches: list[list[str]] = []

    def after(written: Any) -> None:
        assert all(store.read("Patient", s.id) == s for s in written)  # committed, as stored
        batches.append([s.id for s in written])

    Importer(store, ImportOptions(batch_size=2, chunk_size=1), None, after).run([path])
    assert batches == [["p1", "p2"], ["p4"]]
