"""`fhir-server reindex` and `fhir-server coverage rebuild` from the command line (the e2e test in
tests/e2e/test_reindex.py runs reindex on an old file and searches it through a real server)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.population import generate
from fhir_server.app import build_services
from fhir_server.cli import main
from fhir_server.search.request import SearchRequest
from fhir_server.settings import Settings


def test_reindex_refuses_an_unknown_type(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'fhir.sqlite3'}"
    assert main(["reindex", "--database-url", url, "--type", "Vaccination"]) == 2
    assert "unknown resource type: Vaccination" in capsys.readouterr().err


def test_reindex_of_an_empty_store_succeeds(tmp_path: Path) -> None:
    assert main(["reindex", "--database-url", f"sqlite:///{tmp_path / 'fhir.sqlite3'}"]) == 0


def test_coverage_rebuild_counts_the_children_and_doses_it_derived(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'fhir.sqlite3'}"
    services = build_services(Settings(database_url=url, forecast_upkeep=False, profiles_enforced="none"))
    try:
        for resource in generate(5, seed=7):
            services.resources.update(resource["resourceType"], resource["id"], resource)
        doses = len(
            services.store.search(SearchRequest("Immunization", count=1000), with_total=True).resources
        )
    finally:
        services.store.close()
    assert main(["coverage", "rebuild", "--database-url", url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("coverage aggregate rebuilt: 5 children, ")
    assert 0 < int(out.split(", ")[1].split()[0]) <= doses


def test_part_of_check_lists_the_units_that_break_the_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'fhir.sqlite3'}"
    services = build_services(Settings(database_url=url, forecast_upkeep=False, profiles_enforced="none"))
    try:
        for resource in generate(2, seed=7):
            if resource["resourceType"] in ("Location", "Organization"):
                services.resources.update(resource["resourceType"], resource["id"], resource)
    finally:
        services.store.close()
    assert main(["part-of", "check", "--database-url", url]) == 0  # the population rolls up
    assert "0 Location/Organization" in capsys.readouterr().err
    services = build_services(Settings(database_url=url, forecast_upkeep=False, profiles_enforced="none"))
    try:  # written while the rule was off: an orphan point and a station under a missing parent
        orphan = {"resourceType": "Location", "id": "orphan", "name": "Điểm tiêm"}
        services.resources.update("Location", "orphan", orphan)
        station = {"resourceType": "Organization", "id": "lost", "partOf": {"reference": "Organization/gone"}}
        services.resources.update("Organization", "lost", station)
    finally:
        services.store.close()
    assert main(["part-of", "check", "--database-url", url]) == 1
    out = capsys.readouterr()
    assert out.out.splitlines() == [
        "Location/orphan: A Location below province level must name its parent (partOf), up to its province"
        " (vn-loc-2)",
        "Organization/lost: The parent Organization/gone named in the partOf chain does not exist (vn-org-3)",
    ]
    assert "2 Location/Organization" in out.err
