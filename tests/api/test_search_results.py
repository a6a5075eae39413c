"""Result parameters other than includes: _summary, _elements, _total; and POST _search."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.api.conftest import FHIR_JSON, immunization, patient

JSON = {"Content-Type": FHIR_JSON}
STRICT = {"Prefer": "handling=strict"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _load(client: TestClient, n: int = 3) -> None:
    narrative = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">x</div>'}
    for i in range(n):
        client.put(f"/fhir/Patient/p{i}", json=patient(f"p{i}", text=narrative), headers=JSON)


def _relations(bundle: dict[str, Any]) -> dict[str, str]:
    return {link["relation"]: link["url"] for link in bundle["link"]}


def _subsetted(resource: dict[str, Any]) -> bool:
    return any(tag["code"] == "SUBSETTED" for tag in resource["meta"].get("tag", []))


def test_summary_count_gives_the_total_only(client: TestClient) -> None:
    _load(client)
    bundle = client.get("/fhir/Patient", params={"_summary": "count"}).json()
    assert bundle["total"] == 3
    assert "entry" not in bundle
    assert "next" not in _relations(bundle)


def test_total_none_omits_the_total_but_keeps_paging(client: TestClient) -> None:
    _load(client)
    first = client.get("/fhir/Patient", params={"_total": "none", "_count": "2"}).json()
    assert "total" not in first
    assert len(first["entry"]) == 2
    assert "_cursor=" in _relations(first)["next"]
    last = client.get("/fhir/Patient", params={"_total": "none", "_count": "2", "_offset": "2"}).json()
    assert len(last["entry"]) == 1
    assert "next" not in _relations(last)
    accurate = client.get("/fhir/Patient", params={"_total": "accurate"}).json()
    assert accurate["total"] == 3


def test_plain_search_has_no_total_and_exact_next_links(client: TestClient) -> None:
    _load(client, 4)
    first = client.get("/fhir/Patient", params={"_count": "2"}).json()
    assert "total" not in first
    assert [e["resource"]["id"] for e in first["entry"]] == ["p0", "p1"]
    second = client.get(_relations(first)["next"]).json()
    assert "total" not in second
    assert [e["resource"]["id"] for e in second["entry"]] == ["p2", "p3"]
    assert "next" not in _relations(second)  # exactly a full last page: no empty page after it


def test_total_accurate_or_estimate_counts_the_matches(client: TestClient) -> None:
    _load(client, 4)
    for value in ("accurate", "estimate"):
        first = client.get("/fhir/Patient", params={"_count": "2", "_total": value}).json()
        assert first["total"] == 4, value
        assert len(first["entry"]) == 2
        following = client.get(_relations(first)["next"]).json()
        assert following["total"] == 4 and "next" not in _relations(following)
    body = immunization(id="i0", patient={"reference": "Patient/p0"})
    assert client.put("/fhir/Immunization/i0", json=body, headers=JSON).status_code == 201
    assert "total" not in client.get("/fhir/Patient/p0/Immunization").json()
    assert client.get("/fhir/Patient/p0/Immunization", params={"_total": "accurate"}).json()["total"] == 1
    system = client.get("/fhir", params={"_type": "Patient", "_count": "2"}).json()
    assert "total" not in system and "_offset=2" in _relations(system)["next"]
    assert client.get("/fhir", params={"_type": "Patient", "_total": "accurate"}).json()["total"] == 4


def test_elements_keeps_the_named_elements_and_tags_subsetted(client: TestClient) -> None:
    _load(client, 1)
    bundle = client.get("/fhir/Patient", params={"_elements": "gender,Patient.birthDate"}).json()
    resource = bundle["entry"][0]["resource"]
    assert set(resource) == {"resourceType", "id", "meta", "gender", "birthDate"}
    assert _subsetted(resource)
    assert resource["meta"]["versionId"] == "1"


def test_summary_data_removes_the_narrative(client: TestClient) -> None:
    _load(client, 1)
    resource = client.get("/fhir/Patient", params={"_summary": "data"}).json()["entry"][0]["resource"]
    assert "text" not in resource
    assert resource["name"]
    assert _subsetted(resource)
    plain = client.get("/fhir/Patient").json()["entry"][0]["resource"]
    assert "text" in plain
    assert not _subsetted(plain)


def test_malformed_result_values_are_400(client: TestClient) -> None:
    for name in ("_summary", "_total"):
        response = client.get("/fhir/Patient", params={name: "maybe"})
        assert response.status_code == 400
        assert response.json()["issue"][0]["expression"] == [name]


def test_post_search_matches_get(client: TestClient) -> None:
    _load(client)
    client.put("/fhir/Patient/m", json=patient("m", gender="male"), headers=JSON)
    by_get = client.get("/fhir/Patient", params={"gender": "male", "_total": "accurate"}).json()
    by_post = client.post("/fhir/Patient/_search", content="gender=male&_total=accurate", headers=FORM).json()
    assert by_post["total"] == by_get["total"] == 1
    assert by_post["entry"] == by_get["entry"]
    assert _relations(by_post)["self"] == _relations(by_get)["self"]


def test_post_search_combines_url_and_body_parameters(client: TestClient) -> None:
    _load(client)
    client.put("/fhir/Patient/m", json=patient("m", gender="male"), headers=JSON)
    response = client.post("/fhir/Patient/_search?_id=m,p0", content="gender=female", headers=FORM)
    assert [e["resource"]["id"] for e in response.json()["entry"]] == ["p0"]


def test_post_search_refuses_other_media_types(client: TestClient) -> None:
    response = client.post("/fhir/Patient/_search", json={"gender": "male"}, headers=JSON)
    assert response.status_code == 415
