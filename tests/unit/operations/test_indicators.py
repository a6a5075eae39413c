"""Coverage indicators on hand-built children whose expected counts are known exactly."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from fhir_server.operations.indicators import Child, Counts, Dose, Indicator, add_months, compute

BCG = frozenset({"Tuberculosis"})
HEPB = frozenset({"HepB"})
PENTA = frozenset({"Diphtheria", "Tetanus", "Pertussis", "Hib", "HepB"})
POLIO = frozenset({"Polio"})
MEASLES = frozenset({"Measles"})
MR = frozenset({"Measles", "Rubella"})
JE = frozenset({"Japanese Encephalitis"})
HEXA = frozenset({"Diphtheria", "Tetanus", "Pertussis", "Hib", "HepB", "Polio"})

BIRTH = date(2025, 1, 10)
ON = date(2026, 11, 1)  # 21 months old: everything up to 18 months is due


def dose(days: int, antigens: frozenset[str], *, oral: bool = False, program: str = "EPI") -> Dose:
    return Dose(BIRTH + timedelta(days=days), antigens, oral, program)


def infant_series(late_days: int = 0) -> tuple[Dose, ...]:
    """BCG + HepB at birth, Penta/OPV at 2-3-4 months, IPV at 5, measles at 9 months (all EPI)."""
    out = [dose(0, HEPB), dose(1, BCG)]
    for month in (2, 3, 4):
        day = (add_months(BIRTH, month) - BIRTH).days + late_days
        out += [dose(day, PENTA), dose(day, POLIO, oral=True)]
    out.append(dose((add_months(BIRTH, 5) - BIRTH).days, POLIO))
    out.append(dose((add_months(BIRTH, 9) - BIRTH).days + late_days, MEASLES))
    return tuple(out)


CHILDREN = [
    # fully on time, plus MR and DTP4 at 18 months and JE x2 at 12 months
    Child(
        "complete",
        BIRTH,
        "female",
        (*infant_series(), dose(548, MR), dose(548, PENTA), dose(366, JE), dose(375, JE)),
    ),
    # everything 40 days late: counted "by date" but not "on time"; FIC still (all before 12 months)
    Child("late", BIRTH, "male", infant_series(late_days=40)),
    # Penta 1 only (a dropout), HepB on day 3 (late birth dose), paid hexavalent for Penta 1
    Child("dropout", BIRTH, "male", (dose(3, HEPB), dose(62, HEXA, program="paid"))),
    # nothing recorded
    Child("none", BIRTH, "female", ()),
    # too young for anything but the birth doses: born 3 weeks before the assessment date
    Child("newborn", ON - timedelta(days=21), "female", (Dose(ON - timedelta(days=21), HEPB, False, "EPI"),)),
]


@pytest.fixture(scope="module")
def results() -> dict[str, Indicator]:
    return {i.code: i for i in compute(CHILDREN, ON)}


@pytest.mark.parametrize(
    ("code", "initial", "denominator", "numerator"),
    [
        ("BCG", 5, 4, 2),
        ("BCG-ONTIME", 5, 4, 2),
        ("HEPB-BD", 5, 5, 4),  # the newborn's dose counts; "dropout"'s day-3 dose is within 28 days
        ("HEPB-BD-ONTIME", 5, 5, 3),  # day 3 is not within 24 h
        ("PENTA1", 5, 4, 3),  # hexavalent counts as DTP-containing
        ("PENTA1-ONTIME", 5, 4, 2),
        ("PENTA3", 5, 4, 2),
        ("PENTA3-ONTIME", 5, 4, 1),
        ("OPV3", 5, 4, 2),
        ("IPV1", 5, 4, 3),  # hexavalent's polio is inactivated
        ("IPV2", 5, 4, 0),
        ("MCV1", 5, 4, 2),
        ("MCV1-ONTIME", 5, 4, 1),
        ("MR", 5, 4, 1),
        ("DTP4", 5, 4, 1),
        ("JE1", 5, 4, 1),
        ("JE2", 5, 4, 1),
        ("JE3", 5, 0, 0),  # due at 24 months: nobody old enough
        ("FIC-12M", 5, 4, 2),
        ("DROPOUT-PENTA1-PENTA3", 5, 3, 1),
        ("DROPOUT-MCV1-MR", 5, 2, 1),
    ],
)
def test_counts(
    results: dict[str, Indicator], code: str, initial: int, denominator: int, numerator: int
) -> None:
    assert results[code].total == Counts(initial, denominator, numerator)


def test_strata_by_sex_and_programme(results: dict[str, Indicator]) -> None:
    penta1 = results["PENTA1"]
    assert penta1.by_sex == {"female": Counts(3, 2, 1), "male": Counts(2, 2, 2)}
    assert penta1.by_program == {"EPI": Counts(0, 0, 2), "paid": Counts(0, 0, 1)}
    assert results["FIC-12M"].by_program == {}


def test_score_is_none_without_denominator(results: dict[str, Indicator]) -> None:
    assert results["JE3"].total.score is None
    assert results["PENTA3"].total.score == 0.5


def test_two_records_of_one_dose_on_one_day_count_once() -> None:
    twice = Child("x", BIRTH, "male", (dose(62, PENTA), dose(62, PENTA), dose(93, PENTA)))
    found = {i.code: i.total.numerator for i in compute([twice], ON)}
    assert (found["PENTA1"], found["PENTA2"], found["PENTA3"]) == (1, 1, 0)


def test_add_months_clamps_to_the_end_of_the_month() -> None:
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 11, 15), -12) == date(2024, 11, 15)
