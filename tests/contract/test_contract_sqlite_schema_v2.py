"""Schema version 2 of the SQLite file: `params.width` (the widest date range per date parameter, which
lets `date=gt/ge` seek the index) and the composite view; a version 1 file is migrated in place."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from fhir_server.search.index import DateValue, IndexValues
from fhir_server.search.request import Criterion, DateQuery, SearchRequest
from fhir_server.storage.sqlite import SqliteStore
from fhir_server.storage.sqlite.schema import MIGRATIONS, SCHEMA_VERSION
from tests.contract.conftest import FakeClock, delete, patient, put
from tests.contract.test_contract_search import us

DAY = us(2024, 1, 2) - us(2024, 1, 1)


def dated(low: int, high: int) -> IndexValues:
    return IndexValues(dates=(DateValue("birthdate", low, high),))


def after(store: SqliteStore, year: int) -> list[str]:
    query = DateQuery("gt", us(year, 1, 1), us(year, 1, 2))
    request = SearchRequest("Patient", (Criterion("birthdate", "date", None, (query,)),), count=100)
    page = store.search(request, with_total=True)
    assert page.total == len(page.resources)
    return [r.id for r in page.resources]


def width(path: Path) -> int | None:
    with sqlite3.connect(path) as raw:
        row = raw.execute("SELECT width FROM params WHERE param = 'birthdate' AND kind = 3").fetchone()
    return None if row is None else row[0]


def test_a_wider_range_widens_the_seek_and_is_still_found(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "fhir.sqlite3"
    store = SqliteStore(path, clock)
    try:
        put(store, patient("day"), dated(us(2024, 3, 5), us(2024, 3, 6)))
        assert width(path) == DAY and after(store, 2024) == ["day"]
        # 2000 to 2030: its low is far below `2024 - one day`; found because the width grew with it.
        put(store, patient("decades"), dated(us(2000, 1, 1), us(2030, 1, 1)))
        assert width(path) == us(2030, 1, 1) - us(2000, 1, 1)
        assert after(store, 2024) == ["day", "decades"]
        delete(store, "Patient", "decades")  # the width never shrinks: still a correct bound
        assert width(path) == us(2030, 1, 1) - us(2000, 1, 1) and after(store, 2024) == ["day"]
        put(store, patient("narrow"), dated(us(2025, 1, 1), us(2025, 1, 2)))  # narrower: no write
        assert width(path) == us(2030, 1, 1) - us(2000, 1, 1)
    finally:
        store.close()


def test_a_version_1_file_gets_its_widths_on_opening(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "v1.sqlite3"
    with sqlite3.connect(path) as raw:  # what a version 1 server wrote: its schema and rows
        raw.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        for statement in MIGRATIONS[0]:
            raw.execute(statement)
        raw.execute("INSERT INTO schema_version (version) VALUES (1)")
        raw.execute("INSERT INTO resources VALUES (1, 'Patient', 'old', 1, 0, 0)")
        raw.execute("INSERT INTO history VALUES (1, 1, 'Patient', 1, 0, 0, 'PUT', ?)", (b"{}",))
        raw.execute("INSERT INTO params VALUES (1, 'Patient', 'birthdate', 3)")
        raw.execute(
            "INSERT INTO idx (entry, pid, k1, k2) VALUES (?, 1, ?, ?)",
            (1 << 20, us(2010, 1, 1), us(2030, 1, 1)),
        )
    store = SqliteStore(path, clock)
    try:
        assert store.health()["schema_version"] == SCHEMA_VERSION >= 2
        assert width(path) == us(2030, 1, 1) - us(2010, 1, 1)
        assert after(store, 2024) == ["old"]
    finally:
        store.close()
