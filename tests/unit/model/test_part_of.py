"""The partOf chain rule (vn-loc-2, vn-org-3): levels, and each way a chain can fail."""

from __future__ import annotations

from typing import Any

import pytest

from fhir_server.model.part_of import MAX_PARENTS, Level, chain_issues, level, parent_id
from fhir_server.types import JsonResource
from tests import scheduling_world
from tests.api import coverage_world

PROVINCE = "https://fhir.vn/StructureDefinition/vn-province"
COMMUNE = "https://fhir.vn/StructureDefinition/vn-commune"


def _units(province: str | None = None, commune: str | None = None) -> list[dict[str, Any]]:
    out = []
    if province:
        out.append({"url": PROVINCE, "valueCoding": {"code": province}})
    if commune:
        out.append({"url": COMMUNE, "valueCoding": {"code": commune}})
    return out


def loc(
    id: str,
    part_of: str | None = None,
    *,
    jdn: bool = False,
    province: str | None = None,
    commune: str | None = None,
) -> JsonResource:
    resource: JsonResource = {"resourceType": "Location", "id": id, "address": {"state": "x"}}
    if jdn:
        resource["physicalType"] = {"coding": [{"code": "jdn"}]}
    if province or commune:
        resource["address"]["extension"] = _units(province, commune)
    if part_of is not None:
        resource["partOf"] = {"reference": part_of}
    return resource


def org(
    id: str, part_of: str | None = None, *, govt: bool = False, province: str | None = None
) -> JsonResource:
    resource: JsonResource = {
        "resourceType": "Organization",
        "id": id,
        "type": [{"coding": [{"code": "govt" if govt else "prov"}]}],
        "address": [{"state": "x", **({"extension": _units(province)} if province else {})}],
    }
    if part_of is not None:
        resource["partOf"] = {"reference": part_of}
    return resource


def reader(*resources: JsonResource) -> Any:
    by_key = {(r["resourceType"], r["id"]): r for r in resources}
    return lambda t, i: by_key.get((t, i))


PROV_79 = loc("p79", jdn=True, province="79")
COUNTRY = loc("vn", jdn=True)
COMMUNE_AREA = loc("c1", "Location/p79", jdn=True, province="79", commune="26740")


def _one(resource: JsonResource, *known: JsonResource) -> str:
    issues = chain_issues(resource, reader(*known))
    assert len(issues) == 1
    issue = issues[0]
    assert issue.code == "invariant" and issue.expression == (f"{resource['resourceType']}.partOf",)
    assert issue.vi and issue.en.endswith(("(vn-loc-2)", "(vn-org-3)"))
    return issue.en


def test_levels() -> None:
    assert level(PROV_79) is Level.PROVINCE
    assert level(COUNTRY) is Level.ABOVE
    assert level(COMMUNE_AREA) is Level.BELOW
    assert level(loc("x", province="79")) is Level.BELOW  # a point with a coded address is no jurisdiction
    assert level(org("cdc", govt=True, province="79")) is Level.PROVINCE
    assert level(org("nihe", govt=True)) is Level.ABOVE
    assert level(org("tyt", province="79")) is Level.BELOW


def test_province_and_above_need_no_parent() -> None:
    assert chain_issues(PROV_79, reader()) == []
    assert chain_issues(COUNTRY, reader()) == []
    assert chain_issues(org("cdc", govt=True, province="79"), reader()) == []
    # a province's own partOf (to the country) is not followed
    assert chain_issues(loc("p01", "Location/nowhere", jdn=True, province="01"), reader()) == []


def test_a_point_reaches_its_province() -> None:
    point = loc("pt", "Location/c1", province="79", commune="26740")
    room = loc("room", "Location/pt")
    assert chain_issues(point, reader(PROV_79, COMMUNE_AREA)) == []
    assert chain_issues(room, reader(PROV_79, COMMUNE_AREA, point)) == []
    station = org("tyt", "Organization/cdc", province="79")
    assert chain_issues(station, reader(org("cdc", govt=True, province="79"))) == []


def test_absolute_references_are_followed() -> None:
    point = loc("pt", "https://registry.example/fhir/Location/p79")
    assert chain_issues(point, reader(PROV_79)) == []


def test_missing_parent() -> None:
    assert "must name its parent" in _one(loc("pt", province="79"))
    assert "must name its parent" in _one(org("tyt"))


def test_unreadable_parent() -> None:
    point = loc("pt")
    point["partOf"] = {"display": "Trạm"}
    assert "must reference a Location" in _one(point)
    assert "must reference a Location" in _one(loc("pt", "#contained"))


def test_parent_not_found() -> None:
    assert "parent Location/gone named in the partOf chain does not exist" in _one(loc("pt", "Location/gone"))
    assert "parent Location/gone named in the partOf chain does not exist" in _one(
        loc("room", "Location/pt"), loc("pt", "Location/gone")
    )


def test_cycle() -> None:
    a, b = loc("a", "Location/b"), loc("b", "Location/a")
    assert "loops back to Location/a" in _one(a, b)
    assert "loops back to Location/a" in _one(loc("a", "Location/a"))  # itself
    c = loc("c", "Location/d")
    assert "loops back to Location/c" in _one(loc("x", "Location/c"), c, loc("d", "Location/c"))


def test_too_deep() -> None:
    chain = [loc(f"n{k}", f"Location/n{k + 1}") for k in range(MAX_PARENTS)]
    top = loc(f"n{MAX_PARENTS}", jdn=True, province="79")
    assert chain_issues(chain[0], reader(*chain, top)) == []  # n1 ... n6: MAX_PARENTS parents, fine
    assert "within 6 parents" in _one(loc("start", "Location/n0"), *chain, top)


def test_never_reaches_a_province() -> None:
    assert "never reaches a province" in _one(loc("pt", "Location/b"), loc("b"))
    assert "above province level" in _one(loc("pt", "Location/vn"), COUNTRY)
    assert "above province level" in _one(org("tyt", "Organization/nihe"), org("nihe", govt=True))


@pytest.mark.parametrize("own", ["01", "48"])
def test_province_mismatch(own: str) -> None:
    text = _one(loc("pt", "Location/c1", province=own), PROV_79, COMMUNE_AREA)
    assert f"reaches province 79 (Location/p79), but the address is in province {own}" in text
    text = _one(org("tyt", "Organization/cdc", province=own), org("cdc", govt=True, province="79"))
    assert "reaches province 79" in text


def test_a_point_without_a_coded_province_takes_the_chain_s() -> None:
    assert chain_issues(loc("pt", "Location/c1"), reader(PROV_79, COMMUNE_AREA)) == []


def test_parent_id() -> None:
    assert parent_id(loc("a", "Location/b"), "Location") == "b"
    assert parent_id(loc("a", "Organization/b"), "Location") == ""
    assert parent_id(loc("a"), "Location") is None


def test_the_hand_built_test_worlds_roll_up_to_their_province() -> None:
    coverage = coverage_world.resources()
    scheduling = [scheduling_world.province_area(), scheduling_world.location("loc-1", "Phường Ba Đình")]
    for world in (coverage, scheduling):
        facilities = [r for r in world if r["resourceType"] in ("Location", "Organization")]
        read = reader(*facilities)
        assert facilities and all(chain_issues(r, read) == [] for r in facilities)
        assert any(r.get("partOf") for r in facilities)
