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
