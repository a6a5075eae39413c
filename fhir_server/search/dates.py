"""FHIR date, dateTime and instant values as half-open ranges [low, high) of µs since the epoch (UTC).

A value covers the whole interval its precision implies: "2024" is the year 2024, "2024-03" the month,
"2024-03-05" the day, "2024-03-05T10:00:00+07:00" one second. A value written without a timezone (a date,
or a dateTime the client sent without one) is read in `tz`, the server's default zone (Asia/Ho_Chi_Minh).
Open ends of a Period use DATE_MIN / DATE_MAX so that every comparison stays a plain integer comparison.

The query side (`date_query`) parses `[prefix]value` into a `DateQuery`; malformed input raises ValueError,
which the caller turns into a 400 naming the parameter.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Final

from fhir_server.search.request import DateQuery, Prefix

US_PER_SECOND: Final = 1_000_000
US_PER_DAY: Final = 86_400 * US_PER_SECOND
_EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()
DATE_MIN: Final = (date(1, 1, 1).toordinal() - _EPOCH_ORDINAL) * US_PER_DAY  # 0001-01-01T00:00Z
DATE_MAX: Final = (date(9999, 12, 31).toordinal() + 1 - _EPOCH_ORDINAL) * US_PER_DAY  # 10000-01-01T00:00Z

PREFIXES: Final[frozenset[str]] = frozenset({"eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"})

# year, month, day, hour, minute, second, fraction, zone. Minutes without seconds are accepted because
# the search syntax allows them in queries ("2024-01-01T10:00+07:00"); stored values are already validated.
_DATE: Final = re.compile(
    r"(\d{4})(?:-(\d{2})(?:-(\d{2})"
    r"(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?"
)


def _zone(text: str | None, default: tzinfo) -> tzinfo:
    if text is None:
        return default
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 14 or minutes > 59:
        raise ValueError(f"invalid timezone offset {text!r}")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _local_to_us(year: int, month: int, day: int, seconds_of_day: int, zone: tzinfo) -> int:
    """Microseconds since the epoch of a local wall-clock time in `zone` (raises ValueError on a bad date)."""
    ordinal = date(year, month, day).toordinal()
    offset = zone.utcoffset(datetime(year, month, day, seconds_of_day // 3600, seconds_of_day // 60 % 60))
    offset_us = 0 if offset is None else offset // timedelta(microseconds=1)
    return ((ordinal - _EPOCH_ORDINAL) * 86_400 + seconds_of_day) * US_PER_SECOND - offset_us


def _next_day_start(year: int, month: int, day: int, zone: tzinfo) -> int:
    following = date(year, month, day).toordinal() + 1
    if following > date(9999, 12, 31).toordinal():
        return DATE_MAX
    nxt = date.fromordinal(following)
    return _local_to_us(nxt.year, nxt.month, nxt.day, 0, zone)


def date_range(value: str, tz: tzinfo) -> tuple[int, int]:
    """[low, high) of a FHIR date, dateTime or instant string, at its precision; ValueError if malformed."""
    match = _DATE.fullmatch(value)
    if match is None:
        raise ValueError(f"not a FHIR date/dateTime: {value!r}")
    y, mo, d, hh, mi, ss, frac, zone_text = match.groups()
    year = int(y)
    if year == 0:
        raise ValueError("year 0000 does not exist")
    zone = _zone(zone_text, tz)
    if mo is None:
        low = _local_to_us(year, 1, 1, 0, zone)
        high = DATE_MAX if year == 9999 else _local_to_us(year + 1, 1, 1, 0, zone)
        return low, high
    month = int(mo)
    if d is None:
        low = _local_to_us(year, month, 1, 0, zone)
        if month == 12:
            high = DATE_MAX if year == 9999 else _local_to_us(year + 1, 1, 1, 0, zone)
        else:
            high = _local_to_us(year, month + 1, 1, 0, zone)
        return low, high
    day = int(d)
    if hh is None:
        return _local_to_us(year, month, day, 0, zone), _next_day_start(year, month, day, zone)
    hour, minute, second = int(hh), int(mi), int(ss or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"invalid time in {value!r}")
    low = _local_to_us(year, month, day, hour * 3600 + minute * 60 + second, zone)
    if ss is None:
        return low, low + 60 * US_PER_SECOND
    if frac is None:
        return low, low + US_PER_SECOND
    digits = frac[:6]  # finer than microseconds cannot be represented; keep 1 µs width
    return low + int(digits.ljust(6, "0")), low + int(digits.ljust(6, "0")) + 10 ** (6 - len(digits))


def period_range(start: str | None, end: str | None, tz: tzinfo) -> tuple[int, int]:
    """A Period: from the start of `start` to the end of `end`; a missing end is open (DATE_MIN/DATE_MAX)."""
    low = date_range(start, tz)[0] if start else DATE_MIN
    high = date_range(end, tz)[1] if end else DATE_MAX
    return low, high


def split_prefix(raw: str) -> tuple[Prefix, str]:
    """`ge2024` -> ("ge", "2024"); no prefix -> "eq". An unknown two-letter prefix raises ValueError."""
    head = raw[:2]
    if len(raw) > 2 and head.isalpha():
        if head not in PREFIXES:
            raise ValueError(f"unknown prefix {head!r}")
        return head, raw[2:]  # type: ignore[return-value]  # checked against PREFIXES just above
    return "eq", raw


def date_query(raw: str, tz: tzinfo) -> DateQuery:
    """`[prefix]value` as the query side of a date search, e.g. `ge2024-01` or `2024-01-01T10:00:00Z`."""
    prefix, text = split_prefix(raw.strip())
    # An unencoded '+' in a URL arrives as a space: "2024-01-01T10:00:00 07:00".
    text = re.sub(r" (\d{2}:\d{2})$", r"+\1", text)
    low, high = date_range(text, tz)
    if prefix == "ap":  # "approximately": 10% of the value's own span on each side (no clock here)
        slack = (high - low) // 10
        low, high = low - slack, high + slack
    return DateQuery(prefix, low, high)
