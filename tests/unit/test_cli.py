"""The command line says why the database cannot be opened, in one line, without a traceback."""

from __future__ import annotations

import pytest

from fhir_server.cli import main


@pytest.mark.parametrize("command", ["serve", "seed-demo"])
def test_unreachable_mongodb_exits_with_a_message(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FHIR_DATABASE_URL", "mongodb://127.0.0.1:1/fhir")
    monkeypatch.setenv("FHIR_MONGODB_TIMEOUT_MS", "300")
    assert main([command]) == 2
    err = capsys.readouterr().err
    assert "cannot open the database" in err and "127.0.0.1:1" in err and "unreachable" in err
    assert "Traceback" not in err


def test_unsupported_url_exits_with_a_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FHIR_DATABASE_URL", "postgres://db/fhir")
    assert main(["serve"]) == 2
    assert "Unsupported database URL" in capsys.readouterr().err
