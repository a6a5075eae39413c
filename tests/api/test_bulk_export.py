"""$export over the ASGI app: kick-off, polling, manifest, downloads, levels, parameters, restart."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from starlette.testclient import TestClient

from fhir_server.app import create_app
from fhir_server.settings import Settings
from tests.api.conftest import immunization, patient

ASYNC = {"Prefer": "respond-async", "Accept": "application/fhir+json"}


def load(client: TestClient) -> None:
    for n in (1, 2, 3):
        assert client.put(f"/fhir/Patient/p{n}", json=patient(f"p{n}")).status_code == 201
    for n in (1, 2):
        body = immunization(id=f"i{n}", patient={"reference": f"Patient/p{n}"})
        assert client.put(f"/fhir/Immunization/i{n}", json=body).status_code == 201
    org = {"resourceType": "Organization", "id": "o1", "name": "Trạm Y tế"}
    assert client.put("/fhir/Organization/o1", json=org).status_code == 201
    group = {
        "resourceType": "Group",
        "id": "g1",
        "type": "person",
        "actual": True,
        "member": [
            {"entity": {"reference": "Patient/p1"}},
            {"entity": {"reference": "Patient/p3"}},
            {"entity": {"reference": "Patient/p2"}, "inactive": True},
        ],
    }
    assert client.put("/fhir/Group/g1", json=group).status_code == 201


def kickoff(client: TestClient, path: str, **headers: str) -> str:
    response = client.get(path, headers={**ASYNC, **headers})
    assert response.status_code == 202, response.text
    location = response.headers["content-location"]
    assert location.startswith("http://testserver/fhir/$export-status/")
    return location


def wait(client: TestClient, location: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        response = client.get(location)
        if response.status_code == 200:
            assert response.headers["content-type"].startswith("application/json")
            assert "expires" in response.headers
            manifest: dict[str, Any] = response.json()
            return manifest
        assert response.status_code == 202, response.text
        assert "x-progress" in response.headers and response.headers["retry-after"] == "2"
        time.sleep(0.05)
    raise AssertionError("the export did not finish")


def download(client: TestClient, manifest: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for output in manifest["output"]:
        response = client.get(output["url"])
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/fhir+ndjson")
        resources = [orjson.loads(line) for line in response.content.splitlines()]
        assert len(resources) == output["count"]
        assert all(r["resourceType"] == output["type"] for r in resources)
        found.setdefault(output["type"], []).extend(resources)
    return found


def ids(found: dict[str, list[dict[str, Any]]]) -> dict[str, list[str]]:
    """By type, leaving out the recommendations the forecast upkeep stores for each child."""
    return {t: sorted(r["id"] for r in rs) for t, rs in found.items() if t != "ImmunizationRecommendation"}


def test_kickoff_needs_prefer_respond_async(client: TestClient) -> None:
    response = client.get("/fhir/$export")
    assert response.status_code == 400
    assert "respond-async" in response.json()["issue"][0]["diagnostics"]


def test_system_export_from_kickoff_to_download(client: TestClient) -> None:
    load(client)
    location = kickoff(client, "/fhir/$export")
    manifest = wait(client, location)
    assert manifest["request"] == "http://testserver/fhir/$export"
    assert manifest["requiresAccessToken"] is False and manifest["error"] == []
    assert manifest["transactionTime"].endswith("Z")
    assert ids(download(client, manifest)) == {
        "Group": ["g1"],
        "Immunization": ["i1", "i2"],
        "Organization": ["o1"],
        "Patient": ["p1", "p2", "p3"],
    }


def test_type_and_since_narrow_the_export(client: TestClient) -> None:
    load(client)
    time.sleep(0.01)
    later = client.put("/fhir/Patient/p9", json=patient("p9")).json()["meta"]["lastUpdated"]
    manifest = wait(client, kickoff(client, f"/fhir/$export?_type=Patient,Immunization&_since={later}"))
    assert ids(download(client, manifest)) == {"Patient": ["p9"]}
    manifest = wait(client, kickoff(client, "/fhir/$export?_type=Immunization"))
    assert ids(download(client, manifest)) == {"Immunization": ["i1", "i2"]}


def test_patient_export_covers_the_patient_compartments(client: TestClient) -> None:
    load(client)
    manifest = wait(client, kickoff(client, "/fhir/Patient/$export"))
    # The Group is in its members' compartments (Group.member); the Organization is in none.
    assert ids(download(client, manifest)) == {
        "Group": ["g1"],
        "Immunization": ["i1", "i2"],
        "Patient": ["p1", "p2", "p3"],
    }


def test_group_export_covers_the_active_members_only(client: TestClient) -> None:
    load(client)
    manifest = wait(client, kickoff(client, "/fhir/Group/g1/$export?_type=Patient,Immunization"))
    assert ids(download(client, manifest)) == {"Immunization": ["i1"], "Patient": ["p1", "p3"]}
    assert client.get("/fhir/Group/nope/$export", headers=ASYNC).status_code == 404


def test_parameters_are_checked(client: TestClient) -> None:
    assert client.get("/fhir/$export?_type=Nope", headers=ASYNC).status_code == 400
    assert client.get("/fhir/Patient/$export?_type=Organization", headers=ASYNC).status_code == 400
    assert client.get("/fhir/$export?_since=2026-01-01", headers=ASYNC).status_code == 400
    assert client.get("/fhir/$export?_outputFormat=text/csv", headers=ASYNC).status_code == 400
    strict = {"Prefer": "respond-async, handling=strict"}
    response = client.get("/fhir/$export?_elements=id", headers=strict)
    assert response.status_code == 400 and response.json()["issue"][0]["code"] == "not-supported"
    manifest = wait(client, kickoff(client, "/fhir/$export?_type=Patient&_elements=id"))
    (error,) = manifest["error"]
    outcome = client.get(error["url"]).json()
    assert outcome["issue"][0]["severity"] == "warning"
    assert outcome["issue"][0]["expression"] == ["_elements"]


def test_type_filter_narrows_one_type(client: TestClient) -> None:
    load(client)
    query = "_type=Patient,Immunization&_typeFilter=" + quote("Immunization?patient=Patient/p1")
    manifest = wait(client, kickoff(client, f"/fhir/$export?{query}"))
    assert ids(download(client, manifest)) == {"Immunization": ["i1"], "Patient": ["p1", "p2", "p3"]}
    manifest = wait(client, kickoff(client, f"/fhir/Patient/$export?{query}"))
    assert ids(download(client, manifest)) == {"Immunization": ["i1"], "Patient": ["p1", "p2", "p3"]}


@pytest.mark.parametrize(
    "filters",
    [
        ["Organization?name=x"],  # a type the export does not include
        ["Immunization?patient=Patient/p1", "Immunization?patient=Patient/p2"],  # two for one type
        ["Immunization?nope=1"],  # unknown parameter
        ["Immunization?_sort=date"],  # sorting has no meaning here
        ["Immunization"],  # no query
    ],
)
def test_bad_type_filters_are_refused(client: TestClient, filters: list[str]) -> None:
    query = "_type=Patient,Immunization" + "".join(f"&_typeFilter={quote(f)}" for f in filters)
    response = client.get(f"/fhir/$export?{query}", headers=ASYNC)
    assert response.status_code == 400, response.text


def test_cancel_removes_the_job(client: TestClient) -> None:
    load(client)
    location = kickoff(client, "/fhir/$export")
    assert client.delete(location).status_code == 202
    assert client.get(location).status_code == 404
    assert client.delete(location).status_code == 404
    assert client.get("/fhir/$export-status/0123").status_code == 404


def test_files_are_split_and_unknown_files_are_not_served(settings: Settings) -> None:
    small = Settings(**{**settings.model_dump(), "export_max_lines": 2})
    with TestClient(create_app(small)) as client:
        load(client)
        manifest = wait(client, kickoff(client, "/fhir/$export?_type=Patient"))
        assert [(o["url"].rsplit("/", 1)[1], o["count"]) for o in manifest["output"]] == [
            ("Patient-1.ndjson", 2),
            ("Patient-2.ndjson", 1),
        ]
        job_files = manifest["output"][0]["url"].rsplit("/", 1)[0]
        assert client.get(f"{job_files}/..%2Fjobs.sqlite3").status_code == 404
        assert client.get(f"{job_files}/Patient-9.ndjson").status_code == 404


def test_a_job_left_by_a_stopped_server_is_run_by_the_next_one(settings: Settings) -> None:
    first = TestClient(create_app(settings))  # no lifespan: this server's worker never starts
    load(first)
    location = kickoff(first, "/fhir/$export?_type=Patient")
    assert first.get(location).status_code == 202
    with TestClient(create_app(settings)) as restarted:
        manifest = wait(restarted, location)
        assert ids(download(restarted, manifest)) == {"Patient": ["p1", "p2", "p3"]}


@pytest.mark.parametrize("path", ["/fhir/Patient/$export", "/fhir/Group/g1/$export"])
def test_export_routes_do_not_shadow_reads(client: TestClient, path: str) -> None:
    load(client)
    assert client.get("/fhir/Patient/p1").status_code == 200
    assert client.get("/fhir/Group/g1").status_code == 200
    assert client.get(path, headers=ASYNC).status_code == 202


def test_capability_statement_declares_the_export_operations(client: TestClient) -> None:
    rest = client.get("/fhir/metadata").json()["rest"][0]
    ours = "https://fhir.vn/OperationDefinition"
    assert {"name": "export", "definition": f"{ours}/export"} in rest["operation"]
    by_type = {r["type"]: r for r in rest["resource"]}
    # Containment: the national $operations ($validate on every type) are listed beside $export.
    ops = {rt: {(o["name"], o["definition"]) for o in r.get("operation", ())} for rt, r in by_type.items()}
    assert ("export", f"{ours}/Group-export") in ops["Group"]
    assert ("export", f"{ours}/Patient-export") in ops["Patient"]
    assert "export" not in {name for name, _ in ops["Immunization"]}
    # Our definitions narrow HL7's Bulk Data ones (served here, read-only) and say so in `base`.
    group = client.get("/fhir/OperationDefinition/Group-export").json()
    assert group["base"] == "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export"
    assert {p["name"] for p in group["parameter"]} == {"_outputFormat", "_since", "_type", "_typeFilter"}


def test_post_kickoff_takes_a_parameters_body(client: TestClient) -> None:
    load(client)
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "_type", "valueString": "Patient,Immunization"},
            {"name": "_typeFilter", "valueString": "Immunization?patient=Patient/p2"},
        ],
    }
    response = client.post("/fhir/Group/g1/$export", json=body, headers=ASYNC)
    assert response.status_code == 202, response.text
    manifest = wait(client, response.headers["content-location"])
    assert ids(download(client, manifest)) == {"Patient": ["p1", "p3"]}  # p2 is an inactive member
    response = client.post("/fhir/$export", json=body, headers=ASYNC)
    manifest = wait(client, response.headers["content-location"])
    assert ids(download(client, manifest)) == {"Immunization": ["i2"], "Patient": ["p1", "p2", "p3"]}
    assert client.post("/fhir/$export", json={"resourceType": "Patient"}, headers=ASYNC).status_code == 400
    bad = {"resourceType": "Parameters", "parameter": [{"name": "_type"}]}
    assert client.post("/fhir/$export", json=bad, headers=ASYNC).status_code == 400
    assert client.post("/fhir/$export", json=body).status_code == 400  # no Prefer: respond-async
