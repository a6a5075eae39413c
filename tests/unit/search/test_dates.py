"""FHIR date values as [low, high) microsecond ranges, and the query side with prefixes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from fhir_server.search.dates import DATE_MAX, DATE_MIN, date_query, date_range, period_range, split_prefix
from fhir_server.search.request import DateQuery

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PLUS7 = timezone(timedelta(hours=7))


def us(*fields: int, tz: timezone = PLUS7) -> int:
    return (datetime(*fields, tzinfo=tz) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("value", "low", "high"),
    [
        ("2024", us(2024, 1, 1), us(2025, 1, 1)),
        ("2024-02", us(2024, 2, 1), us(2024, 3, 1)),  # a leap February, whole month
        ("2024-12", us(2024, 12, 1), us(2025, 1, 1)),
        ("2024-03-05", us(2024, 3, 5), us(2024, 3, 6)),
        ("2024-12-31", us(2024, 12, 31), us(2025, 1, 1)),
        ("2024-03-05T10:00:00Z", us(2024, 3, 5, 10, tz=UTC), us(2024, 3, 5, 10, 0, 1, tz=UTC)),
        ("2024-03-05T10:00:00+07:00", us(2024, 3, 5, 10), us(2024, 3, 5, 10, 0, 1)),
        ("2024-03-05T10:00:00-05:30", us(2024, 3, 5, 15, 30, tz=UTC), us(2024, 3, 5, 15, 30, 1, tz=UTC)),
        ("2024-03-05T10:00:00.5+07:00", us(2024, 3, 5, 10, 0, 0, 500_000), us(2024, 3, 5, 10, 0, 0, 600_000)),
        (
            "2024-03-05T10:00:00.123Z",
            us(2024, 3, 5, 10, 0, 0, 123_000, tz=UTC),
            us(2024, 3, 5, 10, 0, 0, 124_000, tz=UTC),
        ),
        (
            "2024-03-05T10:00:00.1234567Z",
            us(2024, 3, 5, 10, 0, 0, 123_456, tz=UTC),
            us(2024, 3, 5, 10, 0, 0, 123_457, tz=UTC),
        ),
        ("2024-03-05T10:00+07:00", us(2024, 3, 5, 10), us(2024, 3, 5, 10, 1)),  # minutes: query syntax
        ("2024-03-05T10:00:00", us(2024, 3, 5, 10), us(2024, 3, 5, 10, 0, 1)),  # no zone: the default
    ],
)
def test_precision_gives_the_range(value: str, low: int, high: int) -> None:
    assert date_range(value, VN) == (low, high)


def test_values_without_a_zone_are_read_in_the_zone_given() -> None:
    assert date_range("2024-03-05", UTC) == (us(2024, 3, 5, tz=UTC), us(2024, 3, 6, tz=UTC))
    assert date_range("2024-03-05", VN)[0] - date_range("2024-03-05", UTC)[0] == -7 * 3600 * 1_000_000


def test_a_written_zone_wins_over_the_default() -> None:
    assert date_range("2024-03-05T00:00:00Z", VN) == date_range("2024-03-05T07:00:00+07:00", UTC)


def test_the_last_year_ends_at_date_max() -> None:
    assert date_range("9999", UTC)[1] == DATE_MAX
    assert date_range("9999-12", UTC)[1] == DATE_MAX
    assert date_range("9999-12-31", UTC)[1] == DATE_MAX
    assert date_range("0001-01-01", UTC)[0] == DATE_MIN


@pytest.mark.parametrize(
    "value",
    [
        "2024-13",
        "2024-02-30",
        "2023-02-29",
        "2024-1-1",
        "24",
        "notadate",
        "2024-03-05T25:00:00Z",
        "2024-03-05T10:60:00Z",
        "2024-03-05T10:00:61Z",
        "2024-03-05T10:00:00+15:00",
        "2024-03-05 10:00:00",
        "0000",
        "",
    ],
)
def test_malformed_values_raise(value: str) -> None:
    with pytest.raises(ValueError):
        date_range(value, VN)


def test_period_ends_are_open_when_missing() -> None:
    assert period_range("2024-01", "2024-03", VN) == (us(2024, 1, 1), us(2024, 4, 1))
    assert period_range("2024-01-15", None, VN) == (us(2024, 1, 15), DATE_MAX)
    assert period_range(None, "2024", VN) == (DATE_MIN, us(2025, 1, 1))


@pytest.mark.parametrize(
    ("raw", "prefix", "rest"),
    [
        ("ge2024", "ge", "2024"),
        ("2024", "eq", "2024"),
        ("ap5", "ap", "5"),
        ("eq", "eq", "eq"),
        ("-5", "eq", "-5"),
    ],
)
def test_split_prefix(raw: str, prefix: str, rest: str) -> None:
    assert split_prefix(raw) == (prefix, rest)


def test_unknown_prefix_is_an_error() -> None:
    with pytest.raises(ValueError, match="prefix"):
        split_prefix("xx2024")


def test_date_query() -> None:
    assert date_query("ge2024-01", VN) == DateQuery("ge", us(2024, 1, 1), us(2024, 2, 1))
    assert date_query("2024-03-05", VN) == DateQuery("eq", us(2024, 3, 5), us(2024, 3, 6))
    assert date_query("lt2024-03-05T10:00:00Z", VN).prefix == "lt"


def test_an_unencoded_plus_in_the_zone_is_understood() -> None:
    assert date_query("2024-03-05T10:00:00 07:00", VN) == date_query("2024-03-05T10:00:00+07:00", VN)


def test_ap_widens_the_query_range_by_a_tenth_on_each_side() -> None:
    day = 24 * 3600 * 1_000_000
    query = date_query("ap2024-03-05", VN)
    assert (query.low, query.high) == (us(2024, 3, 5) - day // 10, us(2024, 3, 6) + day // 10)


def test_malformed_query_raises() -> None:
    with pytest.raises(ValueError):
        date_query("ge", VN)
    with pytest.raises(ValueError):
        date_query("zz2024", VN)
