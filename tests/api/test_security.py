"""Enforcement over the ASGI app (issue 5 item 6, the resource-server half): a patient token never sees
another child, writers change only what their organisation recorded, refusals are 401/403/404 with the
right headers, and every request leaves an AuditEvent."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from fhir_server.app import create_app
from fhir_server.services.access import RECORDED_BY
from fhir_server.settings import Settings
from tests.api.security_world import FHIR_JSON, World, immunization, world
from tests.api.security_world import patient as security_patient

__all__ = ["world"]  # the fixture


def ids(bundle: dict[str, Any]) -> set[str]:
    return {e["resource"]["id"] for e in bundle.get("entry", [])}


# -- authentication ----------------------------------------------------------------------------------


def test_no_token_is_401_with_www_authenticate(world: World) -> None:
    response = world.client.get("/fhir/Immunization/imm-1")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="fhir"')
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == "login"
    assert outcome["issue"][0]["details"]["text"]  # Vietnamese


def test_a_bad_token_is_401_invalid_token(world: World) -> None:
    response = world.client.get("/fhir/Patient", headers={"Authorization": "Bearer not.a.token"})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    tampered = world.parent("child-1")["Authorization"][:-4] + "AAAA"
    assert world.client.get("/fhir/Patient", headers={"Authorization": tampered}).status_code == 401


def test_metadata_and_discovery_need_no_token(world: World) -> None:
    assert world.client.get("/fhir/metadata").status_code == 200
    assert world.client.get("/fhir/.well-known/smart-configuration").status_code == 200
    assert world.client.get("/health").status_code == 200


def test_capability_statement_names_smart_security(world: World) -> None:
    rest = world.client.get("/fhir/metadata").json()["rest"][0]
    security = rest["security"]
    assert security["service"][0]["coding"][0]["code"] == "SMART-on-FHIR"
    uris = {e["url"]: e["valueUri"] for e in security["extension"][0]["extension"]}
    assert uris["token"].endswith("/auth/token")
    assert uris["authorize"].endswith("/auth/authorize")


# -- scopes ------------------------------------------------------------------------------------------


def test_insufficient_scope_is_403_forbidden(world: World) -> None:
    headers = world.parent("child-1", scope="patient/Immunization.rs")
    response = world.client.get("/fhir/Observation", headers=headers)
    assert response.status_code == 403
    assert response.json()["issue"][0]["code"] == "forbidden"
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    created = world.client.post("/fhir/Immunization", json=immunization("x", "child-1"), headers=headers)
    assert created.status_code == 403


def test_v1_scopes_work(world: World) -> None:
    headers = world.parent("child-1", scope="patient/*.read")
    assert world.client.get("/fhir/Immunization/imm-1", headers=headers).status_code == 200
    assert ids(world.client.get("/fhir/Immunization", headers=headers).json()) == {"imm-1"}
    write = world.client.post("/fhir/Immunization", json=immunization("x", "child-1"), headers=headers)
    assert write.status_code == 403


def test_search_parameter_narrowing(world: World) -> None:
    headers = world.parent("child-1", scope="patient/Observation.rs?category=laboratory")
    found = world.client.get("/fhir/Observation", headers=headers).json()
    assert ids(found) == {"obs-lab-1"}
    assert world.client.get("/fhir/Observation/obs-vital-1", headers=headers).status_code == 404
    assert world.client.get("/fhir/Observation/obs-lab-1", headers=headers).status_code == 200


# -- a parent's token never reaches another child --------------------------------------------------------


def test_patient_token_reading_another_child_by_id_is_404(world: World) -> None:
    headers = world.parent("child-1")
    assert world.client.get("/fhir/Patient/child-1", headers=headers).status_code == 200
    for url in ("/fhir/Patient/child-2", "/fhir/Immunization/imm-2", "/fhir/Immunization/imm-2/_history/1"):
        response = world.client.get(url, headers=headers)
        assert response.status_code == 404, url
        assert "Trần" not in response.text and "LOT-imm-2" not in response.text
    # the same answer as for an id that does not exist: existence is not revealed
    assert world.client.get("/fhir/Patient/nobody", headers=headers).status_code == 404


def test_patient_token_search_is_narrowed(world: World) -> None:
    headers = world.parent("child-1")
    assert ids(world.client.get("/fhir/Immunization", headers=headers).json()) == {"imm-1"}
    assert ids(world.client.get("/fhir/Patient", headers=headers).json()) == {"child-1"}
    asked = world.client.get("/fhir/Immunization?patient=Patient/child-2", headers=headers).json()
    assert ids(asked) == set()
    by_post = world.client.post(
        "/fhir/Immunization/_search", data={"patient": "child-2"}, headers=headers
    ).json()
    assert ids(by_post) == set()


def test_patient_token_includes_do_not_leak(world: World) -> None:
    headers = world.parent("child-1")
    rev = world.client.get("/fhir/Patient?_revinclude=Immunization:patient", headers=headers).json()
    assert ids(rev) == {"child-1", "imm-1"}
    inc = world.client.get("/fhir/Immunization?_include=Immunization:patient", headers=headers).json()
    assert ids(inc) == {"imm-1", "child-1"}
    # a shared type (Organization) may be included: it holds nobody's health data
    org = world.client.get("/fhir/Immunization?_include=Immunization:performer", headers=headers).json()
    assert ids(org) == {"imm-1", "clinic-a"}


def test_include_filters_resources_of_another_patient(world: World) -> None:
    # child-1's immunization pointing at child-2 (a data error or an attack): child-2 is not included
    world.put(immunization("imm-odd", "child-1", reasonReference=[{"reference": "Observation/obs-lab-2"}]))
    headers = world.parent("child-1")
    found = world.client.get("/fhir/Immunization?_include=Immunization:reason-reference", headers=headers)
    assert "obs-lab-2" not in ids(found.json())
    assert "obs-lab-2" in ids(
        world.client.get(
            "/fhir/Immunization?_include=Immunization:reason-reference", headers=world.admin
        ).json()
    )


def test_patient_token_chains_and_has_do_not_leak(world: World) -> None:
    headers = world.parent("child-1")
    chained = world.client.get("/fhir/Immunization?patient.family=Trần", headers=headers).json()
    assert ids(chained) == set()
    has = world.client.get("/fhir/Patient?_has:Immunization:patient:lot-number=LOT-imm-2", headers=headers)
    assert ids(has.json()) == set()
    own = world.client.get("/fhir/Patient?_has:Immunization:patient:lot-number=LOT-imm-1", headers=headers)
    assert ids(own.json()) == {"child-1"}


def test_patient_token_history_does_not_leak(world: World) -> None:
    headers = world.parent("child-1")
    assert world.client.get("/fhir/Patient/child-2/_history", headers=headers).status_code == 404
    assert world.client.get("/fhir/Patient/child-1/_history", headers=headers).status_code == 200
    type_history = world.client.get("/fhir/Immunization/_history", headers=headers).json()
    assert {e["resource"]["id"] for e in type_history["entry"]} == {"imm-1"}
    system = world.client.get("/fhir/_history", headers=headers).json()
    seen = {e["fullUrl"].split("/fhir/")[1] for e in system.get("entry", [])}
    assert "Patient/child-2" not in seen and "Immunization/imm-2" not in seen
    assert "Patient/child-1" in seen


def test_patient_token_compartment_search_of_another_patient(world: World) -> None:
    headers = world.parent("child-1")
    other = world.client.get("/fhir/Patient/child-2/Immunization", headers=headers).json()
    assert ids(other) == set()
    own = world.client.get("/fhir/Patient/child-1/Immunization", headers=headers).json()
    assert ids(own) == {"imm-1"}


def test_patient_token_system_search(world: World) -> None:
    headers = world.parent("child-1")
    found = world.client.get("/fhir?_type=Patient,Immunization", headers=headers).json()
    assert ids(found) == {"child-1", "imm-1"}


def test_patient_token_batch_and_transaction(world: World) -> None:
    headers = world.parent("child-1", scope="patient/*.cruds")
    batch = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            {"request": {"method": "GET", "url": "Patient/child-2"}},
            {"request": {"method": "GET", "url": "Immunization?patient=child-2"}},
            {"request": {"method": "GET", "url": "Patient/child-1"}},
        ],
    }
    answer = world.client.post("/fhir", json=batch, headers=headers).json()
    statuses = [e["response"]["status"] for e in answer["entry"]]
    assert statuses[0].startswith("404") and statuses[2].startswith("200")
    assert answer["entry"][1]["resource"].get("entry", []) == []
    assert "Trần" not in str(answer)
    transaction = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": "urn:uuid:11111111-1111-1111-1111-111111111111",
                "resource": immunization("n1", "child-1"),
                "request": {"method": "POST", "url": "Immunization"},
            },
            {
                "resource": immunization("imm-2", "child-2", lotNumber="CHANGED"),
                "request": {"method": "PUT", "url": "Immunization/imm-2"},
            },
        ],
    }
    refused = world.client.post("/fhir", json=transaction, headers=headers)
    assert refused.status_code in (403, 404)
    assert "Bundle.entry[1]" in str(refused.json()["issue"][0].get("expression", ""))
    unchanged = world.client.get("/fhir/Immunization/imm-2", headers=world.admin).json()
    assert unchanged["lotNumber"] == "LOT-imm-2"
    mine = world.client.get("/fhir/Immunization?patient=child-1", headers=world.admin).json()
    assert ids(mine) == {"imm-1"}  # the first entry was not written either


def test_patient_token_cannot_write_into_another_compartment(world: World) -> None:
    headers = world.parent("child-1", scope="patient/Immunization.cruds")
    other = world.client.post("/fhir/Immunization", json=immunization("x", "child-2"), headers=headers)
    assert other.status_code == 403
    own = world.client.post("/fhir/Immunization", json=immunization("x", "child-1"), headers=headers)
    assert own.status_code == 201


# -- writers and their organisation ---------------------------------------------------------------------


def test_create_records_the_organisation(world: World) -> None:
    headers = world.nurse("clinic-a")
    body = immunization(
        "x", "child-1", meta={"tag": [{"system": RECORDED_BY, "code": "Organization/clinic-b"}]}
    )
    created = world.client.post("/fhir/Immunization", json=body, headers=headers)
    assert created.status_code == 201
    tags = created.json()["meta"]["tag"]
    assert tags == [{"system": RECORDED_BY, "code": "Organization/clinic-a"}]  # a forged tag is replaced


def test_a_clinic_cannot_update_another_clinics_immunization(world: World) -> None:
    clinic_a, clinic_b = world.nurse("clinic-a"), world.nurse("clinic-b")
    created = world.client.post("/fhir/Immunization", json=immunization("x", "child-1"), headers=clinic_a)
    id = created.json()["id"]
    changed = {**created.json(), "lotNumber": "B-WAS-HERE"}
    refused = world.client.put(f"/fhir/Immunization/{id}", json=changed, headers=clinic_b)
    assert refused.status_code == 403
    assert refused.json()["issue"][0]["code"] == "forbidden"
    patch = [{"op": "replace", "path": "/lotNumber", "value": "B"}]
    patched = world.client.patch(
        f"/fhir/Immunization/{id}",
        json=patch,
        headers={**clinic_b, "Content-Type": "application/json-patch+json"},
    )
    assert patched.status_code == 403
    assert world.client.delete(f"/fhir/Immunization/{id}", headers=clinic_b).status_code == 403
    assert world.client.get(f"/fhir/Immunization/{id}", headers=clinic_a).json()["lotNumber"] == "LOT-x"
    allowed = world.client.put(
        f"/fhir/Immunization/{id}", json={**changed, "lotNumber": "A2"}, headers=clinic_a
    )
    assert allowed.status_code == 200
    assert world.client.delete(f"/fhir/Immunization/{id}", headers=clinic_a).status_code == 204


def test_transaction_updating_another_clinics_record_is_refused_whole(world: World) -> None:
    clinic_a, clinic_b = world.nurse("clinic-a"), world.nurse("clinic-b")
    id = world.client.post("/fhir/Immunization", json=immunization("x", "child-1"), headers=clinic_a).json()[
        "id"
    ]
    transaction = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [{"request": {"method": "DELETE", "url": f"Immunization/{id}"}}],
    }
    assert world.client.post("/fhir", json=transaction, headers=clinic_b).status_code == 403
    assert world.client.get(f"/fhir/Immunization/{id}", headers=clinic_a).status_code == 200


# -- managers and auditors ---------------------------------------------------------------------------------


def test_manager_reads_their_area_only(world: World) -> None:
    headers = world.token("user/*.rs", role="manager", area="Hà Nội")
    assert ids(world.client.get("/fhir/Patient", headers=headers).json()) == {"child-1"}
    assert ids(world.client.get("/fhir/Immunization", headers=headers).json()) == {"imm-1"}
    assert world.client.get("/fhir/Patient/child-2", headers=headers).status_code == 404


def test_auditor_searches_audit_events_and_a_nurse_cannot(world: World) -> None:
    world.client.get("/fhir/Patient/child-1", headers=world.parent("child-1"))
    world.audit()
    auditor = world.token("user/AuditEvent.rs", role="auditor")
    found = world.client.get("/fhir/AuditEvent?patient=Patient/child-1&_count=100", headers=auditor)
    assert found.status_code == 200
    events = [e["resource"] for e in found.json()["entry"]]
    assert any(e["subtype"][0]["code"] == "read" for e in events)
    by_agent = world.client.get("/fhir/AuditEvent?agent=RelatedPerson/rp-child-1", headers=auditor).json()
    assert by_agent["entry"]
    dated = world.client.get("/fhir/AuditEvent?date=ge2020-01-01&_count=1", headers=auditor).json()
    assert dated["entry"]
    nurse = world.nurse("clinic-a", scope="user/*.cruds")
    assert world.client.get("/fhir/AuditEvent", headers=nurse).status_code == 403
    assert world.client.post("/fhir/AuditEvent", json=events[0], headers=auditor).status_code == 403


def test_every_refused_request_leaves_an_audit_event(world: World) -> None:
    world.client.get("/fhir/Immunization/imm-2")  # 401
    world.client.get("/fhir/Observation", headers=world.parent("child-1", "patient/Immunization.rs"))  # 403
    world.client.get("/fhir/Patient/child-2", headers=world.parent("child-1"))  # 404
    world.audit()
    auditor = world.token("user/AuditEvent.rs", role="auditor")
    events = [
        e["resource"]
        for e in world.client.get("/fhir/AuditEvent?outcome=4&_count=100", headers=auditor).json()["entry"]
    ]
    descriptions = [e.get("outcomeDesc", "") for e in events]
    assert any("no access token" in d for d in descriptions)
    assert any("insufficient scope" in d for d in descriptions)
    targets = {x["what"].get("reference") for e in events for x in e.get("entity", []) if "what" in x}
    assert "Immunization/imm-2" in targets and "Patient/child-2" in targets
    anonymous = [e for e in events if e["agent"][0]["who"].get("display") == "anonymous"]
    assert anonymous and anonymous[0]["agent"][0]["network"]["address"]


def test_audit_event_of_a_search_carries_the_query(world: World) -> None:
    world.client.get("/fhir/Immunization?patient=child-1", headers=world.nurse("clinic-a"))
    world.audit()
    auditor = world.token("user/AuditEvent.rs", role="auditor")
    events = world.client.get("/fhir/AuditEvent?subtype=search-type&_count=100", headers=auditor).json()
    import base64

    queries = [
        base64.b64decode(x["query"]).decode()
        for e in events["entry"]
        for x in e["resource"].get("entity", [])
        if "query" in x
    ]
    assert "patient=child-1" in queries


def test_writes_are_audited_with_action(world: World) -> None:
    created = world.client.post(
        "/fhir/Immunization", json=immunization("x", "child-1"), headers=world.nurse("clinic-a")
    )
    world.audit()
    auditor = world.token("user/AuditEvent.rs", role="auditor")
    events = world.client.get("/fhir/AuditEvent?action=C", headers=auditor).json()["entry"]
    what = {x["what"]["reference"] for e in events for x in e["resource"].get("entity", []) if "what" in x}
    assert f"Immunization/{created.json()['id']}" in what
    assert all(e["resource"]["agent"][0]["who"] for e in events)
    assert FHIR_JSON


def test_login_failures_are_audited(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # authlib wants https unless the issuer is loopback
    refused = world.client.post(
        "/auth/token", data={"grant_type": "client_credentials", "client_id": "nobody"}
    )
    assert refused.status_code in (400, 401)
    world.audit()
    auditor = world.token("user/AuditEvent.rs", role="auditor")
    events = world.client.get("/fhir/AuditEvent?type=110114", headers=auditor).json()["entry"]
    assert events[0]["resource"]["outcome"] == "4"
    assert events[0]["resource"]["agent"][0]["network"]["address"]


def test_unrestricted_token_still_vreads_versions_of_a_deleted_resource(world: World) -> None:
    nurse = world.nurse("clinic-a")
    id = world.client.post("/fhir/Immunization", json=immunization("x", "child-1"), headers=nurse).json()[
        "id"
    ]
    assert world.client.delete(f"/fhir/Immunization/{id}", headers=nurse).status_code == 204
    assert world.client.get(f"/fhir/Immunization/{id}", headers=nurse).status_code == 410
    assert world.client.get(f"/fhir/Immunization/{id}/_history/1", headers=nurse).status_code == 200
    # a patient token learns nothing of it: not 410, 404
    assert world.client.get(f"/fhir/Immunization/{id}", headers=world.parent("child-1")).status_code == 404


def test_with_the_api_at_the_root_health_and_auth_stay_open() -> None:
    settings = Settings(database_url="memory://", base_path="", auth_required=True, audit=False)
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        assert client.get("/health").status_code == 200
        assert client.get("/auth/jwks").status_code == 200
        assert client.get("/metadata").status_code == 200
        assert client.get("/Patient").status_code == 401


def test_conditional_references_are_narrowed(world: World) -> None:
    world.put(
        {
            **security_patient("child-3", "Lê"),
            "identifier": [{"system": "https://fhir.vn/sid/cccd", "value": "079"}],
        }
    )
    headers = world.parent("child-1", scope="patient/*.cruds")
    body = immunization("x", "child-1")
    body["patient"] = {"reference": "Patient?identifier=https://fhir.vn/sid/cccd|079"}
    refused = world.client.post("/fhir/Immunization", json=body, headers=headers)
    assert refused.status_code == 412  # "matches no resource": the same as for an identifier nobody has
    nurse = world.nurse("clinic-a")
    assert world.client.post("/fhir/Immunization", json=body, headers=nurse).status_code == 201


# -- operations ------------------------------------------------------------------------------------------


def test_a_parent_forecasts_only_their_own_child(world: World) -> None:
    headers = world.parent("child-1")
    query = "$immds-forecast?assessmentDate=2026-11-27"
    own = world.client.get(f"/fhir/Patient/child-1/{query}", headers=headers)
    assert own.status_code == 200, own.text
    other = world.client.get(f"/fhir/Patient/child-2/{query}", headers=headers)
    assert other.status_code == 404


def test_a_forecast_needs_no_scope_on_clinical_facts(world: World) -> None:
    """Conditions, Observations and AllergyIntolerances feed the forecast when the caller may read them;
    a token without those scopes still gets the forecast (without them), not a 403."""
    headers = world.parent("child-1", scope="patient/Patient.rs patient/Immunization.rs")
    query = "$immds-forecast?assessmentDate=2026-11-27"
    response = world.client.get(f"/fhir/Patient/child-1/{query}", headers=headers)
    assert response.status_code == 200, response.text
    assert world.client.get("/fhir/Condition?patient=child-1", headers=headers).status_code == 403


def test_a_parent_validates_only_what_they_may_read(world: World) -> None:
    """Instance-level $validate reads the stored resource with the caller's access: another child's record
    is 404, as a read would be, and its content never appears in the OperationOutcome."""
    headers = world.parent("child-1")
    own = world.client.get("/fhir/Patient/child-1/$validate", headers=headers)
    assert own.status_code == 200, own.text
    assert own.json()["resourceType"] == "OperationOutcome"
    for url in ("/fhir/Patient/child-2/$validate", "/fhir/Immunization/imm-2/$validate"):
        other = world.client.get(url, headers=headers)
        assert other.status_code == 404, url
        assert "Trần" not in other.text and "LOT-imm-2" not in other.text
    deleting = world.client.get("/fhir/Patient/child-2/$validate?mode=delete", headers=headers)
    assert deleting.status_code == 404
    # terminology needs no personal-data scope, only a login
    lookup = world.client.get(
        "/fhir/CodeSystem/$lookup?system=https://fhir.vn/CodeSystem/vn-province&code=79", headers=headers
    )
    assert lookup.status_code == 200, lookup.text


def test_population_reports_need_user_or_system_scopes(world: World) -> None:
    for path in ("/fhir/$defaulters?area=area-vn", "/fhir/$coverage?area=area-vn&cohort=2025"):
        refused = world.client.get(path, headers=world.parent("child-1"))
        assert refused.status_code == 403, path
        assert refused.json()["issue"][0]["code"] == "forbidden"
    allowed = world.client.get("/fhir/$defaulters?area=area-vn", headers=world.nurse("org-a"))
    assert allowed.status_code != 403


def test_bulk_export_needs_population_access(world: World) -> None:
    prefer = {"Prefer": "respond-async"}
    refused = world.client.get("/fhir/$export", headers={**world.parent("child-1"), **prefer})
    assert refused.status_code == 403
    accepted = world.client.get("/fhir/$export", headers={**world.nurse("org-a"), **prefer})
    assert accepted.status_code == 202
    status_url = accepted.headers["Content-Location"].split("/fhir", 1)[1]
    assert world.client.get(f"/fhir{status_url}", headers=world.parent("child-1")).status_code == 403


def test_a_read_only_parent_token_books_nothing_and_the_queue_is_for_staff(world: World) -> None:
    appointment = {
        "resourceType": "Appointment",
        "status": "booked",
        "participant": [{"actor": {"reference": "Patient/child-2"}, "status": "accepted"}],
    }
    refused = world.client.post("/fhir/Appointment", json=appointment, headers=world.parent("child-1"))
    assert refused.status_code == 403
    assert world.client.get("/fhir/Location/x/$queue", headers=world.parent("child-1")).status_code == 403
