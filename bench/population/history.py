"""One child's immunization history: EPI visits with realistic lateness, catch-up, gaps and drop-out.

Routine doses are given at the commune station's monthly session days, so even a punctual child is a few
days late; birth doses are given at the hospital. Dose numbers count the doses actually received in a
series, so a missed visit shows up as a shorter series, as it would in a real register.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bench.population.epi import VACCINES, VISITS, Vaccine

# (share of children, mean delay in days after the due date, chance to miss a visit)
_PROFILES = ((0.70, 4.0, 0.03), (0.22, 18.0, 0.07), (0.08, 45.0, 0.15))
_DROP_OUT = 0.05  # moved away or lost to follow-up
_CATCH_UP = 0.5  # share of missed visits made up later
_HOME_BIRTH = 0.04
_MAX_DELAY_DAYS = 365


@dataclass(frozen=True)
class Dose:
    vaccine: Vaccine
    when: datetime  # local time in Vietnam (UTC+7), naive
    at_birth: bool  # given at the birth hospital rather than the commune station
    dose_number: int


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_session(day: date, session_days: tuple[int, ...]) -> date:
    """The first session day on or after `day`."""
    for offset in range(62):
        candidate = day + timedelta(days=offset)
        if candidate.day in session_days:
            return candidate
    return day  # session days past the end of every month: unreachable with days 2..26


def _session_time(rng: random.Random, day: date) -> datetime:
    return datetime.combine(day, time(7, 30)) + timedelta(minutes=rng.randrange(210))


def _birth_doses(
    rng: random.Random, birth: date, session_days: tuple[int, ...]
) -> list[tuple[str, datetime, bool]]:
    out: list[tuple[str, datetime, bool]] = []
    home = rng.random() < _HOME_BIRTH
    r = rng.random()
    if not home and r < 0.94:  # HepB within 24 h for most; a few days late for some
        day = birth if r < 0.88 else birth + timedelta(days=rng.randrange(1, 8))
        out.append(("hepb", datetime.combine(day, time(0)) + timedelta(minutes=rng.randrange(1440)), True))
    r = rng.random()
    if not home and r < 0.72:
        day = birth + timedelta(days=rng.randrange(4))
        out.append(("bcg", datetime.combine(day, time(8)) + timedelta(minutes=rng.randrange(600)), True))
    elif r < 0.95:  # BCG at the commune station's next sessions
        day = next_session(birth + timedelta(days=rng.randrange(7, 45)), session_days)
        out.append(("bcg", _session_time(rng, day), False))
    return out


def simulate(
    rng: random.Random, birth: date, province_code: str, session_days: tuple[int, ...], reference_date: date
) -> list[Dose]:
    """Doses given strictly before `reference_date`, in chronological order."""
    _, mean_delay, miss = rng.choices(_PROFILES, weights=[p[0] for p in _PROFILES])[0]
    drop_at = rng.randrange(1, len(VISITS)) if rng.random() < _DROP_OUT else len(VISITS)
    given: dict[str, date] = {}
    raw: list[tuple[str, datetime, bool]] = []
    for visit in VISITS[:drop_at]:
        if visit.at_birth:
            raw.extend(_birth_doses(rng, birth, session_days))
            continue
        due = add_months(birth, visit.age_months)
        for earlier, gap in visit.after:
            if earlier in given:
                due = max(due, given[earlier] + timedelta(days=gap))
        if rng.random() < miss + visit.extra_miss:
            if rng.random() >= _CATCH_UP:
                continue  # never given: a gap in the record
            due += timedelta(days=rng.randrange(30, 120))
        delay = min(int(rng.expovariate(1 / mean_delay)), _MAX_DELAY_DAYS)
        day = next_session(due + timedelta(days=delay), session_days)
        if day >= reference_date:
            continue
        given[visit.key] = day
        start = _session_time(rng, day)
        offered = [o.vaccine for o in visit.offers if o.offered(day, province_code)]
        raw.extend((v, start + timedelta(minutes=2 * i), False) for i, v in enumerate(offered))
    raw.sort(key=lambda item: item[1])
    counts: dict[str, int] = {}
    doses: list[Dose] = []
    for key, when, at_birth in raw:
        if when.date() >= reference_date:
            continue
        vaccine = VACCINES[key]
        counts[vaccine.series] = counts.get(vaccine.series, 0) + 1
        doses.append(Dose(vaccine, when, at_birth, counts[vaccine.series]))
    return doses
