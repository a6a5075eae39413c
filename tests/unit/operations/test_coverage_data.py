"""Areas from the Location hierarchy, with pre-2025 units merged into today's by a succession table."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from fhir_server.app import build_services
from fhir_server.definitions.loader import load_definitions, load_unit_successions, load_vaccine_catalog
from fhir_server.operations.coverage_data import CoverageData
from fhir_server.services.conditions import Conditions
from fhir_server.settings import Settings
from tests.api.coverage_world import area, child, resources, shot, station

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _data(successions: dict[str, str]) -> CoverageData:
    services = build_services(Settings(database_url="memory://"))
    old = [
        # a district and commune abolished on 1 July 2025 (inactive), with their own station and a child
        {**area("area-old-d", "760", "Quận Cũ"), "status": "inactive"},
        {**area("area-old-c", "26734", "Phường Cũ", "area-old-d"), "status": "inactive"},
        *station(3, "area-old-c"),
        child("f", "org-3", "male"),
        shot("f-0", "f", "102", "2025-03-10"),
    ]
    for resource in [*resources(), *old]:
        services.resources.update(resource["resourceType"], resource["id"], resource)
    conditions = Conditions(load_definitions().search_params, TZ)
    return CoverageData(services.store, conditions, load_vaccine_catalog(), TZ, successions)


def _children(data: CoverageData, where: str) -> dict[str, str]:
    found = data.children(data.area(where), date(2025, 1, 1), date(2026, 1, 1))
    return {c.id: c.unit for c in found}


def test_without_successions_old_units_count_nowhere_today() -> None:
    data = _data({})
    assert _children(data, "79") == {"a": "area-79001", "b": "area-79001", "c": "area-79001",
                                     "d": "area-79002", "e": "area-79002"}  # fmt: skip


def test_an_old_commune_counts_in_the_commune_it_became_part_of() -> None:
    data = _data({"26734": "79002"})
    assert _children(data, "79")["f"] == "area-79002"
    assert set(_children(data, "79002")) == {"d", "e", "f"}
    assert "f" not in _children(data, "79001")


def test_an_old_district_brings_its_communes() -> None:
    data = _data({"760": "79001"})
    assert _children(data, "79")["f"] == "area-79001"
    province = data.area("79")
    assert [u.code for u in province.units] == ["79001", "79002"]


def test_doses_and_sex_from_the_index() -> None:
    data = _data({})
    found = {c.id: c for c in data.children(data.area("79001"), date(2025, 1, 1), date(2026, 1, 1))}
    assert found["a"].sex == "female" and found["a"].birth == date(2025, 1, 10)
    assert [d.day for d in found["a"].doses] == [date(2025, 3, 10), date(2025, 4, 10), date(2025, 5, 10)]
    assert {d.program for d in found["a"].doses} == {"EPI"}
    assert len(found["c"].doses) == 1  # the entered-in-error record is left out


def test_records_under_a_former_province_count_in_todays_province_with_the_shipped_concept_map() -> None:
    """ConceptMap vn-province-2004-to-2025 (terminology/): Bình Dương (74) became part of Hồ Chí Minh
    City (79) on 1 July 2025. A child registered at a station of the old province's Location is counted
    in 79, by the index and by the aggregate alike."""
    successions = load_unit_successions()
    assert successions["74"] == "79" and "79" not in successions  # identity rows are left out
    services = build_services(Settings(database_url="memory://"))
    old = [
        {**area("area-74", "74", "Bình Dương", "area-vn"), "status": "inactive"},
        *station(4, "area-74"),
        child("g", "org-4", "female"),
        shot("g-0", "g", "102", "2025-03-10"),
    ]
    for resource in [*resources(), *old]:
        services.resources.update(resource["resourceType"], resource["id"], resource)
    conditions = Conditions(load_definitions().search_params, TZ)
    data = CoverageData(services.store, conditions, load_vaccine_catalog(), TZ, successions)
    assert _children(data, "VN")["g"] == "area-79"
    assert [u.code for u in data.area("VN").units] == ["79"]  # the old province is not a unit of its own
    assert "g" in _children(data, "79")
    table = data.table(data.area("VN"), date(2025, 1, 1), date(2026, 1, 1))
    assert table is not None and len(table) == 6 and table.units == ("area-79",)
