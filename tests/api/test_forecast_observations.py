"""A child's Conditions, Observations and AllergyIntolerances become CDSi observations that change the
forecast: through `$immds-forecast` (system level: Parameters `condition`, `observation`,
`allergyIntolerance`; instance level: the stored ones) and through the stored recommendation `rec-<id>`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from fhir_server.app import create_app
from fhir_server.settings import Settings
from tests.api.conftest import FHIR_JSON
from tests.api.test_immds_forecast import dose, entry, outputs, parameters, patient, status_codes
from tests.api.test_recommendation_refresh import rec

SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
CONTRAINDICATED = "contraindicated"


def condition(system: str, code: str, **changes: Any) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "subject": {"reference": "Patient/child-1"},
        "code": {"coding": [{"system": system, "code": code}]},
        "onsetDateTime": "2026-04-01",
    } | changes


def allergy(**changes: Any) -> dict[str, Any]:
    return {
        "resourceType": "AllergyIntolerance",
        "patient": {"reference": "Patient/child-1"},
        "code": {"coding": [{"system": SNOMED, "code": "293104008"}]},  # vaccines adverse reaction
        "criticality": "high",
    } | changes


def forecast(client: TestClient, *parts: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    body = parameters("2026-05-20", patient(), dose("VN-GENE-HBVAX", "2026-03-10", id="imm-1"))
    body["parameter"].extend({"name": name, "resource": resource} for name, resource in parts)
    response = client.post("/fhir/$immds-forecast", json=body, headers={"Content-Type": FHIR_JSON})
    assert response.status_code == 200, response.text
    [recommendation] = outputs(response.json(), "recommendation")
    return recommendation  # type: ignore[no-any-return]


def test_intussusception_contraindicates_rotavirus_only(client: TestClient) -> None:
    plain = forecast(client)
    assert CONTRAINDICATED not in status_codes(entry(plain, "Rotavirus"))
    for system, code in ((ICD10, "K56.1"), (SNOMED, "49723003")):
        changed = forecast(client, ("condition", condition(system, code)))
        assert CONTRAINDICATED in status_codes(entry(changed, "Rotavirus")), (system, code)
        assert entry(changed, "Rotavirus")["forecastStatus"]["text"] == CONTRAINDICATED
        assert entry(changed, "HepB") == entry(plain, "HepB")  # other groups unchanged


def test_an_allergy_to_a_vaccine_component_contraindicates(client: TestClient) -> None:
    changed = forecast(client, ("allergyIntolerance", allergy()))
    assert CONTRAINDICATED in status_codes(entry(changed, "HepB"))
    refuted = allergy(
        verificationStatus={
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
                    "code": "refuted",
                }
            ]
        }
    )
    assert CONTRAINDICATED not in status_codes(
        entry(forecast(client, ("allergyIntolerance", refuted)), "HepB")
    )


def test_an_observation_value_is_mapped(client: TestClient) -> None:
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "82810-3"}]},  # pregnancy status
        "subject": {"reference": "Patient/child-1"},
        "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": "31323000"}]},  # SCID
    }
    changed = forecast(client, ("observation", observation))
    assert CONTRAINDICATED in status_codes(entry(changed, "Rotavirus"))
    cancelled = observation | {"status": "entered-in-error"}
    assert CONTRAINDICATED not in status_codes(
        entry(forecast(client, ("observation", cancelled)), "Rotavirus")
    )


def test_an_invalid_clinical_resource_is_located(client: TestClient) -> None:
    body = parameters("2026-05-20", patient())
    body["parameter"].append({"name": "condition", "resource": {"resourceType": "Condition", "bad": 1}})
    response = client.post("/fhir/$immds-forecast", json=body, headers={"Content-Type": FHIR_JSON})
    assert response.status_code in (400, 422)
    expressions = [e for i in response.json()["issue"] for e in i.get("expression", [])]
    assert any(e.startswith("Parameters.parameter[2].resource") for e in expressions), expressions


def test_stored_condition_changes_the_operation_and_the_stored_recommendation(client: TestClient) -> None:
    assert client.put("/fhir/Patient/child-1", json=patient()).status_code in (200, 201)
    assert CONTRAINDICATED not in status_codes(entry(rec(client), "Rotavirus"))
    created = client.post("/fhir/Condition", json=condition(ICD10, "K56.1"))
    assert created.status_code == 201, created.text
    stored = rec(client)
    assert CONTRAINDICATED in status_codes(entry(stored, "Rotavirus"))  # refreshed after the write
    response = client.get("/fhir/Patient/child-1/$immds-forecast?assessmentDate=2026-05-20")
    assert response.status_code == 200, response.text
    [recommendation] = outputs(response.json(), "recommendation")
    assert CONTRAINDICATED in status_codes(entry(recommendation, "Rotavirus"))

    resolved = created.json() | {
        "clinicalStatus": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "resolved"}
            ]
        },
        "abatementDateTime": "2026-04-20",
    }
    assert client.put(f"/fhir/Condition/{resolved['id']}", json=resolved).status_code == 200
    assert CONTRAINDICATED not in status_codes(entry(rec(client), "Rotavirus"))
    assert client.delete(f"/fhir/Condition/{resolved['id']}").status_code in (200, 204)


def test_parameters_at_instance_level_are_refused(client: TestClient) -> None:
    client.put("/fhir/Patient/child-1", json=patient())
    body = parameters("2026-05-20", None)
    body["parameter"].append({"name": "condition", "resource": condition(ICD10, "K56.1")})
    response = client.post(
        "/fhir/Patient/child-1/$immds-forecast", json=body, headers={"Content-Type": FHIR_JSON}
    )
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["Parameters.parameter[1]"]


@pytest.fixture
def cdc_client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'cdc.sqlite3'}", forecast_schedule="cdc")
    with TestClient(create_app(settings), base_url="http://testserver") as test_client:
        yield test_client


def test_laboratory_evidence_of_immunity_makes_immune(cdc_client: TestClient) -> None:
    """CDC's schedule: SNOMED 371113008 'Varicella immune' is CDSi observation 023 (evidence of immunity)."""
    evidence = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "19162-7"}]},  # VZV IgG
        "subject": {"reference": "Patient/child-1"},
        "effectiveDateTime": "2030-01-10",
        "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": "371113008"}]},
    }
    child = patient(birthDate="2026-01-15")
    body = parameters("2031-03-01", child)
    plain = cdc_client.post("/fhir/$immds-forecast", json=body, headers={"Content-Type": FHIR_JSON})
    assert plain.status_code == 200, plain.text
    [before] = outputs(plain.json(), "recommendation")
    assert "immune" not in status_codes(entry(before, "Varicella"))
    body["parameter"].append({"name": "observation", "resource": evidence})
    changed = cdc_client.post("/fhir/$immds-forecast", json=body, headers={"Content-Type": FHIR_JSON})
    [after] = outputs(changed.json(), "recommendation")
    assert "immune" in status_codes(entry(after, "Varicella"))
    assert entry(after, "Varicella")["forecastStatus"]["text"] == "immune"

    # the same evidence stored: the stored recommendation says immune too
    assert cdc_client.put("/fhir/Patient/child-1", json=child).status_code in (200, 201)
    assert cdc_client.post("/fhir/Observation", json=evidence).status_code == 201
    assert "immune" in status_codes(entry(rec(cdc_client), "Varicella"))
