"""The partOf rule over HTTP (vn-loc-2, vn-org-3): a vaccination point or station must roll up to a
province-level unit of its own province, checked on every write path against the parents in the store;
a transaction's parents count wherever they stand in the Bundle; `$validate` says the same; the per-type
profile switch turns it off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from fhir_server.app import create_app
from fhir_server.model.part_of import MAX_PARENTS
from fhir_server.settings import Settings

FHIR = {"content-type": "application/fhir+json"}
PROVINCE = "https://fhir.vn/StructureDefinition/vn-province"
COMMUNE = "https://fhir.vn/StructureDefinition/vn-commune"
PHYSICAL = "http://terminology.hl7.org/CodeSystem/location-physical-type"
ORG_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"


def _client(tmp_path: Path, enforced: str) -> TestClient:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'chains.sqlite3'}", profiles_enforced=enforced)
    return TestClient(create_app(settings), base_url="http://testserver")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """For tests/api/conftest.py's `client` (and tests/api/mongodb's, which runs these on MongoDB)."""
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'chains.sqlite3'}", profiles_enforced="Location,Organization"
    )


@pytest.fixture
def world(client: TestClient) -> TestClient:
    """A provincial CDC, the province and one of its communes."""
    for resource in (cdc(), province_area(), commune_area()):
        put(client, resource)
    return client


def _address(province: str | None = None, commune: str | None = None) -> dict[str, Any]:
    units = []
    if province:
        units.append(
            {
                "url": PROVINCE,
                "valueCoding": {"system": "https://fhir.vn/CodeSystem/vn-province", "code": province},
            }
        )
    if commune:
        units.append(
            {
                "url": COMMUNE,
                "valueCoding": {"system": "https://fhir.vn/CodeSystem/vn-commune", "code": commune},
            }
        )
    address: dict[str, Any] = {"state": "Thành phố Hồ Chí Minh", "country": "VN"}
    return {"extension": units, **address} if units else address


def location(
    id: str | None, part_of: str | None, *, province: str | None = None, jdn: bool = False
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Location",
        "name": f"Điểm tiêm {id}",
        "address": _address(province),
        "managingOrganization": {"reference": "Organization/cdc-79"},
    }
    if id:
        resource["id"] = id
    if part_of:
        resource["partOf"] = {"reference": part_of}
    if jdn:
        resource["physicalType"] = {"coding": [{"system": PHYSICAL, "code": "jdn"}]}
    return resource


def province_area(id: str | None = "tinh-79", code: str = "79") -> dict[str, Any]:
    return location(id, None, province=code, jdn=True)


def commune_area() -> dict[str, Any]:
    return {**location("xa-26740", "Location/tinh-79", jdn=True), "address": _address("79", "26740")}


def organization(
    id: str, part_of: str | None, *, govt: bool = False, province: str | None = "79"
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Organization",
        "id": id,
        "identifier": [{"system": "https://fhir.vn/sid/ma-co-so-y-te", "value": id}],
        "type": [{"coding": [{"system": ORG_TYPE, "code": "govt" if govt else "prov"}]}],
        "name": f"Cơ sở {id}",
        "address": [_address(province)],
    }
    if part_of:
        resource["partOf"] = {"reference": part_of}
    return resource


def cdc() -> dict[str, Any]:
    return organization("cdc-79", None, govt=True)


def put(client: TestClient, resource: dict[str, Any], status: int | None = None) -> Any:
    response = client.put(f"/fhir/{resource['resourceType']}/{resource['id']}", json=resource, headers=FHIR)
    if status is None:
        assert response.status_code in (200, 201), response.text
    else:
        assert response.status_code == status, response.text
    return response.json()


def refused(body: dict[str, Any], expression: str = "Location.partOf") -> str:
    """The one issue of a refusal by the rule: its English text."""
    [issue] = body["issue"]
    assert issue["code"] == "invariant" and issue["expression"] == [expression]
    assert issue["details"]["text"]  # Vietnamese
    return str(issue["diagnostics"])


def test_a_point_under_its_commune_and_province_is_stored(world: TestClient) -> None:
    put(world, location("dtc-1", "Location/xa-26740", province="79"))
    put(world, location("room-1", "Location/dtc-1"))
    assert world.get("/fhir/Location/room-1").status_code == 200


def test_a_point_without_parent_is_refused(world: TestClient) -> None:
    text = refused(put(world, location("dtc-1", None), 422))
    assert "must name its parent (partOf)" in text and "(vn-loc-2)" in text
    response = world.post("/fhir/Location", json=location(None, None), headers=FHIR)
    assert response.status_code == 422 and "must name its parent" in refused(response.json())
    assert world.get("/fhir/Location/dtc-1").status_code == 404


def test_an_unknown_parent_is_refused(world: TestClient) -> None:
    assert "Location/nowhere" in refused(put(world, location("dtc-1", "Location/nowhere"), 422))


def test_an_update_that_breaks_the_chain_is_refused_and_the_stored_version_stays(world: TestClient) -> None:
    put(world, location("dtc-1", "Location/xa-26740"))
    text = refused(put(world, location("dtc-1", "Location/gone"), 422))
    assert "does not exist" in text
    stored = world.get("/fhir/Location/dtc-1").json()
    assert stored["partOf"] == {"reference": "Location/xa-26740"} and stored["meta"]["versionId"] == "1"
    patch = [{"op": "remove", "path": "/partOf"}]
    response = world.patch(
        "/fhir/Location/dtc-1", json=patch, headers={"content-type": "application/json-patch+json"}
    )
    assert response.status_code == 422 and "must name its parent" in refused(response.json())


def test_a_cycle_is_refused(world: TestClient) -> None:
    put(world, location("a", "Location/xa-26740"))
    put(world, location("b", "Location/a"))
    assert "loops back to Location/a" in refused(put(world, location("a", "Location/b"), 422))
    assert "loops back to Location/c" in refused(put(world, location("c", "Location/c"), 422))


def test_a_chain_deeper_than_the_bound_is_refused(world: TestClient) -> None:
    parent = "tinh-79"
    for n in range(1, MAX_PARENTS + 1):  # n1 has 1 parent ... n6 has 6
        put(world, location(f"n{n}", f"Location/{parent}"))
        parent = f"n{n}"
    text = refused(put(world, location("n7", "Location/n6"), 422))
    assert f"within {MAX_PARENTS} parents" in text


def test_a_chain_that_never_reaches_a_province_is_refused(world: TestClient) -> None:
    put(world, location("vn", None, jdn=True))  # the country: above province level, needs no parent
    assert "above province level" in refused(put(world, location("dtc-1", "Location/vn"), 422))


def test_a_province_mismatch_is_refused(world: TestClient) -> None:
    text = refused(put(world, location("dtc-1", "Location/xa-26740", province="01"), 422))
    assert "reaches province 79 (Location/tinh-79), but the address is in province 01" in text


def test_organizations_roll_up_to_a_provincial_authority(world: TestClient) -> None:
    put(world, organization("tyt-1", "Organization/cdc-79"))
    put(world, organization("nihe", None, govt=True, province=None))
    text = refused(put(world, organization("tyt-2", "Organization/nihe"), 422), "Organization.partOf")
    assert "above province level" in text and "(vn-org-3)" in text
    text = refused(
        put(world, organization("tyt-3", "Organization/tyt-1", province="01"), 422), "Organization.partOf"
    )
    assert "reaches province 79" in text


def _transaction(*entries: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": url, "resource": r, "request": {"method": "POST", "url": r["resourceType"]}}
            for url, r in entries
        ],
    }


def test_a_transaction_may_create_the_parent_after_the_child(world: TestClient) -> None:
    point = location(None, "urn:uuid:0b7e0000-0000-4000-8000-000000000002", province="80")
    area = province_area(None, "80")
    bundle = _transaction(
        ("urn:uuid:0b7e0000-0000-4000-8000-000000000001", point),
        ("urn:uuid:0b7e0000-0000-4000-8000-000000000002", area),
    )
    response = world.post("/fhir", json=bundle, headers=FHIR)
    assert response.status_code == 200, response.text
    point_url, area_url = (e["response"]["location"] for e in response.json()["entry"])
    stored = world.get("/fhir/" + point_url.split("/_history")[0]).json()
    assert stored["partOf"]["reference"] == "/".join(area_url.split("/")[:2])


def test_a_transaction_with_a_broken_chain_is_refused_whole(world: TestClient) -> None:
    area = province_area(None, "80")
    point = location(None, "urn:uuid:0b7e0000-0000-4000-8000-000000000002", province="79")
    bundle = _transaction(
        ("urn:uuid:0b7e0000-0000-4000-8000-000000000002", area),
        ("urn:uuid:0b7e0000-0000-4000-8000-000000000001", point),
    )
    response = world.post("/fhir", json=bundle, headers=FHIR)
    assert response.status_code == 422
    [issue] = response.json()["issue"]
    assert "Bundle.entry[1]" in issue["diagnostics"] and "reaches province 80" in issue["diagnostics"]
    assert world.get("/fhir/Location?_summary=count").json()["total"] == 2  # the fixture's: nothing written


def test_validate_reports_the_rule_against_the_store(world: TestClient) -> None:
    answer = world.post(
        "/fhir/Location/$validate", json=location("dtc-1", "Location/gone"), headers=FHIR
    ).json()
    assert any(
        "Location/gone" in i["diagnostics"] and i["expression"] == ["Location.partOf"]
        for i in answer["issue"]
    )
    good = world.post(
        "/fhir/Location/$validate", json=location("dtc-1", "Location/xa-26740"), headers=FHIR
    ).json()
    assert not [i for i in good["issue"] if i["severity"] == "error"]


def test_validate_checks_the_rule_even_when_writes_do_not(tmp_path: Path) -> None:
    with _client(tmp_path, "Patient") as off:
        answer = off.post("/fhir/Location/$validate", json=location("dtc-1", None), headers=FHIR).json()
        assert any(i.get("expression") == ["Location.partOf"] for i in answer["issue"])


def test_the_profile_switch_turns_the_rule_off(tmp_path: Path) -> None:
    with _client(tmp_path, "Patient") as off:
        put(off, location("dtc-1", None))
        put(off, organization("tyt-1", "Organization/nowhere"))
        put(off, location("dtc-2", "Location/dtc-2"))


def test_a_parent_is_not_deleted_while_units_hang_from_it(world: TestClient) -> None:
    response = world.delete("/fhir/Location/tinh-79")
    assert response.status_code == 409
    [issue] = response.json()["issue"]
    assert issue["code"] == "conflict" and "partOf parent of Location/xa-26740" in issue["diagnostics"]
    assert issue["details"]["text"] and issue["expression"] == ["Location.partOf"]
    assert world.delete("/fhir/Location", params={"_id": "tinh-79"}).status_code == 409  # conditional
    put(world, organization("tyt-1", "Organization/cdc-79"))
    assert world.delete("/fhir/Organization/cdc-79").status_code == 409
    assert world.delete("/fhir/Organization/tyt-1").status_code == 204
    assert world.delete("/fhir/Organization/cdc-79").status_code == 204


def test_a_transaction_may_delete_a_parent_with_its_children(world: TestClient) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"request": {"method": "DELETE", "url": "Location/tinh-79"}},
            {"request": {"method": "DELETE", "url": "Location/xa-26740"}},
        ],
    }
    assert world.post("/fhir", json=bundle, headers=FHIR).status_code == 200
    assert world.get("/fhir/Location/tinh-79").status_code == 410


def test_changing_a_parent_re_checks_its_children(world: TestClient) -> None:
    put(world, location("dtc-1", "Location/xa-26740", province="79"))
    put(world, province_area("tinh-80", "80"))
    moved = {**commune_area(), "partOf": {"reference": "Location/tinh-80"}}
    moved["address"] = _address("80", "25549")  # Xã Tân Phú of province 80: the commune itself is consistent
    text = refused(put(world, moved, 422))
    assert text.startswith(
        "This change breaks the partOf chain of Location/dtc-1: The partOf chain reaches province 80"
    )
    assert world.get("/fhir/Location/xa-26740").json()["partOf"] == {"reference": "Location/tinh-79"}
    put(world, {**province_area(), "name": "TP. Hồ Chí Minh"})  # a change that keeps the chains is fine


def test_validate_mode_delete_names_the_children(world: TestClient) -> None:
    params = {"resourceType": "Parameters", "parameter": [{"name": "mode", "valueCode": "delete"}]}
    answer = world.post("/fhir/Location/tinh-79/$validate", json=params, headers=FHIR)
    assert answer.status_code == 200
    [issue] = [i for i in answer.json()["issue"] if i["severity"] == "error"]
    assert issue["code"] == "conflict" and "partOf parent of Location/xa-26740" in issue["diagnostics"]
    leaf = world.post("/fhir/Location/xa-26740/$validate", json=params, headers=FHIR).json()
    assert not [i for i in leaf["issue"] if i["severity"] == "error"]
