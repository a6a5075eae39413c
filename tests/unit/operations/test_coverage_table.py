"""The aggregate's arithmetic (coverage_table) gives exactly what `indicators.compute` gives, on the
hand-built children of test_indicators and on random dose histories, at many assessment dates."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from fhir_server.operations import coverage_table
from fhir_server.operations.coverage_summary import CoverageSummarizer, pack_dose
from fhir_server.operations.indicators import Child, Dose, by_unit, compute
from fhir_server.storage.base import SummaryRow
from tests.unit.operations.test_indicators import (
    BCG,
    BIRTH,
    CHILDREN,
    HEPB,
    HEXA,
    JE,
    MEASLES,
    MR,
    ON,
    PENTA,
    POLIO,
)

EVER = (date(1900, 1, 1), date(2200, 1, 1))


def _rows(children: list[Child]) -> list[SummaryRow]:
    return [
        (
            c.id,
            f"org-{c.unit}",
            CoverageSummarizer.child_value(c.birth, c.sex, [pack_dose(d) for d in c.doses]),
        )
        for c in children
    ]


def _table(children: list[Child]) -> coverage_table.ChildTable:
    units = {f"org-{c.unit}": c.unit for c in children}
    return coverage_table.table(_rows(children), units, *EVER)


@pytest.mark.parametrize(
    "on", [ON, BIRTH, BIRTH + timedelta(days=1), date(2025, 6, 1), date(2026, 1, 10), date(2030, 1, 1)]
)
def test_the_hand_built_children(on: date) -> None:
    assert coverage_table.compute(_table(CHILDREN), on) == compute(CHILDREN, on)


def _random_child(rng: random.Random, n: int) -> Child:
    birth = date(2023, 1, 1) + timedelta(days=rng.randrange(3 * 365))
    kinds = (BCG, HEPB, PENTA, HEXA, POLIO, MEASLES, MR, JE)
    doses = tuple(
        Dose(
            birth + timedelta(days=rng.randrange(-2, 900)),  # a few recorded before birth: errors happen
            rng.choice(kinds),
            rng.random() < 0.5,
            rng.choice(("EPI", "paid")),
        )
        for _ in range(rng.randrange(0, 18))
    )
    sex = rng.choice(("female", "male", "male", "unknown", "other"))
    return Child(f"c{n}", birth, sex, doses, rng.choice(("u1", "u2", "u3")))


@pytest.mark.parametrize("seed", range(5))
def test_random_histories_at_many_dates(seed: int) -> None:
    rng = random.Random(seed)
    children = [_random_child(rng, n) for n in range(300)]
    table = _table(children)
    for on in (date(2023, 6, 1), date(2024, 3, 15), date(2025, 1, 1), date(2026, 11, 1), date(2028, 1, 1)):
        assert coverage_table.compute(table, on) == compute(children, on)
        assert coverage_table.by_unit(table, on) == by_unit(children, on)


def test_birth_range_and_unknown_organizations() -> None:
    rng = random.Random(9)
    children = [_random_child(rng, n) for n in range(100)]
    born = (date(2024, 1, 1), date(2025, 1, 1))
    units = {"org-u1": "u1", "org-u2": "u2"}  # u3's organization is not in the area
    table = coverage_table.table(_rows(children), units, *born)
    inside = [c for c in children if c.unit != "u3" and born[0] <= c.birth < born[1]]
    assert 0 < len(table) == len(inside)
    assert coverage_table.compute(table, ON) == compute(inside, ON)


def test_an_empty_table() -> None:
    assert coverage_table.compute(coverage_table.table([], {}, *EVER), ON) == compute([], ON)
