"""Transaction Bundles (`POST [base]`, type transaction): all or nothing, fullUrl and conditional
reference resolution, conditional entries, processing order, limits."""

from __future__ import annotations

import base64
import json
from typing import Any

from starlette.testclient import TestClient

from fhir_server.settings import Settings
from tests.api.conftest import FHIR_JSON, immunization, patient

PAT_URN = "urn:uuid:9c1c3a6e-1f55-4b8a-9d9e-3f7e2a0c1b11"
IMM_URN = "urn:uuid:1d2e3f40-5a6b-4c7d-8e9f-a0b1c2d3e4f5"
CCCD = "https://fhir.vn/sid/cccd"


def entry(method: str, url: str, resource: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"request": {"method": method, "url": url}}
    if resource is not None:
        item["resource"] = resource
    full_url = extra.pop("fullUrl", None)
    if full_url:
        item["fullUrl"] = full_url
    item["request"].update(extra)
    return item


def transaction(*entries: dict[str, Any], kind: str = "transaction") -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


def post(client: TestClient, bundle: dict[str, Any], **headers: str) -> Any:
    return client.post("/fhir", content=json.dumps(bundle), headers={"Content-Type": FHIR_JSON, **headers})


def count(client: TestClient, resource_type: str, query: str = "") -> int:
    bundle = client.get(f"/fhir/{resource_type}?_total=accurate&{query}").json()
    return int(bundle["total"])


def child(value: str) -> dict[str, Any]:
    return patient(identifier=[{"system": CCCD, "value": value}])


def test_urn_uuid_references_resolve_to_the_new_ids(client: TestClient) -> None:
    response = post(
        client,
        transaction(
            entry("POST", "Immunization", immunization(patient={"reference": PAT_URN}), fullUrl=IMM_URN),
            entry("POST", "Patient", child("079226000001"), fullUrl=PAT_URN),
        ),
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["type"] == "transaction-response"
    imm_entry, pat_entry = result["entry"]  # the response keeps the request's order
    assert imm_entry["response"]["status"] == "201 Created"
    assert pat_entry["response"]["location"].startswith("Patient/")
    assert pat_entry["response"]["etag"] == 'W/"1"'
    patient_id = pat_entry["response"]["location"].split("/")[1]
    stored = client.get("/fhir/" + imm_entry["response"]["location"].rsplit("/_history", 1)[0]).json()
    assert stored["patient"]["reference"] == f"Patient/{patient_id}"
    # and the index follows the rewritten reference
    assert count(client, "Immunization", f"patient=Patient/{patient_id}") == 1


def test_a_failing_entry_rolls_everything_back_and_is_named(client: TestClient) -> None:
    bad = immunization(patient={"reference": PAT_URN}, status="finished")  # not in the required binding
    response = post(
        client,
        transaction(
            entry("POST", "Patient", child("079226000002"), fullUrl=PAT_URN),
            entry("POST", "Immunization", bad),
        ),
    )
    assert response.status_code == 422
    issue = response.json()["issue"][0]
    assert issue["expression"] == ["Bundle.entry[1].resource.status"]
    assert "Bundle.entry[1]" in issue["diagnostics"]
    assert count(client, "Patient") == 0


def test_a_failure_inside_the_unit_of_work_rolls_back_earlier_writes(client: TestClient) -> None:
    client.put("/fhir/Patient/p1", json=patient("p1"))
    response = post(
        client,
        transaction(
            entry("POST", "Patient", child("079226000003")),
            entry("PUT", "Patient/p1", patient("p1", gender="male"), ifMatch='W/"7"'),  # stale version
        ),
    )
    assert response.status_code == 412
    assert response.json()["issue"][0]["expression"] == ["Bundle.entry[1]"]
    assert count(client, "Patient") == 1
    assert client.get("/fhir/Patient/p1").json()["gender"] == "female"


def test_every_invalid_entry_is_reported_at_once(client: TestClient) -> None:
    response = post(
        client,
        transaction(
            entry("POST", "Patient", patient(gender="unknown-gender")),
            entry("POST", "Immunization", immunization(status=None)),
        ),
    )
    assert response.status_code in (400, 422)
    expressions = [e for issue in response.json()["issue"] for e in issue.get("expression", [])]
    assert any(e.startswith("Bundle.entry[0].resource") for e in expressions)
    assert any(e.startswith("Bundle.entry[1].resource") for e in expressions)


def test_if_none_exist_matches_and_maps_the_full_url_to_the_existing_resource(client: TestClient) -> None:
    created = client.post("/fhir/Patient", json=child("079226000004")).json()
    response = post(
        client,
        transaction(
            entry(
                "POST",
                "Patient",
                child("079226000004"),
                fullUrl=PAT_URN,
                ifNoneExist=f"identifier={CCCD}|079226000004",
            ),
            entry("POST", "Immunization", immunization(patient={"reference": PAT_URN})),
        ),
    )
    assert response.status_code == 200, response.text
    pat_entry, imm_entry = response.json()["entry"]
    assert imm_entry["response"]["status"] == "201 Created"
    assert pat_entry["response"]["status"] == "200 OK"
    assert pat_entry["response"]["location"] == f"Patient/{created['id']}/_history/1"
    assert count(client, "Patient") == 1
    assert count(client, "Immunization", f"patient=Patient/{created['id']}") == 1


def test_conditional_references_resolve_inside_the_transaction(client: TestClient) -> None:
    created = client.post("/fhir/Patient", json=child("079226000005")).json()
    reference = f"Patient?identifier={CCCD}|079226000005"
    response = post(
        client, transaction(entry("POST", "Immunization", immunization(patient={"reference": reference})))
    )
    assert response.status_code == 200, response.text
    location = response.json()["entry"][0]["response"]["location"]
    stored = client.get("/fhir/" + location.rsplit("/_history", 1)[0]).json()
    assert stored["patient"]["reference"] == f"Patient/{created['id']}"


def test_a_conditional_reference_matching_nothing_fails_with_412(client: TestClient) -> None:
    reference = f"Patient?identifier={CCCD}|000000000000"
    response = post(
        client, transaction(entry("POST", "Immunization", immunization(patient={"reference": reference})))
    )
    assert response.status_code == 412
    assert response.json()["issue"][0]["expression"] == ["Bundle.entry[0].resource.patient.reference"]
    assert count(client, "Immunization") == 0


def test_conditional_update_and_delete_entries(client: TestClient) -> None:
    client.put(
        "/fhir/Patient/p-old", json=patient("p-old", identifier=[{"system": CCCD, "value": "079226000006"}])
    )
    client.put(
        "/fhir/Patient/p-gone", json=patient("p-gone", identifier=[{"system": CCCD, "value": "079226000007"}])
    )
    response = post(
        client,
        transaction(
            entry(
                "PUT", f"Patient?identifier={CCCD}|079226000006", child("079226000006") | {"gender": "male"}
            ),
            entry("DELETE", f"Patient?identifier={CCCD}|079226000007"),
            entry(
                "PUT", f"Patient?identifier={CCCD}|079226000008", child("079226000008")
            ),  # no match: create
        ),
    )
    assert response.status_code == 200, response.text
    statuses = [e["response"]["status"] for e in response.json()["entry"]]
    assert statuses == ["200 OK", "204 No Content", "201 Created"]
    assert client.get("/fhir/Patient/p-old").json()["gender"] == "male"
    assert client.get("/fhir/Patient/p-gone").status_code == 410
    assert count(client, "Patient", f"identifier={CCCD}|079226000008") == 1


def test_deletes_run_before_creates_and_gets_see_the_writes(client: TestClient) -> None:
    client.put("/fhir/Patient/p2", json=patient("p2"))
    response = post(
        client,
        transaction(
            entry("GET", "Patient?_id=p2,p3&_total=accurate"),
            entry("PUT", "Patient/p3", patient("p3")),
            entry("DELETE", "Patient/p2"),
        ),
    )
    assert response.status_code == 200, response.text
    searchset = response.json()["entry"][0]["resource"]
    assert [e["resource"]["id"] for e in searchset["entry"]] == ["p3"]


def test_two_entries_for_the_same_resource_are_refused(client: TestClient) -> None:
    response = post(
        client, transaction(entry("PUT", "Patient/p4", patient("p4")), entry("DELETE", "Patient/p4"))
    )
    assert response.status_code == 400
    assert count(client, "Patient") == 0


def test_patch_entry_with_a_binary_json_patch(client: TestClient) -> None:
    client.put("/fhir/Patient/p5", json=patient("p5"))
    operations = [{"op": "replace", "path": "/gender", "value": "other"}]
    binary = {
        "resourceType": "Binary",
        "contentType": "application/json-patch+json",
        "data": base64.b64encode(json.dumps(operations).encode()).decode(),
    }
    response = post(client, transaction(entry("PATCH", "Patient/p5", binary, ifMatch='W/"1"')))
    assert response.status_code == 200, response.text
    assert response.json()["entry"][0]["response"]["etag"] == 'W/"2"'
    assert client.get("/fhir/Patient/p5").json()["gender"] == "other"


def test_an_unknown_urn_reference_is_refused(client: TestClient) -> None:
    response = post(
        client, transaction(entry("POST", "Immunization", immunization(patient={"reference": PAT_URN})))
    )
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["Bundle.entry[0].resource.patient.reference"]


def test_prefer_minimal_leaves_resources_out(client: TestClient) -> None:
    response = post(
        client, transaction(entry("POST", "Patient", child("079226000009"))), Prefer="return=minimal"
    )
    assert "resource" not in response.json()["entry"][0]
    response = post(client, transaction(entry("POST", "Patient", child("079226000010"))))
    assert response.json()["entry"][0]["resource"]["resourceType"] == "Patient"


def test_bad_envelopes(client: TestClient) -> None:
    assert post(client, {"resourceType": "Bundle", "type": "collection"}).status_code == 400
    assert post(client, patient()).status_code == 400
    response = post(client, transaction({"request": {"method": "FETCH", "url": "Patient"}}))
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["Bundle.entry[0].request.method"]
    response = post(client, transaction(entry("POST", "Patient/p1", patient())))
    assert response.status_code == 400


def test_entry_count_and_body_size_limits(settings: Settings) -> None:
    from fhir_server.app import create_app

    small = settings.model_copy(update={"max_bundle_entries": 2, "max_bundle_bytes": 5_000})
    with TestClient(create_app(small)) as client:
        three = transaction(*(entry("POST", "Patient", patient()) for _ in range(3)))
        response = post(client, three)
        assert response.status_code == 413
        assert response.json()["issue"][0]["code"] == "too-costly"
        big = transaction(entry("POST", "Patient", patient(name=[{"text": "x" * 6_000}])))
        assert post(client, big).status_code == 413
