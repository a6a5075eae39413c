"""Schema version 4 of the SQLite file: k7, k8 hold the canonical UCUM value and unit of quantity rows.
A file written by an older server is migrated in place on opening (with a warning to re-index); its
quantities match UCUM searches, and its composites any search, once `reindex` has rebuilt their rows."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest

from fhir_server.definitions.registry import Definitions
from fhir_server.search.extract import Extractor
from fhir_server.search.parse import parse_search
from fhir_server.services.reindex import Reindexer
from fhir_server.storage.sqlite import SqliteStore
from fhir_server.storage.sqlite.schema import MIGRATIONS, SCHEMA_VERSION
from tests.contract.conftest import FakeClock

VN = ZoneInfo("Asia/Ho_Chi_Minh")
UCUM = "http://unitsofmeasure.org"
OBSERVATION = {
    "resourceType": "Observation",
    "id": "glucose",
    "meta": {"versionId": "1", "lastUpdated": "2026-01-01T08:00:00Z"},
    "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "2345-7"}]},
    "valueQuantity": {"value": 5500, "unit": "ug", "system": UCUM, "code": "ug"},
}
QUERIES = (
    f"value-quantity=gt5.4|{UCUM}|mg",  # needs the canonical columns (v4)
    f"code-value-quantity=http://loinc.org|2345-7$5500|{UCUM}|ug",  # needs composite rows (v2)
)


def old_file(path: Path, version: int = 1) -> None:
    """What a server of schema `version` (before v2 wrote composite rows, before v4 canonical units) left:
    one Observation with its quantity and code rows and no composite rows."""
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        for number in range(version):
            for statement in MIGRATIONS[number]:
                raw.execute(statement)
            raw.execute("INSERT INTO schema_version (version) VALUES (?)", (number + 1,))
        raw.execute("INSERT INTO resources VALUES (1, 'Observation', 'glucose', 1, 0, 0)")
        body = orjson.dumps(OBSERVATION)
        raw.execute("INSERT INTO history VALUES (1, 1, 'Observation', 1, 0, 0, 'PUT', ?)", (body,))
        params = "INSERT INTO params (pid, resource_type, param, kind) VALUES (?, 'Observation', ?, ?)"
        raw.executemany(params, [(1, "code", 2), (2, "value-quantity", 6)])
        rows = "INSERT INTO idx (entry, pid, k1, k2, k3, k4, k5, k6) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        raw.execute(rows, (1 << 20, 1, "2345-7", "http://loinc.org", None, None, None, None))
        raw.execute(rows, ((1 << 20) + 1, 2, 5500.0, 5499.5, 5500.5, UCUM, "ug", "ug"))


def found(store: SqliteStore, definitions: Definitions, query: str) -> list[str]:
    name, value = query.split("=", 1)
    request = parse_search(
        "Observation", [(name, value)], definitions.search_params, strict=True, default_tz=VN
    ).request
    return [r.id for r in store.search(request, with_total=False).resources]


@pytest.mark.parametrize("version", [1, 3])
def test_an_older_file_is_migrated_and_searchable_after_reindex(
    tmp_path: Path, clock: FakeClock, definitions: Definitions, caplog: pytest.LogCaptureFixture, version: int
) -> None:
    path = tmp_path / "old.sqlite3"
    old_file(path, version)
    with caplog.at_level(logging.WARNING, logger="fhir_server.storage.sqlite"):
        store = SqliteStore(path, clock)
    try:
        assert store.health()["schema_version"] == SCHEMA_VERSION >= 4
        assert any("fhir-server reindex" in r.getMessage() for r in caplog.records)
        as_written = f"value-quantity=5500|{UCUM}|ug"
        assert found(store, definitions, "value-quantity=5500||ug") == ["glucose"]  # old rows still work
        assert [found(store, definitions, q) for q in (as_written, *QUERIES)] == [[], [], []]
        summary = Reindexer(store, Extractor(definitions.search_params, VN)).run(["Observation"])
        assert summary.indexed == {"Observation": 1}
        assert [found(store, definitions, q) for q in (as_written, *QUERIES)] == [["glucose"]] * 3
        assert store.read("Observation", "glucose").version == 1  # type: ignore[union-attr]
    finally:
        store.close()


def warnings_on_opening(path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture) -> int:
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="fhir_server.storage.sqlite"):
        SqliteStore(path, clock).close()
    return sum("fhir-server reindex" in r.getMessage() for r in caplog.records)


def test_the_warning_repeats_until_a_reindex_of_every_type(
    tmp_path: Path, clock: FakeClock, definitions: Definitions, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "old.sqlite3"
    old_file(path, 3)
    assert [warnings_on_opening(path, clock, caplog) for _ in range(2)] == [
        1,
        1,
    ]  # not only the migrating one
    store = SqliteStore(path, clock)
    try:
        reindexer = Reindexer(store, Extractor(definitions.search_params, VN))
        reindexer.run(["Observation"])  # some types only: the others may still hold old rows
    finally:
        store.close()
    assert warnings_on_opening(path, clock, caplog) == 1
    store = SqliteStore(path, clock)
    try:
        Reindexer(store, Extractor(definitions.search_params, VN)).run(["Observation"], every_type=True)
    finally:
        store.close()
    assert warnings_on_opening(path, clock, caplog) == 0


def test_a_current_file_does_not_ask_for_a_reindex(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="fhir_server.storage.sqlite"):
        SqliteStore(tmp_path / "new.sqlite3", clock).close()
        SqliteStore(tmp_path / "new.sqlite3", clock).close()
    assert not caplog.records
