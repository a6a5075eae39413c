"""Which legal instrument is in force and which programme pays for a vaccine group, on a given day.

CDSi supporting data has no notion of a programme or of the instrument a series comes from
(schedules/vn/README.md "What the format cannot express"); `schedules/<name>/programmes.json` carries it and
`definitions.loader.load_programmes` freezes it into this model. A schedule without the file (CDC's) has no
programmes: every group is then reported without one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

Programme = Literal["epi", "service"]


@dataclass(frozen=True, slots=True)
class Instrument:
    id: str  # e.g. "TT10/2024"
    title: str  # e.g. "Circular 10/2024/TT-BYT"
    valid_from: date
    valid_to: date | None  # None: still in force

    def in_force(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True, slots=True)
class Coverage:
    """The EPI pays for a vaccine group from `since`, under `instrument` (roll-out by place is text only)."""

    vaccine_group: str
    since: date
    instrument: str
    rollout: str = ""


@dataclass(frozen=True, slots=True)
class Programmes:
    instruments: tuple[Instrument, ...]
    epi: Mapping[str, Coverage]  # vaccine group -> coverage

    def instrument_on(self, day: date) -> Instrument | None:
        """The instrument in force at `day` (the schedule in force at the assessment date)."""
        return next((i for i in self.instruments if i.in_force(day)), None)

    def programme_of(self, vaccine_group: str, day: date) -> Programme:
        coverage = self.epi.get(vaccine_group)
        return "epi" if coverage is not None and coverage.since <= day else "service"

    def coverage(self, vaccine_group: str) -> Coverage | None:
        return self.epi.get(vaccine_group)


NO_PROGRAMMES = Programmes((), {})
