"""_include / _revinclude on type-level search."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.api.conftest import FHIR_JSON, immunization, patient

JSON = {"Content-Type": FHIR_JSON}
STRICT = {"Prefer": "handling=strict"}


def _load(client: TestClient) -> None:
    client.put("/fhir/Patient/pat-1", json=patient("pat-1"), headers=JSON)
    client.put("/fhir/Patient/pat-2", json=patient("pat-2"), headers=JSON)
    for id, pat in (("imm-1", "pat-1"), ("imm-2", "pat-1"), ("imm-3", "pat-2")):
        body = immunization(id=id, patient={"reference": f"Patient/{pat}"})
        assert client.put(f"/fhir/Immunization/{id}", json=body, headers=JSON).status_code == 201


def _entries(bundle: dict[str, Any]) -> list[tuple[str, str, str]]:
    return sorted(
        (e["search"]["mode"], e["resource"]["resourceType"], e["resource"]["id"])
        for e in bundle.get("entry", [])
    )


def test_include_adds_referenced_patient_once(client: TestClient) -> None:
    _load(client)
    bundle = client.get(
        "/fhir/Immunization",
        params={"patient": "pat-1", "_include": "Immunization:patient", "_total": "accurate"},
    ).json()
    assert bundle["total"] == 2  # included resources are not counted
    assert _entries(bundle) == [
        ("include", "Patient", "pat-1"),
        ("match", "Immunization", "imm-1"),
        ("match", "Immunization", "imm-2"),
    ]
    included = next(e for e in bundle["entry"] if e["search"]["mode"] == "include")
    assert included["fullUrl"] == "http://testserver/fhir/Patient/pat-1"


def test_include_with_target_type_and_wildcard(client: TestClient) -> None:
    _load(client)
    typed = client.get(
        "/fhir/Immunization", params={"_id": "imm-3", "_include": "Immunization:patient:Patient"}
    ).json()
    assert ("include", "Patient", "pat-2") in _entries(typed)
    other = client.get(
        "/fhir/Immunization", params={"_id": "imm-3", "_include": "Immunization:patient:Group"}
    ).json()
    assert _entries(other) == [("match", "Immunization", "imm-3")]
    star = client.get("/fhir/Immunization", params={"_id": "imm-3", "_include": "*"}).json()
    assert ("include", "Patient", "pat-2") in _entries(star)


def test_include_skips_missing_targets_and_resources_already_matched(client: TestClient) -> None:
    _load(client)
    body = immunization(id="imm-9", patient={"reference": "Patient/nobody"})
    client.put("/fhir/Immunization/imm-9", json=body, headers=JSON)
    bundle = client.get(
        "/fhir/Immunization", params={"_id": "imm-9", "_include": "Immunization:patient"}
    ).json()
    assert _entries(bundle) == [("match", "Immunization", "imm-9")]


def test_revinclude_adds_referring_resources(client: TestClient) -> None:
    _load(client)
    bundle = client.get(
        "/fhir/Patient", params={"_id": "pat-1", "_revinclude": "Immunization:patient", "_total": "accurate"}
    ).json()
    assert bundle["total"] == 1
    assert _entries(bundle) == [
        ("include", "Immunization", "imm-1"),
        ("include", "Immunization", "imm-2"),
        ("match", "Patient", "pat-1"),
    ]


def test_revinclude_over_several_matches_deduplicates(client: TestClient) -> None:
    _load(client)
    bundle = client.get(
        "/fhir/Patient",
        params=[("_revinclude", "Immunization:patient"), ("_revinclude", "Immunization:patient")],
    ).json()
    assert [e[2] for e in _entries(bundle) if e[0] == "include"] == ["imm-1", "imm-2", "imm-3"]


def test_unknown_modifiers_and_parameters_lenient_are_ignored(client: TestClient) -> None:
    _load(client)
    for name, value in (("_include:bogus", "Immunization:patient"), ("_include", "Immunization:nope")):
        bundle = client.get("/fhir/Immunization", params={"_id": "imm-1", name: value}).json()
        assert _entries(bundle) == [("match", "Immunization", "imm-1")]
        self_link = next(link["url"] for link in bundle["link"] if link["relation"] == "self")
        assert "_include" not in self_link


def test_unknown_modifiers_or_non_reference_parameters_strict_are_400(client: TestClient) -> None:
    for name, value in (
        ("_include:bogus", "Immunization:patient"),
        ("_include", "Immunization:nope"),
        ("_include", "Immunization:lot-number"),
        ("_revinclude", "Nothing:patient"),
    ):
        response = client.get("/fhir/Immunization", params={name: value}, headers=STRICT)
        assert response.status_code == 400, (name, value)
        assert response.json()["issue"][0]["code"] == "not-supported"


def _organizations(client: TestClient, n: int) -> None:
    """org-1 .. org-n, each part of the next; pat-1 is managed by org-1."""
    for k in range(1, n + 1):
        body: dict[str, Any] = {"resourceType": "Organization", "id": f"org-{k}", "name": f"Org {k}"}
        if k < n:
            body["partOf"] = {"reference": f"Organization/org-{k + 1}"}
        assert client.put(f"/fhir/Organization/org-{k}", json=body, headers=JSON).status_code == 201
    managed = patient("pat-1", managingOrganization={"reference": "Organization/org-1"})
    client.put("/fhir/Patient/pat-1", json=managed, headers=JSON)
    body = immunization(id="imm-1", patient={"reference": "Patient/pat-1"})
    client.put("/fhir/Immunization/imm-1", json=body, headers=JSON)


def test_include_iterate_follows_included_resources_up_to_the_depth_cap(client: TestClient) -> None:
    _organizations(client, 5)
    params = [
        ("_include", "Immunization:patient"),
        ("_include:iterate", "Patient:organization"),
        ("_include:iterate", "Organization:partof"),
    ]
    bundle = client.get("/fhir/Immunization", params=params, headers=STRICT).json()
    # round 0: pat-1; then org-1, org-2, org-3 (three iterations); org-4 is beyond the cap
    assert [e[1:] for e in _entries(bundle) if e[0] == "include"] == [
        ("Organization", "org-1"),
        ("Organization", "org-2"),
        ("Organization", "org-3"),
        ("Patient", "pat-1"),
    ]
    self_link = next(link["url"] for link in bundle["link"] if link["relation"] == "self")
    assert "_include%3Aiterate" in self_link or "_include:iterate" in self_link


def test_include_without_iterate_applies_to_the_matches_only(client: TestClient) -> None:
    _organizations(client, 2)
    params = [("_include", "Immunization:patient"), ("_include", "Patient:organization")]
    bundle = client.get("/fhir/Immunization", params=params).json()
    assert [e[1:] for e in _entries(bundle) if e[0] == "include"] == [("Patient", "pat-1")]


def test_revinclude_iterate_and_recurse(client: TestClient) -> None:
    _organizations(client, 5)
    for name in ("_revinclude:iterate", "_revinclude:recurse"):
        params = {"_id": "org-5", name: "Organization:partof"}
        bundle = client.get("/fhir/Organization", params=params, headers=STRICT).json()
        assert [e[2] for e in _entries(bundle) if e[0] == "include"] == ["org-1", "org-2", "org-3", "org-4"]


def test_include_iterate_stops_on_a_cycle(client: TestClient) -> None:
    for id, other in (("org-a", "org-b"), ("org-b", "org-a")):
        body = {"resourceType": "Organization", "id": id, "partOf": {"reference": f"Organization/{other}"}}
        client.put(f"/fhir/Organization/{id}", json=body, headers=JSON)
    params = {"_id": "org-a", "_include:iterate": "Organization:partof"}
    bundle = client.get("/fhir/Organization", params=params).json()
    assert _entries(bundle) == [("include", "Organization", "org-b"), ("match", "Organization", "org-a")]
