"""Edge cases a review found: conditional update never overwrites a non-match, numbers in URLs,
Prefer with several preferences, _pretty on Bundles, patch errors without stored values."""

from __future__ import annotations

import orjson
import pytest
from starlette.testclient import TestClient

from fhir_server.app import create_app
from fhir_server.settings import Settings
from tests.api.conftest import FHIR_JSON, patient

JSON = {"Content-Type": FHIR_JSON}
CCCD = "https://fhir.vn/sid/cccd"


def test_conditional_update_without_match_never_overwrites_the_body_id(client: TestClient) -> None:
    client.put("/fhir/Patient/a", json=patient("a"), headers=JSON)
    other = patient("a", identifier=[{"system": CCCD, "value": "001226999999"}], gender="male")
    response = client.put(f"/fhir/Patient?identifier={CCCD}|001226999999", json=other, headers=JSON)
    assert response.status_code == 409
    assert client.get("/fhir/Patient/a").json()["meta"]["versionId"] == "1"


def test_conditional_update_without_match_creates_with_a_free_client_id(client: TestClient) -> None:
    body = patient("fresh", identifier=[{"system": CCCD, "value": "001226999998"}])
    response = client.put(f"/fhir/Patient?identifier={CCCD}|001226999998", json=body, headers=JSON)
    assert response.status_code == 201
    assert response.json()["id"] == "fresh"


@pytest.mark.parametrize(
    "url",
    [
        "/fhir/Patient/a/_history/²",
        "/fhir/Patient/a/_history/99999999999999999999999",
        "/fhir/Patient/a/_history?_count=²",
        "/fhir/Patient/_history?_cursor=s99999999999999999999999999",
        "/fhir/Patient?_count=²",
    ],
)
def test_odd_numbers_in_urls_are_4xx_not_500(client: TestClient, url: str) -> None:
    client.put("/fhir/Patient/a", json=patient("a"), headers=JSON)
    response = client.get(url)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["resourceType"] == "OperationOutcome"


def test_if_match_with_unicode_digits_is_400(client: TestClient) -> None:
    client.put("/fhir/Patient/a", json=patient("a"), headers=JSON)
    response = client.put(
        "/fhir/Patient/a", json=patient("a"), headers={**JSON, "If-Match": 'W/"²"'.encode("latin-1")}
    )  # type: ignore[dict-item]
    assert response.status_code == 400


def test_prefer_takes_several_preferences(client: TestClient) -> None:
    response = client.post(
        "/fhir/Patient", json=patient(), headers={**JSON, "Prefer": "return=minimal, handling=strict"}
    )
    assert response.status_code == 201
    assert response.content == b""
    lenient = client.get(
        "/fhir/Patient", params={"colour": "blue"}, headers={"Prefer": "handling=lenient, x=handling=strict"}
    )
    assert lenient.status_code == 200


def test_pretty_bundles(client: TestClient) -> None:
    client.put("/fhir/Patient/a", json=patient("a"), headers=JSON)
    for url in (
        "/fhir/Patient?_pretty=true",
        "/fhir/Patient/a/_history?_pretty=true",
        "/fhir/_history?_pretty=true",
    ):
        assert b'\n  "resourceType"' in client.get(url).content


def test_failed_patch_test_does_not_quote_stored_values(client: TestClient) -> None:
    client.put("/fhir/Patient/a", json=patient("a"), headers=JSON)
    ops = [{"op": "test", "path": "/name/0/family", "value": "X"}]
    response = client.patch(
        "/fhir/Patient/a", content=orjson.dumps(ops), headers={"Content-Type": "application/json-patch+json"}
    )
    assert response.status_code == 422
    assert "Nguyễn" not in response.text


def test_if_match_delete_of_missing_resource_is_412(client: TestClient) -> None:
    assert client.delete("/fhir/Patient/none", headers={"If-Match": 'W/"1"'}).status_code == 412


def test_if_none_exist_value_may_contain_a_question_mark(client: TestClient) -> None:
    body = patient(identifier=[{"system": "http://x.org/id?type=a", "value": "1"}])
    header = {**JSON, "If-None-Exist": "identifier=http://x.org/id?type=a|1"}
    assert client.post("/fhir/Patient", json=body, headers=header).status_code == 201
    assert client.post("/fhir/Patient", json=body, headers=header).status_code == 200


def test_empty_if_none_exist_is_refused(client: TestClient) -> None:
    assert (
        client.post("/fhir/Patient", json=patient(), headers={**JSON, "If-None-Exist": ""}).status_code == 400
    )


def test_history_says_201_for_create_on_update(client: TestClient) -> None:
    client.put("/fhir/Patient/a", json=patient("a"), headers=JSON)
    entry = client.get("/fhir/Patient/a/_history").json()["entry"][0]
    assert entry["response"]["status"] == "201 Created"


def test_writes_offloaded_to_the_threadpool_behave_the_same(settings: Settings) -> None:
    offloaded = settings.model_copy(update={"offload_writes": True})
    with TestClient(create_app(offloaded)) as client:
        created = client.post("/fhir/Patient", json=patient(), headers=JSON)
        assert created.status_code == 201
        url = f"/fhir/Patient/{created.json()['id']}"
        updated = client.put(url, json={**created.json(), "gender": "male"}, headers=JSON)
        assert updated.json()["meta"]["versionId"] == "2"
        assert client.delete(url).status_code == 204
        assert client.get(url).status_code == 410


def test_reads_offloaded_to_the_threadpool_behave_the_same(settings: Settings) -> None:
    offloaded = settings.model_copy(update={"offload_reads": True})
    with TestClient(create_app(offloaded)) as client:
        created = client.post("/fhir/Patient", json=patient(), headers=JSON).json()
        url = f"/fhir/Patient/{created['id']}"
        assert client.get(url).json()["id"] == created["id"]
        assert client.get(f"{url}/_history/1").status_code == 200
        assert client.get(f"{url}/_history").json()["total"] == 1
        assert client.get("/fhir/Patient?gender=female").json()["entry"][0]["resource"]["id"] == created["id"]
        assert client.get(f"{url}/Immunization").json()["type"] == "searchset"
        assert client.get("/fhir?_type=Patient").json()["type"] == "searchset"
