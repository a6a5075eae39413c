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


def _former_communes_world() -> CoverageData:
    """Hồ Chí Minh City with two of today's wards, and District 1 as it was until 30 June 2025 (inactive)
    with three of its wards, each with a station and a child:
    - 26734 Tân Định became part of today's 26737 (ConceptMap: `wider`);
    - 26746 Nguyễn Thái Bình was split, its default part going to today's 26743 Bến Thành;
    - 26737 Đa Kao was split too, but 26737 is also today's Tân Định: the code is read as today's ward."""
    services = build_services(Settings(database_url="memory://"))
    today = [
        area("area-26737", "26737", "Phường Tân Định", "area-79"),
        area("area-26743", "26743", "Phường Bến Thành", "area-79"),
    ]
    former = [
        {**area("area-760", "760", "Quận 1", "area-79"), "status": "inactive"},
        {**area("area-old-26734", "26734", "Phường Tân Định (cũ)", "area-760"), "status": "inactive"},
        {**area("area-old-26746", "26746", "Phường Nguyễn Thái Bình", "area-760"), "status": "inactive"},
        *station(5, "area-old-26734"),
        *station(6, "area-old-26746"),
        child("h", "org-5", "female"),
        child("i", "org-6", "male"),
    ]
    for resource in [*resources(), *today, *former]:
        services.resources.update(resource["resourceType"], resource["id"], resource)
    conditions = Conditions(load_definitions().search_params, TZ)
    return CoverageData(services.store, conditions, load_vaccine_catalog(), TZ, load_unit_successions())


def test_records_under_former_communes_count_in_todays_communes_with_the_shipped_concept_map() -> None:
    successions = load_unit_successions()
    assert successions["26734"] == "26737" and successions["26746"] == "26743" and successions["760"] == "79"
    assert "26737" not in successions  # a former code that is also today's code keeps today's meaning
    data = _former_communes_world()
    found = _children(data, "79")
    assert found["h"] == "area-26737" and found["i"] == "area-26743"
    assert set(_children(data, "26737")) == {"h"} and set(_children(data, "26743")) == {"i"}
    province = data.area("79")
    assert [u.code for u in province.units] == ["26737", "26743", "79001", "79002"]  # no former unit
    table = data.table(province, date(2025, 1, 1), date(2026, 1, 1))
    assert table is not None and len(table) == 7
