"""UCUM codes to canonical units (search/ucum.py): the grammar, the table, and what is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fhir_server.search.ucum import canonical


@pytest.mark.parametrize(
    ("value", "code", "expected"),
    [
        ("5500", "ug", (0.0055, "g")),
        ("0.0055", "g", (0.0055, "g")),
        ("5.5", "mg", (0.0055, "g")),  # the same float as 5500 ug: rounded to 15 digits
        ("1", "kg", (1000.0, "g")),
        ("2", "[lb_av]", (907.18474, "g")),
        ("90", "mg/dL", (900.0, "g.m-3")),
        ("0.9", "g/L", (900.0, "g.m-3")),
        ("5", "mmol/L", (5.0, "m-3.mol")),
        ("5000", "umol/L", (5.0, "m-3.mol")),
        ("120", "mm[Hg]", (15998640.0, "g.m-1.s-2")),
        ("16", "kPa", (16000000.0, "g.m-1.s-2")),
        ("37", "Cel", (310.15, "K")),
        ("98.6", "[degF]", (310.15, "K")),
        ("70", "/min", (1.16666666666667, "s-1")),
        ("70", "{beats}/min", (1.16666666666667, "s-1")),  # annotations are 1
        ("1", "10*9/L", (1e12, "m-3")),
        ("1", "10^3/uL", (1e12, "m-3")),
        ("25", "kg/m2", (25000.0, "g.m-2")),
        ("1", "(mg/dL)/h", (0.00277777777777778, "g.m-3.s-1")),
        ("1", "m.s-2", (1.0, "m.s-2")),
        ("50", "%", (0.5, "1")),
        ("1", "1", (1.0, "1")),
        ("2", "[IU]/L", (2000.0, "[IU].m-3")),
        ("2", "mL", (2e-06, "m3")),
        ("1", "a", (31557600.0, "s")),
        ("1", "wk", (604800.0, "s")),
    ],
)
def test_canonical(value: str, code: str, expected: tuple[float, str]) -> None:
    assert canonical(Decimal(value), code) == expected


@pytest.mark.parametrize(
    "code",
    ["", " mg", "foo", "Cel/h", "2 mg", "mg/", "(mg", "mg)", "kmin", "[lb_av", "m/{x", "x" * 65],
)
def test_codes_that_do_not_convert(code: str) -> None:
    assert canonical(Decimal(1), code) is None


def test_floats_convert_like_their_text() -> None:
    assert canonical(5.35, "mg") == canonical(Decimal("5.35"), "mg") == (0.00535, "g")
