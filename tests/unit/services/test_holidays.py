from __future__ import annotations

from datetime import date

import pytest

from fhir_server.services.holidays import (
    TET_2024_2035,
    is_public_holiday,
    lunar_to_solar,
    public_holidays,
    tet,
)


@pytest.mark.parametrize(("year", "expected"), sorted(TET_2024_2035.items()))
def test_computed_tet_matches_the_almanac(year: int, expected: date) -> None:
    assert tet(year) == expected


def test_hung_kings_day_is_the_tenth_of_the_third_lunar_month() -> None:
    assert lunar_to_solar(10, 3, 2025) == date(2025, 4, 7)
    assert lunar_to_solar(10, 3, 2026) == date(2026, 4, 26)


def test_a_year_of_holidays() -> None:
    days = public_holidays(2026)
    assert {date(2026, 1, 1), date(2026, 4, 30), date(2026, 5, 1), date(2026, 9, 2), date(2026, 9, 3)} <= days
    assert {date(2026, 2, 16), date(2026, 2, 17), date(2026, 2, 20)} <= days  # 30 Tết .. mùng 4
    assert date(2026, 2, 21) not in days
    assert len(days) == 11
    assert not is_public_holiday(date(2026, 12, 1))
