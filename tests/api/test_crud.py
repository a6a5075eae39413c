"""Create, read, vread, update, patch and delete over HTTP with the FHIR http page's headers."""

from __future__ import annotations

import orjson
from starlette.testclient import TestClient

from tests.api.conftest import FHIR_JSON, immunization, patient

JSON = {"Content-Type": FHIR_JSON}


def test_create_assigns_id_version_and_headers(client: TestClient) -> None:
    response = client.post("/fhir/Patient", json=patient("client-chosen"), headers=JSON)
    assert response.status_code == 201
    body = response.json()
    assert body["id"] != "client-chosen"  # the server assigns ids on create
    assert body["meta"]["versionId"] == "1"
    assert response.headers["etag"] == 'W/"1"'
    assert response.headers["location"].endswith(f"/fhir/Patient/{body['id']}/_history/1")
    assert response.headers["content-type"].startswith("application/fhir+json")
    assert "GMT" in response.headers["last-modified"]


def test_read_returns_what_was_stored(client: TestClient) -> None:
    created = client.post("/fhir/Patient", json=patient(), headers=JSON).json()
    response = client.get(f"/fhir/Patient/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created
    assert response.headers["etag"] == 'W/"1"'


def test_update_creates_versions_and_vread_finds_each(client: TestClient) -> None:
    first = client.put("/fhir/Patient/p1", json=patient("p1"), headers=JSON)
    assert first.status_code == 201  # create-on-update with a client id
    second = client.put("/fhir/Patient/p1", json=patient("p1", gender="male"), headers=JSON)
    assert second.status_code == 200
    assert second.json()["meta"]["versionId"] == "2"
    assert client.get("/fhir/Patient/p1/_history/1").json()["gender"] == "female"
    assert client.get("/fhir/Patient/p1/_history/2").json()["gender"] == "male"
    assert client.get("/fhir/Patient/p1/_history/3").status_code == 404


def test_update_with_mismatched_id_is_refused(client: TestClient) -> None:
    response = client.put("/fhir/Patient/p1", json=patient("p2"), headers=JSON)
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["id"]


def test_if_match_guards_updates(client: TestClient) -> None:
    client.put("/fhir/Patient/p1", json=patient("p1"), headers=JSON)
    stale = client.put("/fhir/Patient/p1", json=patient("p1"), headers={**JSON, "If-Match": 'W/"7"'})
    assert stale.status_code == 412
    assert stale.json()["resourceType"] == "OperationOutcome"
    fresh = client.put("/fhir/Patient/p1", json=patient("p1"), headers={**JSON, "If-Match": 'W/"1"'})
    assert fresh.status_code == 200
    assert fresh.headers["etag"] == 'W/"2"'


def test_delete_is_logical(client: TestClient) -> None:
    client.put("/fhir/Patient/p1", json=patient("p1"), headers=JSON)
    assert client.delete("/fhir/Patient/p1").status_code == 204
    gone = client.get("/fhir/Patient/p1")
    assert gone.status_code == 410
    assert gone.json()["issue"][0]["code"] == "deleted"
    assert client.get("/fhir/Patient/p1/_history/1").status_code == 200
    assert client.delete("/fhir/Patient/p1").status_code == 204  # idempotent
    again = client.put("/fhir/Patient/p1", json=patient("p1"), headers=JSON)
    assert again.status_code == 201
    assert again.json()["meta"]["versionId"] == "3"


def test_read_of_unknown_resource_is_404_outcome(client: TestClient) -> None:
    response = client.get("/fhir/Patient/nobody")
    assert response.status_code == 404
    assert response.json()["resourceType"] == "OperationOutcome"


def test_prefer_return(client: TestClient) -> None:
    minimal = client.post("/fhir/Patient", json=patient(), headers={**JSON, "Prefer": "return=minimal"})
    assert minimal.status_code == 201
    assert minimal.content == b""
    assert minimal.headers["location"]
    outcome = client.post(
        "/fhir/Patient", json=patient(), headers={**JSON, "Prefer": "return=OperationOutcome"}
    )
    assert outcome.json()["resourceType"] == "OperationOutcome"
    assert outcome.json()["issue"][0]["severity"] == "information"


def test_conditional_create_returns_existing_match(client: TestClient) -> None:
    header = {**JSON, "If-None-Exist": "identifier=https://fhir.vn/sid/cccd|079226000123"}
    first = client.post("/fhir/Patient", json=patient(), headers=header)
    second = client.post("/fhir/Patient", json=patient(), headers=header)
    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["meta"]["versionId"] == "1"


def test_conditional_create_with_unknown_parameter_is_refused(client: TestClient) -> None:
    header = {**JSON, "If-None-Exist": "no-such-param=1"}
    assert client.post("/fhir/Patient", json=patient(), headers=header).status_code == 400


def test_conditional_update_creates_then_updates(client: TestClient) -> None:
    url = "/fhir/Patient?identifier=https://fhir.vn/sid/cccd|079226000123"
    created = client.put(url, json=patient(), headers=JSON)
    assert created.status_code == 201
    updated = client.put(url, json=patient(gender="male"), headers=JSON)
    assert updated.status_code == 200
    assert updated.json()["id"] == created.json()["id"]
    assert updated.json()["meta"]["versionId"] == "2"


def test_conditional_update_with_several_matches_is_412(client: TestClient) -> None:
    client.post("/fhir/Patient", json=patient(), headers=JSON)
    client.post("/fhir/Patient", json=patient(), headers=JSON)
    url = "/fhir/Patient?identifier=https://fhir.vn/sid/cccd|079226000123"
    assert client.put(url, json=patient(), headers=JSON).status_code == 412


def test_conditional_delete(client: TestClient) -> None:
    created = client.post("/fhir/Patient", json=patient(), headers=JSON).json()
    response = client.delete("/fhir/Patient?identifier=https://fhir.vn/sid/cccd|079226000123")
    assert response.status_code == 204
    assert client.get(f"/fhir/Patient/{created['id']}").status_code == 410


def test_json_patch(client: TestClient) -> None:
    client.put("/fhir/Patient/p1", json=patient("p1"), headers=JSON)
    ops = [{"op": "replace", "path": "/gender", "value": "male"}]
    response = client.patch(
        "/fhir/Patient/p1",
        content=orjson.dumps(ops),
        headers={"Content-Type": "application/json-patch+json", "If-Match": 'W/"1"'},
    )
    assert response.status_code == 200
    assert response.json()["gender"] == "male"
    assert response.json()["meta"]["versionId"] == "2"


def test_json_patch_producing_invalid_resource_is_refused(client: TestClient) -> None:
    client.put("/fhir/Patient/p1", json=patient("p1"), headers=JSON)
    ops = [{"op": "replace", "path": "/gender", "value": "mal"}]
    response = client.patch(
        "/fhir/Patient/p1", content=orjson.dumps(ops), headers={"Content-Type": "application/json-patch+json"}
    )
    assert response.status_code in (400, 422)
    assert client.get("/fhir/Patient/p1").json()["gender"] == "female"


def test_decimals_keep_their_precision(client: TestClient) -> None:
    body = immunization(doseQuantity={"value": 1.50, "unit": "mL"})
    raw = orjson.dumps(body).replace(b'"value":1.5', b'"value":1.50')
    created = client.post("/fhir/Immunization", content=raw, headers=JSON)
    assert created.status_code == 201, created.text
    assert b'"value":1.50' in client.get(f"/fhir/Immunization/{created.json()['id']}").content


def test_every_resource_type_is_served(client: TestClient) -> None:
    response = client.post(
        "/fhir/Observation",
        json={"resourceType": "Observation", "status": "final", "code": {"text": "weight"}},
        headers=JSON,
    )
    assert response.status_code == 201
    assert client.get(f"/fhir/Observation/{response.json()['id']}").status_code == 200
