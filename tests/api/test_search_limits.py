"""Cost limits and edge cases a review found: they answer 4xx, never 500, on every backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from fhir_server.app import create_app
from fhir_server.settings import Settings
from tests.api.conftest import FHIR_JSON, patient

JSON = {"Content-Type": FHIR_JSON}


def test_chains_nested_too_deep_are_400(client: TestClient) -> None:
    for url in (
        "/fhir/Patient?link.link.link.name=x",
        "/fhir/Provenance?target.target.target.target._id=x",
        "/fhir/Patient?_has:Patient:link:_has:Patient:link:_has:Patient:link:name=x",
    ):
        response = client.get(url)
        assert response.status_code == 400, url
        assert response.json()["issue"][0]["code"] == "too-costly"


def test_two_hops_still_work(client: TestClient) -> None:
    assert client.get("/fhir/Immunization?patient.organization.name=x").status_code == 200


def test_too_many_or_values_are_400(client: TestClient) -> None:
    values = ",".join(f"c{i}" for i in range(501))
    response = client.get(f"/fhir/Patient?gender={values}")
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["gender"]


def test_count_zero_has_no_next_or_previous_link(client: TestClient) -> None:
    client.put("/fhir/Patient/a", json=patient("a"), headers=JSON)
    for params in ({"_count": "0", "_total": "none"}, {"_count": "0", "_offset": "5"}):
        relations = {link["relation"] for link in client.get("/fhir/Patient", params=params).json()["link"]}
        assert relations == {"self"}, params


def test_contained_is_not_silently_accepted(client: TestClient) -> None:
    response = client.get(
        "/fhir/Patient", params={"_contained": "true"}, headers={"Prefer": "handling=strict"}
    )
    assert response.status_code == 400


def test_compartment_uses_rows_of_shared_parameters(client: TestClient) -> None:
    client.put("/fhir/Patient/p1", json=patient("p1"), headers=JSON)
    device_use = {
        "resourceType": "DeviceUseStatement",
        "id": "d1",
        "status": "active",
        "subject": {"reference": "Patient/p1"},
        "device": {"reference": "Device/x"},
    }
    assert client.put("/fhir/DeviceUseStatement/d1", json=device_use, headers=JSON).status_code == 201
    accurate = {"_total": "accurate"}
    by_subject = client.get("/fhir/DeviceUseStatement", params={"subject": "Patient/p1", **accurate}).json()
    assert by_subject["total"] == 1
    assert client.get("/fhir/Patient/p1/DeviceUseStatement", params=accurate).json()["total"] == 1


def test_links_keep_criteria_that_also_came_empty(client: TestClient) -> None:
    for i in range(3):
        client.put(
            f"/fhir/Patient/p{i}", json=patient(f"p{i}", gender="male" if i else "female"), headers=JSON
        )
    bundle = client.get("/fhir/Patient?gender=male&gender=&_count=1&_total=accurate").json()
    assert bundle["total"] == 2
    links = {link["relation"]: link["url"] for link in bundle["link"]}
    assert "gender=male" in links["self"] and "gender=male" in links["next"]
    assert "gender=&" not in links["next"]


def test_sort_in_links_is_what_was_applied(client: TestClient) -> None:
    client.put("/fhir/Patient/a", json=patient("a"), headers=JSON)
    bundle = client.get("/fhir/Patient?_sort=foo,-birthdate").json()
    self_link = next(link["url"] for link in bundle["link"] if link["relation"] == "self")
    assert "_sort=-birthdate" in self_link
    assert "foo" not in self_link


def test_count_default_and_maximum_come_from_settings(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'count.sqlite3'}", default_count=3, max_count=5)
    with TestClient(create_app(settings), base_url="http://testserver") as small:
        for n in range(7):
            assert small.put(f"/fhir/Patient/p{n}", json=patient(f"p{n}"), headers=JSON).status_code == 201
        default = small.get("/fhir/Patient").json()
        assert len(default["entry"]) == 3 and "_count=3" in link(default, "self")
        capped = small.get("/fhir/Patient", params={"_count": "100"}).json()
        assert len(capped["entry"]) == 5 and "_count=5" in link(capped, "self")
        rest = small.get(link(capped, "next").replace("http://testserver", "")).json()
        assert [e["resource"]["id"] for e in rest["entry"]] == ["p5", "p6"]


def link(bundle: dict[str, Any], relation: str) -> str:
    return next(str(found["url"]) for found in bundle["link"] if found["relation"] == relation)
