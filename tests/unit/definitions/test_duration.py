"""Durations and the Logic Specification's general date rules (Table 3-6, CALCDT-1..6)."""

from __future__ import annotations

from datetime import date

import pytest

from fhir_server.definitions.duration import Duration, DurationError


@pytest.mark.parametrize(
    ("text", "years", "months", "days"),
    [
        ("6 weeks - 4 days", 0, 0, 38),
        ("8 months + 1 day", 0, 8, 1),
        ("1 year", 1, 0, 0),
        ("16 years - 4 months", 16, -4, 0),
        ("0 days", 0, 0, 0),
        ("13 years + 4 weeks", 13, 0, 28),
    ],
)
def test_parse(text: str, years: int, months: int, days: int) -> None:
    duration = Duration.parse(text)
    assert (duration.years, duration.months, duration.days) == (years, months, days)
    assert str(duration) == text


@pytest.mark.parametrize("text", ["", "6", "six weeks", "4 fortnights", "6 weeks minus 4 days"])
def test_parse_rejects(text: str) -> None:
    with pytest.raises(DurationError):
        Duration.parse(text)


@pytest.mark.parametrize(
    ("start", "text", "expected"),
    [
        (date(2000, 1, 1), "3 years", date(2003, 1, 1)),  # CALCDT-1
        (date(2000, 1, 1), "6 months", date(2000, 7, 1)),  # CALCDT-2
        (date(2000, 11, 1), "6 months", date(2001, 5, 1)),
        (date(2000, 1, 1), "3 days", date(2000, 1, 4)),  # CALCDT-3
        (date(2000, 1, 1), "3 weeks", date(2000, 1, 22)),
        (date(2000, 2, 1), "5 weeks", date(2000, 3, 7)),  # leap year
        (date(2001, 2, 1), "5 weeks", date(2001, 3, 8)),
        (date(2000, 1, 15), "0 days - 4 days", date(2000, 1, 11)),  # CALCDT-4
        (date(2000, 3, 31), "6 months", date(2000, 10, 1)),  # CALCDT-5: 31 September does not exist
        (date(2000, 8, 31), "6 months", date(2001, 3, 1)),  # 31 February
        (date(2000, 1, 31), "6 months - 4 days", date(2000, 7, 27)),  # CALCDT-6: months first, then days
        (date(2004, 2, 29), "1 year", date(2005, 3, 1)),
        (date(2010, 6, 15), "16 years - 4 months", date(2026, 2, 15)),
    ],
)
def test_add_to(start: date, text: str, expected: date) -> None:
    assert Duration.parse(text).add_to(start) == expected


def test_subtract_from() -> None:
    assert Duration.parse("2 months").subtract_from(date(2000, 5, 31)) == date(2000, 3, 31)
