"""`fhir-server import` end to end in this process: exit status, summary, resumable re-run."""

from __future__ import annotations

from pathlib import Path

import pytest

from fhir_server.cli import main
from tests.unit.bulk.test_importer import patient, write_ndjson


def test_import_command_prints_the_summary_and_sets_the_exit_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FHIR_DATABASE_URL", "memory://")  # replaced by --database-url below
    database = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    good = write_ndjson(tmp_path / "good.ndjson", [patient(1), patient(2)])
    bad = write_ndjson(tmp_path / "bad.ndjson", [patient(3, gender="robot")])
    args = ["import", "--database-url", database, "--workers", "0", "--rejects-dir", str(tmp_path / "r")]
    assert main([*args, str(good)]) == 0
    assert main([*args, str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert "good.ndjson: read 2, stored 2, rejected 0 (already imported)" in out
    assert "total: read 3 = stored 2 + rejected 1" in out
    assert (tmp_path / "r" / "bad.ndjson.rejects.ndjson").is_file()
    assert main([*args, str(tmp_path / "missing.ndjson")]) == 2


def _dose(n: int) -> dict[str, object]:
    return {
        "resourceType": "Immunization", "id": f"i{n}", "status": "completed",
        "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "08"}]},
        "patient": {"reference": f"Patient/p{n}"}, "occurrenceDateTime": "2024-05-01",
    }  # fmt: skip


def test_import_refreshes_the_childrens_recommendations_unless_told_not_to(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from fhir_server.app import build_services
    from fhir_server.settings import Settings

    database = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    args = ["import", "--database-url", database, "--workers", "0"]
    first = write_ndjson(tmp_path / "first.ndjson", [patient(1), _dose(1)])
    second = write_ndjson(tmp_path / "second.ndjson", [patient(2), _dose(2)])
    assert main([*args, str(first)]) == 0
    assert "recommendations: 1 children refreshed, 0 not" in capsys.readouterr().out
    assert main([*args, "--no-forecasts", str(second)]) == 0
    assert "recommendations" not in capsys.readouterr().out
    store = build_services(Settings(database_url=database)).store
    try:
        refreshed = store.read("ImmunizationRecommendation", "rec-p1")
        assert refreshed is not None and b"Patient/p1" in (refreshed.body or b"")
        assert store.read("ImmunizationRecommendation", "rec-p2") is None
    finally:
        store.close()
    # The dose i1 re-imported for p2 (a correction): both children are refreshed, the one it left too.
    moved = write_ndjson(tmp_path / "moved.ndjson", [{**_dose(1), "patient": {"reference": "Patient/p2"}}])
    assert main([*args, str(moved)]) == 0
    assert "recommendations: 2 children refreshed, 0 not" in capsys.readouterr().out


def test_a_failed_refresh_never_stops_the_import(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from fhir_server.services.recommendations import RecommendationRefresher

    def unavailable(*args: object) -> tuple[int, int]:
        raise RuntimeError("store unavailable")

    monkeypatch.setattr(RecommendationRefresher, "refresh_many", unavailable)
    path = write_ndjson(tmp_path / "in.ndjson", [patient(1), _dose(1)])
    assert (
        main(
            ["import", "--database-url", f"sqlite:///{tmp_path / 'db.sqlite3'}", "--workers", "0", str(path)]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "stored 2 + rejected 0" in out and "recommendations: 0 children refreshed, 1 not" in out


def test_imported_units_with_broken_part_of_chains_are_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The import runs no write checks (it writes what it is given, batch by batch): a vaccination point
    whose parent is not there is stored, and named at the end so the operator can mend it."""
    point = {
        "resourceType": "Location", "id": "point-1", "status": "active", "name": "Điểm tiêm 1",
        "partOf": {"reference": "Location/nowhere"},
    }  # fmt: skip
    path = write_ndjson(tmp_path / "units.ndjson", [point])
    database = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    assert main(["import", "--database-url", database, "--workers", "0", str(path)]) == 0
    assert "partOf: 1 Location/Organization resource(s) break the rule" in capsys.readouterr().out
    assert (
        main(
            [
                "import",
                "--database-url",
                database,
                "--workers",
                "0",
                str(write_ndjson(tmp_path / "p.ndjson", [patient(9)])),
            ]
        )
        == 0
    )
    assert "partOf" not in capsys.readouterr().out  # no unit in this import: nothing checked
