"""`fhir-server forecast refresh`: every child (through a process pool) or the named ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fhir_server import cli_forecast
from fhir_server.app import build_services
from fhir_server.cli import main
from fhir_server.model.json import loads
from fhir_server.settings import Settings


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("FHIR_DATABASE_URL", url)
    monkeypatch.setenv("AUTH_DATABASE_URL", "memory://")
    services = build_services(Settings())
    try:
        for n in range(5):
            services.resources.update(
                "Patient",
                f"p{n}",
                {"resourceType": "Patient", "id": f"p{n}", "birthDate": "2026-01-0" + str(n + 1)},
            )
    finally:
        services.store.close()
    return url


def recommendation_date(patient_id: str) -> str | None:
    services = build_services(Settings())
    try:
        stored = services.store.read("ImmunizationRecommendation", f"rec-{patient_id}")
        return None if stored is None else str(loads(stored.body)["date"])
    finally:
        services.store.close()


def test_refresh_all_through_the_pool(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli_forecast, "_CHUNK", 2)  # 3 chunks for 2 worker processes
    assert main(["forecast", "refresh", "--all", "--date", "2026-06-01", "--workers", "2"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["children"] == 5
    assert shown["failed"] == 0
    assert shown["schedule"] == "vn"
    assert shown["children_per_second"] > 0
    assert [recommendation_date(f"p{n}") for n in range(5)] == ["2026-06-01"] * 5


def test_refresh_named_patients(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["forecast", "refresh", "--patient", "p1", "--patient", "nobody", "--date", "2026-07-01"]) == 1
    )
    shown = json.loads(capsys.readouterr().out)
    assert (shown["children"], shown["failed"]) == (1, 1)
    assert recommendation_date("p1") == "2026-07-01"
    assert recommendation_date("p2") != "2026-07-01"  # refreshed at its creation (today), not now


def recommendation_version(patient_id: str) -> int:
    services = build_services(Settings())
    try:
        stored = services.store.read("ImmunizationRecommendation", f"rec-{patient_id}")
        assert stored is not None
        return stored.version
    finally:
        services.store.close()


def test_a_second_run_on_the_same_date_writes_nothing(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["forecast", "refresh", "--all", "--date", "2026-06-01", "--workers", "1"]) == 0
    first = [recommendation_version(f"p{n}") for n in range(5)]
    assert main(["forecast", "refresh", "--all", "--date", "2026-06-01", "--workers", "1"]) == 0
    shown = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert shown["children"] == 5
    assert [recommendation_version(f"p{n}") for n in range(5)] == first


def test_a_later_date_that_changes_nothing_writes_nothing(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """p0 (born 2026-01-01, no doses): nothing falls due or overdue between 1 and 15 June; on 1 July a
    dose becomes overdue. The recommendation's `date` stays the day its content was first computed."""
    assert main(["forecast", "refresh", "--patient", "p0", "--date", "2026-06-01"]) == 0
    first = recommendation_version("p0")
    assert main(["forecast", "refresh", "--patient", "p0", "--date", "2026-06-15"]) == 0
    assert (recommendation_version("p0"), recommendation_date("p0")) == (first, "2026-06-01")
    assert main(["forecast", "refresh", "--patient", "p0", "--date", "2026-07-01"]) == 0
    assert (recommendation_version("p0"), recommendation_date("p0")) == (first + 1, "2026-07-01")
    capsys.readouterr()
