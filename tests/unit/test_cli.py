"""The command line says why the database cannot be opened, in one line, without a traceback."""

from __future__ import annotations

from pathlib import Path

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


def test_the_start_up_check_keeps_the_coverage_aggregate_trusted(tmp_path: Path) -> None:
    """`serve`, `seed-demo` and the maintenance commands open the store once before anything else: with
    the server's summarizers, so the aggregate's "complete" marker survives (without them the store
    would drop it and reports would fall back to the index until the next rebuild)."""
    from bench.population import generate
    from fhir_server.app import build_services
    from fhir_server.cli import check_store
    from fhir_server.operations.coverage_summary import CHILD_KIND
    from fhir_server.settings import Settings

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'fhir.sqlite3'}", forecast_upkeep=False)
    services = build_services(settings)
    for resource in generate(3, seed=5):
        services.resources.update(resource["resourceType"], resource["id"], resource)
    services.store.close()
    check_store(settings)
    reopened = build_services(settings)
    try:
        assert reopened.store.summary_rows(CHILD_KIND, ["any"]) is not None
    finally:
        reopened.store.close()
