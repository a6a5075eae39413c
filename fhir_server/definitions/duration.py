"""Durations of the CDSi supporting data (`6 weeks - 4 days`, `8 months + 1 day`), parsed once at load.

Adding a duration to a date follows the Logic Specification's general date rules (CALCDT-1..6): years first,
then months (holding the day; a day that does not exist in the target month moves to the first of the next
month), then weeks and days as a count of days.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_TERM = re.compile(r"([+-]?)\s*(\d+)\s*(year|month|week|day)s?", re.IGNORECASE)
_WHOLE = re.compile(r"^\s*(?:[+-]?\s*\d+\s*(?:year|month|week|day)s?\s*)+$", re.IGNORECASE)


class DurationError(ValueError):
    """A duration text the reader cannot parse."""


@dataclass(frozen=True, slots=True)
class Duration:
    """A signed calendar duration; `days` already includes weeks (7 days each)."""

    years: int = 0
    months: int = 0
    days: int = 0
    text: str = ""

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Parse `6 weeks - 4 days`, `1 year`, `16 years - 4 months`; raise DurationError otherwise."""
        if not _WHOLE.match(text):
            raise DurationError(f"not a duration: {text!r}")
        years = months = days = 0
        for sign, amount, unit in _TERM.findall(text):
            value = -int(amount) if sign == "-" else int(amount)
            match unit.lower():
                case "year":
                    years += value
                case "month":
                    months += value
                case "week":
                    days += 7 * value
                case _:
                    days += value
        return cls(years, months, days, " ".join(text.split()))

    def add_to(self, start: date) -> date:
        """`start` plus this duration (CALCDT-1..6)."""
        if not self.months and not self.years:  # days and weeks: no calendar step (the engine's hot path)
            return start + timedelta(days=self.days)
        month_index = start.month - 1 + self.months + 12 * self.years
        year, month = start.year + month_index // 12, month_index % 12 + 1
        try:
            moved = date(year, month, start.day)
        except ValueError:  # CALCDT-5: e.g. 31 September is 1 October
            moved = date(year + month // 12, month % 12 + 1, 1)
        return moved + timedelta(days=self.days)

    def subtract_from(self, end: date) -> date:
        """`end` minus this duration, computed as adding the negated parts."""
        return Duration(-self.years, -self.months, -self.days).add_to(end)

    def __str__(self) -> str:
        return self.text
