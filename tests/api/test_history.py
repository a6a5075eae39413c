"""Instance, type and system history with _since, _count and paging links."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.testclient import TestClient

from tests.api.conftest import FHIR_JSON, patient

JSON = {"Content-Type": FHIR_JSON}


def _follow(client: TestClient, url: str) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = []
    while url:
        page = client.get(url).json()
        assert page["type"] == "history"
        entries.extend(page.get("entry", []))
        nxt = [link["url"] for link in page["link"] if link["relation"] == "next"]
        url = urlsplit(nxt[0])._replace(scheme="", netloc="").geturl() if nxt else ""
    return entries


def test_instance_history_lists_every_version_newest_first(client: TestClient) -> None:
    client.put("/fhir/Patient/p1", json=patient("p1"), headers=JSON)
    client.put("/fhir/Patient/p1", json=patient("p1", gender="male"), headers=JSON)
    client.delete("/fhir/Patient/p1")
    bundle = client.get("/fhir/Patient/p1/_history").json()
    assert bundle["total"] == 3
    methods = [e["request"]["method"] for e in bundle["entry"]]
    assert methods == ["DELETE", "PUT", "PUT"]
    assert "resource" not in bundle["entry"][0]
    assert bundle["entry"][1]["resource"]["meta"]["versionId"] == "2"
    assert bundle["entry"][1]["response"]["etag"] == 'W/"2"'


def test_history_of_unknown_instance_is_404(client: TestClient) -> None:
    assert client.get("/fhir/Patient/nobody/_history").status_code == 404


def test_type_and_system_history_page_through_everything(client: TestClient) -> None:
    for i in range(7):
        client.put(f"/fhir/Patient/p{i}", json=patient(f"p{i}"), headers=JSON)
    client.post(
        "/fhir/Observation",
        json={"resourceType": "Observation", "status": "final", "code": {"text": "x"}},
        headers=JSON,
    )
    type_entries = _follow(client, "/fhir/Patient/_history?_count=3")
    assert sorted(e["resource"]["id"] for e in type_entries) == sorted(f"p{i}" for i in range(7))
    system_entries = _follow(client, "/fhir/_history?_count=2")
    # every Patient write also stores the child's ImmunizationRecommendation (services/recommendations.py)
    kinds = [e["resource"]["resourceType"] for e in system_entries]
    assert len(kinds) - kinds.count("ImmunizationRecommendation") == 8
    assert kinds.count("ImmunizationRecommendation") == 7


def test_since_filters_older_versions(client: TestClient) -> None:
    client.put("/fhir/Patient/p1", json=patient("p1"), headers=JSON)
    stamp = client.get("/fhir/Patient/p1").json()["meta"]["lastUpdated"]
    client.put("/fhir/Patient/p2", json=patient("p2"), headers=JSON)
    bundle = client.get("/fhir/Patient/_history", params={"_since": "2999-01-01T00:00:00Z"}).json()
    assert bundle["total"] == 0
    bundle = client.get("/fhir/Patient/_history", params={"_since": stamp}).json()
    assert {e["resource"]["id"] for e in bundle["entry"]} >= {"p2"}


def test_bad_since_is_400(client: TestClient) -> None:
    response = client.get("/fhir/Patient/_history", params={"_since": "yesterday"})
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["_since"]
