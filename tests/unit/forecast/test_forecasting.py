"""Forecast decision tables (Logic Specification ch. 7) on hand-made series."""

from __future__ import annotations

from datetime import date

from fhir_server.definitions.schedule import ContraindicatedVaccine, Contraindication, Immunity, Schedule
from fhir_server.forecast.engine import assess
from fhir_server.forecast.model import AdministeredDose, Forecast, Patient, PatientObservation
from tests.unit.forecast.builder import age, dose, interval, schedule, series, skip_age, vaccine

BIRTH = date(2024, 1, 31)


def plan(**kwargs: object) -> Schedule:
    return schedule(
        series(
            "Alpha",
            [
                dose(1, age("6 weeks - 4 days", "6 weeks", "2 months", "3 months + 4 weeks", "5 years")),
                dose(2, intervals=[interval("4 weeks - 4 days", "4 weeks", "8 weeks", "12 weeks")]),
            ],
        ),
        **kwargs,  # type: ignore[arg-type]
    )


def forecast(
    today: date, *given: date, schedule_: Schedule | None = None, patient: Patient | None = None
) -> Forecast:
    doses = [AdministeredDose(str(n), day, "1") for n, day in enumerate(given)]
    result = assess(patient or Patient(BIRTH), doses, today, schedule_ or plan())
    return result.vaccine_groups[0].forecast


def test_dates_from_ages() -> None:
    """FORECASTDT-1..4: earliest = minimum age, recommended = earliest recommended age, past due = latest
    recommended age - 1 day, latest = maximum age - 1 day; months add calendar-wise from 31 January."""
    f = forecast(date(2024, 2, 10))
    assert (f.status, f.dose_number) == ("not-complete", 1)
    assert f.earliest == date(2024, 3, 13)
    assert f.recommended == date(2024, 3, 31)
    assert f.past_due == date(2024, 5, 28)  # 31 April does not exist: 1 May, + 4 weeks, - 1 day
    assert f.latest == date(2029, 1, 30)


def test_dates_from_intervals() -> None:
    f = forecast(date(2024, 4, 15), date(2024, 4, 1))
    assert (f.dose_number, f.earliest, f.recommended, f.past_due) == (
        2,
        date(2024, 4, 29),
        date(2024, 5, 27),
        date(2024, 6, 23),
    )


def test_recommended_and_past_due_never_before_earliest() -> None:
    """FORECASTDT-5/6: the minimum age of dose 2 comes after its recommended interval."""
    late = schedule(
        series(
            "Alpha",
            [
                dose(1),
                dose(2, age("1 year", "1 year"), [interval("4 weeks", "4 weeks", "4 weeks", "8 weeks")]),
            ],
        )
    )
    f = forecast(date(2024, 5, 1), date(2024, 4, 1), schedule_=late)
    assert f.earliest == f.recommended == f.past_due == date(2025, 1, 31)
    assert (f.unadjusted_recommended, f.unadjusted_past_due) == (date(2024, 4, 29), date(2024, 5, 26))


def test_complete() -> None:
    f = forecast(date(2024, 12, 1), date(2024, 4, 1), date(2024, 6, 1))
    assert (f.status, f.dose_number, f.earliest, [r.code for r in f.reasons]) == (
        "complete",
        None,
        None,
        ["complete"],
    )


def test_aged_out() -> None:
    f = forecast(date(2029, 1, 31))
    assert (f.status, f.earliest) == ("aged-out", None)


def test_immunity_by_observation_and_by_birth_date() -> None:
    immune = plan(immunity=Immunity(frozenset({"020"}), date(1957, 1, 1), "", frozenset({"055"})))
    patient = Patient(BIRTH, observations=(PatientObservation("020"),))
    assert forecast(date(2024, 6, 1), schedule_=immune, patient=patient).status == "immune"
    assert forecast(date(1990, 6, 1), schedule_=immune, patient=Patient(date(1950, 1, 1))).status == "immune"
    worker = Patient(date(1950, 1, 1), observations=(PatientObservation("055"),))  # exclusion
    assert forecast(date(1990, 6, 1), schedule_=immune, patient=worker).status != "immune"


def test_contraindications() -> None:
    antigen_level = plan(contraindications=[Contraindication("080", "allergy", "", None, None)])
    allergic = Patient(BIRTH, observations=(PatientObservation("080"),))
    assert forecast(date(2024, 6, 1), schedule_=antigen_level, patient=allergic).status == "contraindicated"
    assert forecast(date(2024, 6, 1), schedule_=antigen_level).status == "not-complete"
    vaccine_level = plan(
        contraindications=[
            Contraindication("081", "x", "", None, None, (ContraindicatedVaccine("1", None, None),))
        ]
    )
    patient = Patient(BIRTH, observations=(PatientObservation("081"),))
    assert forecast(date(2024, 6, 1), schedule_=vaccine_level, patient=patient).status == "contraindicated"


def test_forecast_skip_and_validation_at_the_earliest_date() -> None:
    """7.1 skips a dose not needed at the assessment date; 7.6 re-forecasts when it would be skipped by the
    earliest date (dose 2 is not needed from 1 year of age, reached before its minimum interval).
    Dose 3 is due at 15 months: 31 April does not exist, so 1 May."""
    skipping = schedule(
        series(
            "Alpha",
            [
                dose(1, age("6 weeks", "6 weeks")),
                dose(2, intervals=[interval("8 weeks", "8 weeks")], skips=[skip_age("1 year")]),
                dose(3, age("15 months", "15 months"), [interval("8 weeks", "8 weeks")]),
            ],
        )
    )
    f = forecast(date(2024, 12, 20), date(2024, 12, 10), schedule_=skipping)
    assert (f.dose_number, f.earliest) == (2, date(2025, 5, 1))  # dose 3's minimum age; 1 year came first
    f = forecast(date(2025, 3, 1), date(2024, 3, 20), schedule_=skipping)
    assert (f.dose_number, f.earliest) == (2, date(2025, 5, 1))


def test_recurring_dose_is_forecast_again() -> None:
    yearly = schedule(
        series(
            "Alpha",
            [
                dose(1, age("6 months", "6 months")),
                dose(2, intervals=[interval("1 year", "1 year")], recurring=True),
            ],
        )
    )
    f = forecast(date(2027, 1, 1), date(2024, 8, 1), date(2025, 8, 1), date(2026, 8, 1), schedule_=yearly)
    assert (f.status, f.dose_number, f.earliest) == ("not-complete", 4, date(2027, 8, 1))


def test_recommended_vaccines() -> None:
    """FORECASTRECVAC-1: preferable, flagged for forecast, and in its age range at the earliest date."""
    plan_ = schedule(
        series(
            "Alpha",
            [
                dose(
                    1,
                    age("6 weeks", "6 weeks"),
                    preferable=[
                        vaccine("1", end="7 years"),
                        vaccine("2", "7 years"),
                        vaccine("3", forecast=False),
                    ],
                )
            ],
        )
    )
    assert forecast(date(2024, 6, 1), schedule_=plan_).vaccines == ("1",)
