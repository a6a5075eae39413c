"""The shapes of CDSi antigen supporting data, as small dataclasses the VN series tables are written in.

Field names follow CDC's XML (AntigenSupportingData.xsd); `vn_emit.py` writes them out element by element.
Minimum ages and intervals get CDC's 4-day grace as their absolute minimum unless given explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import vn_catalog as catalog


def grace(duration: str) -> str:
    """CDC convention: absolute minimum = minimum - 4 days (none for zero)."""
    return "" if not duration else ("0 days" if duration == "0 days" else f"{duration} - 4 days")


@dataclass(frozen=True)
class Age:
    min: str = ""
    rec: str = ""
    late: str = ""  # latestRecAge: past due the day before
    max: str = ""
    effective: str = ""  # YYYYMMDD, CDC's format
    cessation: str = ""
    abs_min: str | None = None  # None: grace(min)


@dataclass(frozen=True)
class Interval:
    min: str = ""
    rec: str = ""
    late: str = ""
    from_previous: bool = True
    from_target: str = ""  # dose number, when not from the previous dose
    effective: str = ""
    cessation: str = ""
    abs_min: str | None = None


@dataclass(frozen=True)
class AllowableInterval:
    """CDSi 6.6: a dose failing its preferable interval is still valid if it meets this one."""

    abs_min: str
    from_target: str = ""  # dose number; empty: from the previous dose


@dataclass(frozen=True)
class Use:
    """A vaccine type (CVX or national code) allowed or preferred for a dose, with begin/end ages."""

    code: str
    begin: str = ""
    end: str = ""
    forecast: bool = False  # forecastVaccineType (preferable only)
    volume: str = ""


@dataclass(frozen=True)
class Condition:
    type: str  # Age | Interval | Vaccine Count by Age | Vaccine Count by Date | Completed Series
    begin_age: str = ""
    end_age: str = ""
    interval: str = ""
    dose_count: str = ""
    dose_type: str = ""  # Valid | Total
    dose_count_logic: str = ""  # greater than | equal to | less than
    vaccine_types: tuple[str, ...] = ()
    start_date: str = ""
    end_date: str = ""


@dataclass(frozen=True)
class SkipSet:
    description: str
    conditions: tuple[Condition, ...]
    logic: str = ""  # AND | OR, when more than one condition
    effective: str = ""
    cessation: str = ""


@dataclass(frozen=True)
class Skip:
    context: str  # Evaluation | Forecast | Both
    sets: tuple[SkipSet, ...]
    set_logic: str = "n/a"


@dataclass(frozen=True)
class Dose:
    ages: tuple[Age, ...]
    preferable: tuple[Use, ...]
    allowable: tuple[Use, ...]
    intervals: tuple[Interval, ...] = ()
    skips: tuple[Skip, ...] = ()
    recurring: bool = False
    allowable_intervals: tuple[AllowableInterval, ...] = ()
    source: str = ""  # legal/label source of this row, for the README and reviewers (not emitted)


@dataclass(frozen=True)
class Indication:
    observation_code: str
    observation_text: str
    description: str
    begin_age: str = ""
    end_age: str = ""
    guidance: str = ""


@dataclass(frozen=True)
class Series:
    name: str
    target_disease: str
    vaccine_group: str
    doses: tuple[Dose, ...]
    guidance: tuple[str, ...] = ()
    series_type: str = "Standard"
    genders: tuple[str, ...] = ()
    default: bool = True
    product_path: bool = False
    group_name: str = "Standard"
    group: str = "1"
    priority: str = "A"
    preference: str = "1"
    min_age_to_start: str = ""
    max_age_to_start: str = ""
    indications: tuple[Indication, ...] = ()


@dataclass(frozen=True)
class Contraindication:
    observation_code: str
    observation_title: str
    text: str
    vaccines: tuple[str, ...] = ()  # empty: the whole vaccine group


@dataclass(frozen=True)
class Antigen:
    name: str  # CDSi antigen = targetDisease of its series
    series: tuple[Series, ...]
    contraindications: tuple[Contraindication, ...] = field(default=())


def containing(antigen: str, *, exclude: tuple[str, ...] = (), begin: str = "") -> tuple[Use, ...]:
    """Every CVX and national-only product that carries this antigen, as allowable uses."""
    codes = [cvx for cvx, (_, antigens) in catalog.CVX.items() if antigen in antigens and cvx not in exclude]
    codes.sort(key=int)
    codes += [
        p.code for p in catalog.PRODUCTS if p.cvx is None and antigen in p.antigens and p.code not in exclude
    ]
    return tuple(Use(code, begin=begin) for code in codes)
