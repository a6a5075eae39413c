"""The recommendation reader over hand-built ImmunizationRecommendation resources."""

from __future__ import annotations

from datetime import date

from fhir_server.services.due_doses import read_recommendation
from fhir_server.services.scheduling_codes import VACCINE_SYSTEM
from tests.scheduling_world import MR, recommendation


def test_dates_and_status_are_read_from_loinc_criteria() -> None:
    rec = recommendation("c1", earliest=date(2026, 12, 5), due=date(2026, 12, 10), overdue=date(2027, 1, 10))
    (dose,) = read_recommendation(rec)
    assert (dose.earliest, dose.due, dose.overdue) == (
        date(2026, 12, 5),
        date(2026, 12, 10),
        date(2027, 1, 10),
    )
    assert dose.status == "due" and dose.open and dose.label == "Sởi - Rubella"
    assert dose.matches([(VACCINE_SYSTEM, MR)])
    assert not dose.matches([(VACCINE_SYSTEM, "VN-BCG")])
    assert dose.due_within(date(2026, 12, 5), 7)
    assert not dose.due_within(date(2026, 12, 1), 7)
    assert dose.overdue_on(date(2027, 1, 10)) and not dose.overdue_on(date(2027, 1, 9))
    assert not dose.due_within(date(2027, 1, 10), 7)  # overdue, not "due soon"


def test_complete_doses_are_never_due_or_overdue() -> None:
    (dose,) = read_recommendation(recommendation("c1", status="complete", overdue=date(2020, 1, 1)))
    assert not dose.open and not dose.overdue_on(date(2026, 1, 1))


def test_overdue_status_without_a_date_counts() -> None:
    (dose,) = read_recommendation(recommendation("c1", status="overdue"))
    assert dose.overdue_on(date(2026, 1, 1))


def test_target_disease_codes_match_too() -> None:
    rec = recommendation("c1")
    rec["recommendation"][0]["targetDisease"] = {
        "coding": [{"system": "http://snomed.info/sct", "code": "14189004"}]
    }
    (dose,) = read_recommendation(rec)
    assert dose.matches([("http://snomed.info/sct", "14189004")])
