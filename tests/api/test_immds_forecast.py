"""`$immds-forecast` at system and instance level (VN schedule, the default), errors and input warnings; the
produced resources pass the server's own Validator."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from fhir_server.definitions.loader import load_definitions
from fhir_server.model.validator import Validator
from tests.api.conftest import FHIR_JSON

NATIONAL = "https://fhir.vn/CodeSystem/vn-vaccine"
CVX = "http://hl7.org/fhir/sid/cvx"
LOINC_DUE, LOINC_EARLIEST, LOINC_PAST_DUE = "30980-7", "30981-5", "59778-1"


def patient(**changes: Any) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": "child-1",
        "gender": "female",
        "birthDate": "2026-03-10",
    } | changes


def dose(
    code: str, day: str, *, id: str | None = None, system: str = NATIONAL, **more: Any
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Immunization",
        "status": "completed",
        "vaccineCode": {"coding": [{"system": system, "code": code}]},
        "patient": {"reference": "Patient/child-1"},
        "occurrenceDateTime": day,
    } | more
    if id:
        resource["id"] = id
    return resource


def parameters(
    assessment: str | None, child: dict[str, Any] | None, *doses: dict[str, Any]
) -> dict[str, Any]:
    parts: list[dict[str, Any]] = []
    if assessment is not None:
        parts.append({"name": "assessmentDate", "valueDate": assessment})
    if child is not None:
        parts.append({"name": "patient", "resource": child})
    parts.extend({"name": "immunization", "resource": d} for d in doses)
    return {"resourceType": "Parameters", "parameter": parts}


def outputs(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [p["resource"] for p in body["parameter"] if p["name"] == name]


def entry(recommendation: dict[str, Any], group: str) -> dict[str, Any]:
    return next(r for r in recommendation["recommendation"] if r["targetDisease"]["text"] == group)


def criteria(rec_entry: dict[str, Any]) -> dict[str, str]:
    return {c["code"]["coding"][0]["code"]: c["value"] for c in rec_entry.get("dateCriterion", [])}


def status_codes(rec_entry: dict[str, Any]) -> set[str]:
    return {c["code"] for c in rec_entry["forecastStatus"]["coding"]}


def test_system_level_birth_dose_then_penta_due(client: TestClient) -> None:
    body = parameters("2026-03-20", patient(), dose("VN-GENE-HBVAX", "2026-03-10", id="imm-1"))
    response = client.post("/fhir/$immds-forecast", json=body, headers={"Content-Type": FHIR_JSON})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["resourceType"] == "Parameters"
    [recommendation] = outputs(result, "recommendation")
    hepb = entry(recommendation, "HepB")
    assert criteria(hepb) == {
        LOINC_EARLIEST: "2026-04-21",
        LOINC_DUE: "2026-05-10",
        LOINC_PAST_DUE: "2026-06-09",
    }
    assert hepb["doseNumberPositiveInt"] == 2
    assert "notComplete" in status_codes(hepb)  # not due yet on 20 March
    assert hepb["supportingImmunization"] == [{"reference": "Immunization/imm-1"}]
    assert "EPI" in hepb["description"]
    [evaluation] = [e for e in outputs(result, "evaluation") if e["targetDisease"]["text"] == "HepB"]
    assert evaluation["immunizationEvent"] == {"reference": "Immunization/imm-1"}
    assert evaluation["doseStatus"]["coding"][0]["code"] == "valid"
    assert evaluation["doseNumberPositiveInt"] == 1
    assert outputs(result, "outcome") == []


def test_overdue_and_not_valid_reason_in_two_languages(client: TestClient) -> None:
    child = patient(birthDate="2025-01-01")
    body = parameters(
        "2025-12-01",
        child,
        dose("VN-COMBE-FIVE", "2025-02-01", id="p1"),  # 4 weeks + 3 days of age: too young
    )
    result = client.post("/fhir/$immds-forecast", json=body).json()
    [recommendation] = outputs(result, "recommendation")
    polio_or_dtp = entry(recommendation, "DTaP/Tdap/Td")
    assert {"overdue", "notComplete"} <= status_codes(polio_or_dtp)
    not_valid = [
        e for e in outputs(result, "evaluation") if e["doseStatus"]["coding"][0]["code"] == "notvalid"
    ]
    assert not_valid
    reason = not_valid[0]["doseStatusReason"][0]
    assert reason["coding"][0]["code"] == "too-young"
    vi = reason["coding"][0]["_display"]["extension"][0]["extension"][1]["valueString"]
    assert "chưa đủ tuổi" in vi


def test_bad_input_gives_warnings_not_errors(client: TestClient) -> None:
    body = parameters(
        "2026-06-01",
        patient(),
        dose("VN-NO-SUCH-VACCINE", "2026-04-01"),
        dose("VN-BCG", "2026-01-01"),  # before birth
        dose("VN-BCG", "2026-07-01"),  # after the assessment date
    )
    response = client.post("/fhir/$immds-forecast", json=body)
    assert response.status_code == 200, response.text
    [outcome] = outputs(response.json(), "outcome")
    texts = [(i["severity"], i["expression"][0], i["diagnostics"]) for i in outcome["issue"]]
    assert ("warning", "Parameters.parameter[2].resource", texts[0][2]) == texts[0]
    assert "Unknown vaccine" in texts[0][2]
    assert any("before the date of birth" in t[2] for t in texts)
    assert any("after the assessment date" in t[2] for t in texts)


def test_birth_after_assessment_and_impossible_age_are_warnings(client: TestClient) -> None:
    for birth in ("2027-01-01", "1850-01-01"):
        response = client.post(
            "/fhir/$immds-forecast", json=parameters("2026-06-01", patient(birthDate=birth))
        )
        assert response.status_code == 200, response.text
        [outcome] = outputs(response.json(), "outcome")
        assert outcome["issue"][0]["expression"] == ["Patient.birthDate"]


@pytest.mark.parametrize(
    ("body", "status", "expression"),
    [
        (parameters(None, patient()), 400, "assessmentDate"),
        (parameters("2026-06-01", None), 400, "Parameters.parameter"),
        (parameters("2026-13-01", patient()), 400, "assessmentDate"),
        ({"resourceType": "Patient"}, 400, None),
        (
            {"resourceType": "Parameters", "parameter": [{"name": "colour", "valueString": "red"}]},
            400,
            "Parameters.parameter[0].name",
        ),
        (
            {"resourceType": "Parameters", "parameter": [{"name": "assessmentDate", "valueString": "x"}]},
            400,
            "Parameters.parameter[0]",
        ),
        (parameters("2026-06-01", patient(birthDate="2026")), 422, "Patient.birthDate"),
        (parameters("2026-06-01", patient(gender="purple")), 422, "Parameters.parameter[1].resource.gender"),
    ],
)
def test_system_level_errors(client: TestClient, body: Any, status: int, expression: str | None) -> None:
    response = client.post("/fhir/$immds-forecast", json=body)
    assert response.status_code == status, response.text
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    issue = outcome["issue"][0]
    assert issue["details"]["text"]  # Vietnamese
    if expression is not None:
        assert issue["expression"] == [expression]


def _store_child(client: TestClient) -> None:
    assert client.put("/fhir/Patient/child-1", json=patient()).status_code == 201
    for i, (code, day) in enumerate([("VN-GENE-HBVAX", "2026-03-10"), ("VN-BCG", "2026-03-11")]):
        response = client.put(f"/fhir/Immunization/i{i}", json=dose(code, day, id=f"i{i}"))
        assert response.status_code == 201, response.text
    wrong = dose("VN-BCG", "2026-03-12", id="i9", status="entered-in-error")
    assert client.put("/fhir/Immunization/i9", json=wrong).status_code == 201


def test_instance_level_reads_stored_history(client: TestClient) -> None:
    _store_child(client)
    response = client.get("/fhir/Patient/child-1/$immds-forecast?assessmentDate=2026-03-20")
    assert response.status_code == 200, response.text
    result = response.json()
    events = {e["immunizationEvent"]["reference"] for e in outputs(result, "evaluation")}
    assert events == {"Immunization/i0", "Immunization/i1"}  # entered-in-error left out
    [recommendation] = outputs(result, "recommendation")
    assert recommendation["patient"] == {"reference": "Patient/child-1"}
    assert "complete" in status_codes(entry(recommendation, "BCG"))
    posted = client.post(
        "/fhir/Patient/child-1/$immds-forecast", json=parameters("2026-03-20", None), headers={}
    )
    assert posted.status_code == 200, posted.text
    assert outputs(posted.json(), "recommendation")[0]["recommendation"] == recommendation["recommendation"]


def test_instance_level_errors(client: TestClient) -> None:
    _store_child(client)
    missing = client.get("/fhir/Patient/child-1/$immds-forecast")
    assert missing.status_code == 400
    assert missing.json()["issue"][0]["expression"] == ["assessmentDate"]
    assert client.get("/fhir/Patient/nobody/$immds-forecast?assessmentDate=2026-03-20").status_code == 404
    unknown = client.get("/fhir/Patient/child-1/$immds-forecast?assessmentDate=2026-03-20&patient=x")
    assert unknown.status_code == 400
    with_patient = client.post(
        "/fhir/Patient/child-1/$immds-forecast", json=parameters("2026-03-20", patient())
    )
    assert with_patient.status_code == 400


def test_produced_resources_pass_the_validator(client: TestClient) -> None:
    _store_child(client)
    body = parameters("2026-09-01", patient(), dose("VN-GENE-HBVAX", "2026-03-10", id="a"), dose("08", "x"))
    result = client.post("/fhir/$immds-forecast", json=body)
    assert result.status_code == 400  # "x" is not a dateTime: the Validator refuses the Immunization
    body = parameters(
        "2026-09-01",
        patient(),
        dose("VN-GENE-HBVAX", "2026-03-10", id="a"),
        dose("08", "2026-05-10", system=CVX),
    )
    result = client.post("/fhir/$immds-forecast", json=body).json()
    definitions = load_definitions()
    validator = Validator(definitions.validation, definitions.resource_types)
    validator.validate(result, expected_type="Parameters")
    for part in result["parameter"]:
        validator.validate(part["resource"], expected_type=part["resource"]["resourceType"])
    stored = client.get("/fhir/Patient/child-1/$immds-forecast?assessmentDate=2026-09-01").json()
    validator.validate(stored, expected_type="Parameters")


def test_capability_statement_names_the_operation(client: TestClient) -> None:
    statement = client.get("/fhir/metadata").json()
    listed = {"name": "immds-forecast", "definition": "https://fhir.vn/OperationDefinition/immds-forecast"}
    assert listed in statement["rest"][0]["operation"]  # system level
    patient = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Patient")
    assert listed in patient["operation"]  # Patient/[id]/$immds-forecast
    served = client.get("/fhir/OperationDefinition/immds-forecast").json()
    assert served["url"] == listed["definition"] and served["system"] and served["instance"]
