"""An immunization schedule as frozen data: CDSi supporting data (series, vaccines, conflicts, observations).

Built once by `definitions.loader.load_schedule` (XML read by `definitions.schedule_xml`) and handed to the
pure forecast engine. Names follow the Logic Specification v4.6 (series dose, preferable vaccine, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Literal

from fhir_server.definitions.duration import Duration

SeriesType = Literal["standard", "risk", "evaluation-only"]
SkipContext = Literal["evaluation", "forecast", "both"]
ConditionKind = Literal[
    "age", "interval", "completed-series", "count-by-age", "count-by-date", "count-by-date-age"
]
CountLogic = Literal["greater", "equal", "less"]


@dataclass(frozen=True, slots=True)
class Period:
    """Effective/cessation dates of a supporting-data instance (RELEVANT-1/2); None = open."""

    effective: date | None = None
    cessation: date | None = None

    def covers(self, day: date) -> bool:
        return (self.effective is None or day >= self.effective) and (
            self.cessation is None or day <= self.cessation
        )


ALWAYS = Period()
_SYSTEMS = {  # FHIR code system URIs -> CDC's names in codedValues
    "http://snomed.info/sct": "SNOMED",
    "http://hl7.org/fhir/sid/cvx": "CVX",
    "http://hl7.org/fhir/sid/icd-10": "ICD10",
    "urn:oid:2.16.840.1.114222.4.5.274": "CDCPHINVS",  # CDC's PHIN VADS code system (VXC codes)
}


@dataclass(frozen=True, slots=True)
class AgeRule:
    abs_min: Duration | None
    min: Duration | None
    earliest_rec: Duration | None
    latest_rec: Duration | None
    max: Duration | None
    period: Period = ALWAYS


@dataclass(frozen=True, slots=True)
class Interval:
    """A preferable interval: from the previous dose, a target dose, latest of some CVX, an observation."""

    from_previous: bool
    from_target_dose: int | None
    from_most_recent: frozenset[str]
    from_observation: str | None
    abs_min: Duration | None
    min: Duration | None
    earliest_rec: Duration | None
    latest_rec: Duration | None
    priority: bool  # intervalPriority 'override' (FORECASTPRIORITY-1)
    period: Period = ALWAYS


@dataclass(frozen=True, slots=True)
class AllowableInterval:
    from_previous: bool
    from_target_dose: int | None
    abs_min: Duration | None
    period: Period = ALWAYS


@dataclass(frozen=True, slots=True)
class SeriesVaccine:
    """A preferable or allowable vaccine of a series dose (type = CVX, with the ages it applies to)."""

    cvx: str
    vaccine_type: str
    begin_age: Duration | None
    end_age: Duration | None
    trade_name: str = ""
    mvx: str = ""
    volume: str = ""
    forecast: bool = False


@dataclass(frozen=True, slots=True)
class SkipCondition:
    kind: ConditionKind
    start_date: date | None
    end_date: date | None
    begin_age: Duration | None
    end_age: Duration | None
    interval: Duration | None
    dose_count: int | None
    valid_only: bool  # dose type 'Valid' vs 'Total'
    count_logic: CountLogic
    vaccine_types: frozenset[str]
    series_groups: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SkipSet:
    description: str
    all_conditions: bool  # condition logic AND (else OR)
    conditions: tuple[SkipCondition, ...]
    period: Period = ALWAYS


@dataclass(frozen=True, slots=True)
class ConditionalSkip:
    context: SkipContext
    all_sets: bool  # set logic AND (else OR / n/a)
    sets: tuple[SkipSet, ...]


@dataclass(frozen=True, slots=True)
class SeriesDose:
    number: int
    ages: tuple[AgeRule, ...]
    intervals: tuple[Interval, ...]
    allowable_intervals: tuple[AllowableInterval, ...]
    preferable: tuple[SeriesVaccine, ...]
    allowable: tuple[SeriesVaccine, ...]
    inadvertent: frozenset[str]
    skips: tuple[ConditionalSkip, ...]
    recurring: bool
    season_start: date | None
    season_end: date | None


@dataclass(frozen=True, slots=True)
class Indication:
    code: str
    text: str
    description: str
    begin_age: Duration | None
    end_age: Duration | None
    guidance: str


@dataclass(frozen=True, slots=True)
class AntigenSeries:
    name: str
    antigen: str
    target_disease: str
    vaccine_group: str
    series_type: SeriesType
    equivalent_groups: frozenset[str]
    required_genders: frozenset[str]  # 'female' / 'male' / 'unknown'; empty = any
    default: bool
    product_path: bool
    group_name: str
    group: str
    priority: str
    preference: int
    min_age_to_start: Duration | None
    max_age_to_start: Duration | None
    indications: tuple[Indication, ...]
    doses: tuple[SeriesDose, ...]
    admin_guidance: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ContraindicatedVaccine:
    cvx: str
    begin_age: Duration | None
    end_age: Duration | None


@dataclass(frozen=True, slots=True)
class Contraindication:
    """Antigen-level when `vaccines` is empty, else it only rules out those vaccines."""

    code: str
    title: str
    text: str
    begin_age: Duration | None
    end_age: Duration | None
    vaccines: tuple[ContraindicatedVaccine, ...] = ()


@dataclass(frozen=True, slots=True)
class Immunity:
    guideline_codes: frozenset[str] = frozenset()
    birth_before: date | None = None
    birth_country: str = ""
    exclusion_codes: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Antigen:
    name: str
    series: tuple[AntigenSeries, ...]
    immunity: Immunity
    contraindications: tuple[Contraindication, ...]


@dataclass(frozen=True, slots=True)
class LiveVirusConflict:
    previous_cvx: str
    current_cvx: str
    begin: Duration
    min_end: Duration
    end: Duration


@dataclass(frozen=True, slots=True)
class AntigenAssociation:
    antigen: str
    begin_age: Duration | None
    end_age: Duration | None


@dataclass(frozen=True, slots=True)
class Vaccine:
    cvx: str
    description: str
    associations: tuple[AntigenAssociation, ...]


@dataclass(frozen=True, slots=True)
class VaccineGroup:
    name: str
    administer_full_group: bool
    antigens: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Observation:
    code: str
    title: str
    indication_text: str
    contraindication_text: str
    coded_values: tuple[tuple[str, str], ...]  # (code system, code): SNOMED, CVX, CDCPHINVS


@dataclass(frozen=True, slots=True)
class Schedule:
    """One complete schedule (e.g. CDC 4.64, Viet Nam EPI)."""

    name: str
    antigens: Mapping[str, Antigen]
    vaccine_groups: Mapping[str, VaccineGroup]
    vaccines: Mapping[str, Vaccine]  # by CVX
    conflicts: Mapping[str, tuple[LiveVirusConflict, ...]]  # by current CVX
    observations: Mapping[str, Observation]
    # (code system as CDC writes it, code) -> CDSi observation codes, for mapping a Condition's codes
    observation_index: Mapping[tuple[str, str], tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def observation_codes(self, system: str, code: str) -> tuple[str, ...]:
        """CDSi observation codes of a coded fact: ("http://snomed.info/sct", "707147002") -> ("160",)."""
        return self.observation_index.get((_SYSTEMS.get(system, system), code), ())

    def group_of_antigen(self, antigen: str) -> str | None:
        for group in self.vaccine_groups.values():
            if antigen in group.antigens:
                return group.name
        return None
