"""A manager's area narrows the population reports (issue 10): inside it they are answered, outside it
403; the whole country only for a national manager. Real tokens signed by the app's own server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from auth.component import build_auth
from auth.settings import AuthSettings
from fhir_server.app import create_app
from fhir_server.settings import Settings
from tests.api.coverage_world import resources
from tests.api.security_world import BASE, World

COHORT = "&cohort=2025&date=2026-11-01"
REPORTS = (
    "/fhir/$coverage?area={}" + COHORT,
    "/fhir/$low-coverage?area={}" + COHORT,
    "/fhir/$defaulters?area={}&date=2026-11-01",
    "/fhir/$aefi-serious?area={}",
    "/fhir/reports/coverage?area={}" + COHORT,
    "/fhir/reports/coverage.svg?area={}" + COHORT,
)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'areas.sqlite3'}", auth_required=True, forecast_upkeep=False
    )
    auth = build_auth(AuthSettings(database_url="memory://", issuer=BASE, audience=f"{BASE}/fhir"))
    with TestClient(create_app(settings, auth=auth), base_url=BASE) as client:
        world = World(client, auth, {})
        world.admin = world.token("user/*.cruds", role="admin", organization="Organization/registry")
        for resource in resources():
            world.put(resource)
        yield world


def _manager(world: World, area: str) -> dict[str, str]:
    return world.token("user/*.rs", role="manager", area=area)


def _status(world: World, path: str, headers: dict[str, str]) -> int:
    return world.client.get(path, headers=headers).status_code


@pytest.mark.parametrize("path", REPORTS)
def test_a_province_manager_sees_the_province_and_its_communes_not_the_country(
    world: World, path: str
) -> None:
    manager = _manager(world, "79")
    assert _status(world, path.format("79"), manager) == 200
    assert _status(world, path.format("area-79002"), manager) == 200
    refused = world.client.get(path.format("VN"), headers=manager)
    assert refused.status_code == 403
    issue = refused.json()["issue"][0]
    assert issue["code"] == "forbidden" and issue["expression"] == ["area"]


@pytest.mark.parametrize("path", REPORTS)
def test_a_commune_manager_sees_their_commune_only(world: World, path: str) -> None:
    manager = _manager(world, "79001")
    assert _status(world, path.format("79001"), manager) == 200
    assert _status(world, path.format("79002"), manager) == 403
    assert _status(world, path.format("79"), manager) == 403


def test_country_level_reports_for_national_managers_only(world: World) -> None:
    path = REPORTS[0].format("VN")
    national = _manager(world, "VN")
    answered = world.client.get(path, headers=national)
    assert answered.status_code == 200
    penta3 = next(g for g in answered.json()["group"] if g["id"] == "penta3")
    assert penta3["population"][0]["count"] == 5  # the cohort's five children, both communes
    assert _status(world, REPORTS[1].format("79"), national) == 200


def test_a_manager_area_given_by_name_as_in_addresses(world: World) -> None:
    """The demo accounts give a manager the province's name (the address `state` their reads match)."""
    manager = _manager(world, "Thành phố Hồ Chí Minh")
    assert _status(world, REPORTS[0].format("79001"), manager) == 200
    assert _status(world, REPORTS[0].format("VN"), manager) == 403


def test_a_manager_without_a_known_area_sees_no_report(world: World) -> None:
    assert _status(world, REPORTS[0].format("79"), _manager(world, "Atlantis")) == 403
    no_area = world.token("user/*.rs", role="manager")
    assert _status(world, REPORTS[0].format("79"), no_area) == 403


def test_health_workers_and_systems_are_not_narrowed_by_area(world: World) -> None:
    nurse = world.nurse("org-1", scope="user/*.rs")
    assert _status(world, REPORTS[0].format("VN"), nurse) == 200
    system = world.token("system/*.rs", client_id="registry-etl")
    assert _status(world, REPORTS[0].format("VN"), system) == 200
