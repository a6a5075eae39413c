"""The engine end to end on hand-made schedules: bad input, series selection, best series, vaccine groups."""

from __future__ import annotations

from datetime import date

from fhir_server.forecast.engine import assess
from fhir_server.forecast.model import AdministeredDose, Patient, PatientObservation
from fhir_server.forecast.vaccine_group import primary
from tests.unit.forecast.builder import age, dose, interval, schedule, series, vaccine

BIRTH = date(2024, 1, 1)


def test_unusable_doses_are_left_out_with_a_warning() -> None:
    plan = schedule(series("Alpha", [dose(1)]))
    doses = [
        AdministeredDose("unknown", date(2024, 3, 1), "999"),
        AdministeredDose("before-birth", date(2023, 12, 1), "1"),
        AdministeredDose("future", date(2025, 3, 1), "1"),
        AdministeredDose("ok", date(2024, 3, 1), "01"),  # CVX compare without leading zeros
    ]
    result = assess(Patient(BIRTH), doses, date(2024, 6, 1), plan)
    assert [w.code for w in result.warnings] == [
        "unknown-vaccine",
        "dose-before-birth",
        "dose-after-assessment",
    ]
    assert all(w.en and w.vi for w in result.warnings)
    (group,) = result.vaccine_groups
    assert [e.key for e in group.evaluations] == ["ok"]
    assert group.forecast.status == "complete"


def test_risk_series_needs_an_indication_and_gender_is_respected() -> None:
    plan = schedule(
        series("Alpha standard", [dose(1, age("1 year", "1 year"))]),
        series(
            "Alpha risk",
            [dose(1, age("6 weeks", "6 weeks"))],
            group="2",
            kind="risk",
            default=False,
            indications=["160"],
        ),
        series("Alpha girls", [dose(1, age("9 years", "9 years"))], group="3", genders=["female"]),
    )
    boy = assess(Patient(BIRTH, "male"), [], date(2024, 6, 1), plan)
    assert sorted(r.antigens[0].series for r in boy.vaccine_groups) == ["Alpha standard"]
    girl_at_risk = assess(Patient(BIRTH, "female", (PatientObservation("160"),)), [], date(2024, 6, 1), plan)
    assert sorted(r.antigens[0].series for r in girl_at_risk.vaccine_groups) == [
        "Alpha girls",
        "Alpha risk",
        "Alpha standard",
    ]
    first = primary(list(girl_at_risk.vaccine_groups))
    assert first is not None and first.antigens[0].series == "Alpha risk"  # due soonest


def test_best_series_in_a_group_is_the_one_the_doses_fit() -> None:
    """Two standard series in one group: the one a dose validly started (8.1, 8.2) is chosen."""
    plan = schedule(
        series(
            "Alpha infant",
            [
                dose(1, age("6 weeks", "6 weeks"), preferable=[vaccine("1")]),
                dose(2, intervals=[interval("4 weeks", "4 weeks")]),
            ],
        ),
        series(
            "Alpha toddler",
            [dose(1, age("1 year", "1 year"), preferable=[vaccine("2")])],
            default=False,
            preference=2,
        ),
    )
    infant = assess(Patient(BIRTH), [AdministeredDose("a", date(2024, 3, 1), "1")], date(2024, 4, 1), plan)
    assert infant.vaccine_groups[0].antigens[0].series == "Alpha infant"
    toddler = assess(Patient(BIRTH), [AdministeredDose("a", date(2025, 2, 1), "2")], date(2025, 3, 1), plan)
    (group,) = toddler.vaccine_groups
    assert (group.antigens[0].series, group.forecast.status) == ("Alpha toddler", "complete")
    nothing = assess(Patient(BIRTH), [], date(2024, 2, 1), plan)
    assert nothing.vaccine_groups[0].antigens[0].series == "Alpha infant"  # the default series


def test_multiple_antigen_vaccine_group_blends_the_forecasts() -> None:
    """MMR-like group: one product gives both antigens; the group is due when the later antigen is."""
    plan = schedule(
        series(
            "A",
            [
                dose(1, age("1 year", "1 year", "1 year", "16 months")),
                dose(2, intervals=[interval("4 weeks", "4 weeks")]),
            ],
            antigen="A",
        ),
        series(
            "B",
            [
                dose(1, age("1 year", "1 year", "13 months", "18 months")),
                dose(2, intervals=[interval("8 weeks", "8 weeks")]),
            ],
            antigen="B",
        ),
        vaccines={"1": ("A", "B"), "2": ("A",)},
        groups={"AB": ("A", "B")},
    )
    result = assess(Patient(BIRTH), [AdministeredDose("x", date(2025, 1, 10), "1")], date(2025, 1, 20), plan)
    (group,) = result.vaccine_groups
    assert [a.antigen for a in group.antigens] == ["A", "B"]
    assert (group.forecast.dose_number, group.forecast.earliest) == (2, date(2025, 3, 7))
    assert [(e.key, e.status, e.target_dose, e.series_doses) for e in group.evaluations] == [
        ("x", "valid", 1, 2)
    ]
    assert [a.series_doses for a in group.antigens] == [2, 2]
    too_early = assess(
        Patient(BIRTH), [AdministeredDose("x", date(2024, 12, 1), "1")], date(2025, 1, 20), plan
    )
    assert too_early.vaccine_groups[0].evaluations[0].status == "not-valid"
