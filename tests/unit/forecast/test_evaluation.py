"""Dose evaluation decision tables (Logic Specification ch. 6) on a hand-made 3-dose series."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from fhir_server.definitions.duration import Duration
from fhir_server.definitions.schedule import AllowableInterval, LiveVirusConflict, Schedule
from fhir_server.forecast.engine import assess
from fhir_server.forecast.model import AdministeredDose, DoseEvaluation, Patient
from tests.unit.forecast.builder import age, d, dose, interval, schedule, series, skip_age, vaccine

BIRTH = date(2024, 1, 1)
CHILD = Patient(BIRTH, "female")


def three_dose(**dose1: object) -> Schedule:
    return schedule(
        series(
            "Alpha 3-dose",
            [
                dose(1, age("6 weeks - 4 days", "6 weeks", "2 months", "3 months", "2 years"), **dose1),  # type: ignore[arg-type]
                dose(2, intervals=[interval("4 weeks - 4 days", "4 weeks", "8 weeks", "12 weeks")]),
                dose(3, age("6 months - 4 days", "6 months"), [interval("8 weeks - 4 days", "8 weeks")]),
            ],
        )
    )


def evaluate(plan: Schedule, *given: tuple[date, str], patient: Patient = CHILD) -> list[DoseEvaluation]:
    doses = [AdministeredDose(str(n), day, cvx) for n, (day, cvx) in enumerate(given, start=1)]
    result = assess(patient, doses, date(2030, 1, 1), plan)
    return list(result.vaccine_groups[0].evaluations)


def codes(evaluation: DoseEvaluation) -> list[str]:
    return [r.code for r in evaluation.reasons]


@pytest.mark.parametrize(
    ("given", "status", "reasons"),
    [
        (BIRTH + timedelta(days=37), "not-valid", ["too-young"]),  # Table 6-15: before absolute minimum age
        (BIRTH + timedelta(days=38), "valid", ["age-grace-period"]),  # within the 4-day grace period
        (BIRTH + timedelta(days=42), "valid", []),
        (date(2026, 1, 1), "extraneous", ["too-old"]),  # on the maximum age date
    ],
)
def test_age(given: date, status: str, reasons: list[str]) -> None:
    (evaluation,) = evaluate(three_dose(), (given, "1"))
    assert (evaluation.status, codes(evaluation)) == (status, reasons)


@pytest.mark.parametrize(
    ("days", "status", "reasons"),
    [(23, "not-valid", ["too-soon"]), (24, "valid", ["interval-grace-period"]), (28, "valid", [])],
)
def test_preferable_interval(days: int, status: str, reasons: list[str]) -> None:
    first = date(2024, 3, 1)
    one, two = evaluate(three_dose(), (first, "1"), (first + timedelta(days=days), "1"))
    assert one.status == "valid"
    assert (two.status, codes(two), two.target_dose) == (status, reasons, 2)


def test_a_not_valid_dose_is_repeated_and_the_next_counts_from_it() -> None:
    first = date(2024, 3, 1)
    evaluations = evaluate(
        three_dose(), (first, "1"), (first + timedelta(days=10), "1"), (first + timedelta(days=38), "1")
    )
    assert [(e.status, e.target_dose) for e in evaluations] == [("valid", 1), ("not-valid", 2), ("valid", 2)]


def test_allowable_interval_rescues_a_dose_too_soon_for_the_preferable_interval() -> None:
    allowed = AllowableInterval(True, None, d("2 weeks"))
    plan = schedule(
        series(
            "Alpha",
            [
                dose(1),
                dose(2, intervals=[interval("4 weeks - 4 days", "4 weeks")], allowable_intervals=[allowed]),
            ],
        )
    )
    (
        _,
        soon,
    ) = evaluate(plan, (date(2024, 3, 1), "1"), (date(2024, 3, 16), "1"))
    assert soon.status == "valid"
    _, too_soon = evaluate(plan, (date(2024, 3, 1), "1"), (date(2024, 3, 14), "1"))
    assert (too_soon.status, codes(too_soon)) == ("not-valid", ["too-soon"])


def test_inadvertent_vaccine_is_not_valid_and_not_a_reference_for_the_next_interval() -> None:
    plan = schedule(
        series(
            "Alpha",
            [dose(1), dose(2, intervals=[interval("4 weeks - 4 days", "4 weeks")], inadvertent=["2"])],
        )
    )
    evaluations = evaluate(plan, (date(2024, 3, 1), "1"), (date(2024, 3, 20), "2"), (date(2024, 3, 29), "1"))
    assert [(e.status, codes(e)) for e in evaluations] == [
        ("valid", []),
        ("not-valid", ["inadvertent"]),
        ("valid", []),  # 28 days from dose 1, the inadvertent dose 9 days before does not count
    ]


def test_vaccine_neither_preferable_nor_allowable() -> None:
    plan = schedule(
        series(
            "Alpha", [dose(1, preferable=[vaccine("1")], allowable=[vaccine("1"), vaccine("3", "1 year")])]
        )
    )
    (wrong,) = evaluate(plan, (date(2024, 3, 1), "2"))
    assert (wrong.status, codes(wrong)) == ("not-valid", ["not-allowed-vaccine"])
    (young,) = evaluate(plan, (date(2024, 3, 1), "3"))  # allowable only from 1 year of age
    assert young.status == "not-valid"
    (old_enough,) = evaluate(plan, (date(2025, 1, 1), "3"))
    assert old_enough.status == "valid"


def test_extra_dose_after_completion_is_extraneous() -> None:
    plan = schedule(series("Alpha", [dose(1)]))
    _, extra = evaluate(plan, (date(2024, 3, 1), "1"), (date(2024, 6, 1), "1"))
    assert (extra.status, codes(extra), extra.target_dose) == ("extraneous", ["series-complete"], None)


def test_live_virus_conflict() -> None:
    conflict = LiveVirusConflict(
        "5", "1", Duration.parse("1 day"), Duration.parse("24 days"), Duration.parse("28 days")
    )
    plan = schedule(
        series("Alpha", [dose(1)]),
        series("Beta", [dose(1, preferable=[vaccine("5")])], antigen="Beta"),
        vaccines={"1": ("Alpha",), "5": ("Beta",)},
        conflicts=[conflict],
    )
    patient = Patient(date(2020, 1, 1))
    result = assess(
        patient,
        [AdministeredDose("b", date(2024, 3, 1), "5"), AdministeredDose("a", date(2024, 3, 20), "1")],
        date(2026, 1, 1),
        plan,
    )
    (alpha,) = result.groups("Alpha")
    assert [(e.status, codes(e)) for e in alpha.evaluations] == [("not-valid", ["live-virus-conflict"])]
    later = assess(
        patient,
        [AdministeredDose("b", date(2024, 3, 1), "5"), AdministeredDose("a", date(2024, 3, 25), "1")],
        date(2026, 1, 1),
        plan,
    )
    assert later.groups("Alpha")[0].evaluations[0].status == "valid"  # 24 days after a valid live dose


def test_conditional_skip_in_evaluation_moves_the_dose_to_the_next_target() -> None:
    plan = schedule(
        series(
            "Alpha", [dose(1, skips=[skip_age("4 years", "evaluation")]), dose(2, preferable=[vaccine("2")])]
        )
    )
    (given,) = evaluate(plan, (date(2029, 1, 1), "2"))
    assert (given.status, given.target_dose) == ("valid", 2)


def test_substandard_dose_must_be_repeated() -> None:
    plan = schedule(series("Alpha", [dose(1)]))
    result = assess(
        CHILD, [AdministeredDose("x", date(2024, 3, 1), "1", substandard=True)], date(2025, 1, 1), plan
    )
    group = result.vaccine_groups[0]
    assert group.evaluations[0].status == "sub-standard"
    assert (group.forecast.status, group.forecast.dose_number) == ("not-complete", 1)


def test_reasons_speak_english_and_vietnamese() -> None:
    (evaluation,) = evaluate(three_dose(), (BIRTH + timedelta(days=20), "1"))
    (why,) = evaluation.reasons
    assert why.cdc == "Age: Too Young"
    assert "old enough" in why.en
    assert "chưa đủ tuổi" in why.vi
