"""forecast/fhir_adapter.py: FHIR in (codes, statuses, dates) and the forecast status codes out."""

from __future__ import annotations

from datetime import date
from typing import Any

from fhir_server.forecast.fhir_adapter import (
    CVX,
    cvx_code,
    doses_of,
    observations_of,
    patient_of,
    status_code,
)
from fhir_server.forecast.model import Forecast, VaccineGroupResult

NATIONAL = "https://fhir.vn/CodeSystem/vn-vaccine"


def immunization(*codings: tuple[str, str], **more: Any) -> dict[str, Any]:
    return {
        "resourceType": "Immunization",
        "status": "completed",
        "vaccineCode": {"coding": [{"system": s, "code": c} for s, c in codings]},
        "occurrenceDateTime": "2026-03-10T08:00:00+07:00",
    } | more


def test_known_national_code_wins_then_cvx_then_any() -> None:
    both = immunization((CVX, "08"), (NATIONAL, "VN-GENE-HBVAX"))
    unknown_national = immunization((CVX, "08"), (NATIONAL, "VN-NEW"))
    only_other = immunization(("urn:x", "abc"))
    got = list(doses_of([("a", both), ("b", unknown_national), ("c", only_other)], {"VN-GENE-HBVAX", "8"}))
    assert [d.dose.cvx for d in got if d.dose] == ["VN-GENE-HBVAX", "08", "abc"]
    assert got[0].dose is not None and got[0].dose.date == date(2026, 3, 10)


def test_left_out_doses() -> None:
    items = [
        ("a", immunization((CVX, "08"), status="entered-in-error")),
        ("b", immunization((CVX, "08"), status="not-done")),
        ("c", immunization((CVX, "08"), occurrenceDateTime="2026-03")),
        ("d", immunization()),
    ]
    got = list(doses_of(items))
    assert [(d.key, d.dose, d.problem.code if d.problem else None) for d in got] == [
        ("c", None, "no-occurrence-date"),
        ("d", None, "no-vaccine-code"),
    ]


def test_patient_needs_a_full_birth_date() -> None:
    assert patient_of({"birthDate": "2026"}) is None
    patient = patient_of({"birthDate": "2026-01-02", "gender": "other"})
    assert patient is not None and (patient.birth_date, patient.sex) == (date(2026, 1, 2), "unknown")


def group(forecast: Forecast) -> VaccineGroupResult:
    return VaccineGroupResult("HepB", "standard", forecast, (), ())


def test_due_overdue_and_not_yet() -> None:
    forecast = Forecast("not-complete", 2, date(2026, 4, 21), date(2026, 5, 10), date(2026, 6, 9))
    assert status_code(group(forecast), date(2026, 4, 30)) == "not-complete"
    assert status_code(group(forecast), date(2026, 5, 10)) == "due"
    assert status_code(group(forecast), date(2026, 6, 9)) == "overdue"
    assert status_code(group(Forecast("aged-out")), date(2026, 6, 9)) == "aged-out"


def test_cvx_codes_are_written_with_two_digits() -> None:
    assert [cvx_code(c) for c in ("3", "08", "110", "VN-BCG")] == ["03", "08", "110", "VN-BCG"]


def test_clinical_facts_become_observations() -> None:
    table = {("http://snomed.info/sct", "1"): ("080",), ("http://hl7.org/fhir/sid/cvx", "08"): ("080", "101")}

    def lookup(system: str, code: str) -> tuple[str, ...]:
        return table.get((system, code), ())

    later = {
        "resourceType": "Condition",
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1"}, {"system": "x", "code": "1"}]},
        "onsetDateTime": "2026-05-01",
    }
    earlier = {
        "resourceType": "AllergyIntolerance",
        "code": {"text": "reaction to HepB vaccine"},
        "reaction": [{"substance": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "08"}]}}],
        "recordedDate": "2026-04-01T10:00:00+07:00",
    }
    refuted = {
        "resourceType": "Condition",
        "verificationStatus": {"coding": [{"code": "refuted"}]},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "9"}]},
    }
    table[("http://snomed.info/sct", "9")] = ("999",)
    found = observations_of([("a", later), ("b", earlier), ("c", refuted)], lookup)
    assert [(o.code, o.date) for o in found] == [("080", date(2026, 4, 1)), ("101", date(2026, 4, 1))]
    person = patient_of({"birthDate": "2026-01-01"}, found)
    assert person is not None and person.observations == found
