"""Hand-made schedules for the engine's unit tests: a few lines build an antigen series with defaults."""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType

from fhir_server.definitions.duration import Duration
from fhir_server.definitions.schedule import (
    AgeRule,
    AllowableInterval,
    Antigen,
    AntigenAssociation,
    AntigenSeries,
    ConditionalSkip,
    Contraindication,
    Immunity,
    Indication,
    Interval,
    LiveVirusConflict,
    Schedule,
    SeriesDose,
    SeriesType,
    SeriesVaccine,
    SkipCondition,
    SkipContext,
    SkipSet,
    Vaccine,
    VaccineGroup,
)


def d(text: str | None) -> Duration | None:
    return Duration.parse(text) if text else None


def age(
    abs_min: str | None = None,
    minimum: str | None = None,
    earliest: str | None = None,
    latest: str | None = None,
    maximum: str | None = None,
) -> AgeRule:
    return AgeRule(d(abs_min), d(minimum), d(earliest), d(latest), d(maximum))


def interval(
    abs_min: str,
    minimum: str,
    earliest: str | None = None,
    latest: str | None = None,
    *,
    from_dose: int | None = None,
    from_cvx: Sequence[str] = (),
) -> Interval:
    return Interval(
        from_previous=from_dose is None and not from_cvx,
        from_target_dose=from_dose,
        from_most_recent=frozenset(from_cvx),
        from_observation=None,
        abs_min=d(abs_min),
        min=d(minimum),
        earliest_rec=d(earliest),
        latest_rec=d(latest),
        priority=False,
    )


def vaccine(
    cvx: str, begin: str | None = None, end: str | None = None, *, forecast: bool = True
) -> SeriesVaccine:
    return SeriesVaccine(cvx, f"vaccine {cvx}", d(begin), d(end), forecast=forecast)


def skip_age(begin: str, context: SkipContext = "both") -> ConditionalSkip:
    condition = SkipCondition(
        "age", None, None, d(begin), None, None, None, False, "greater", frozenset(), ()
    )
    return ConditionalSkip(context, False, (SkipSet(f"not needed from {begin}", False, (condition,)),))


def skip_count(more_than: int, cvx: Sequence[str], *, before_age: str | None = None) -> ConditionalSkip:
    condition = SkipCondition(
        "count-by-age", None, None, None, d(before_age), None, more_than, False, "greater", frozenset(cvx), ()
    )
    return ConditionalSkip("both", False, (SkipSet(f"more than {more_than} doses", False, (condition,)),))


def dose(
    number: int,
    ages: AgeRule | None = None,
    intervals: Sequence[Interval] = (),
    preferable: Sequence[SeriesVaccine] = (vaccine("1"),),
    allowable: Sequence[SeriesVaccine] = (),
    *,
    allowable_intervals: Sequence[AllowableInterval] = (),
    inadvertent: Sequence[str] = (),
    skips: Sequence[ConditionalSkip] = (),
    recurring: bool = False,
) -> SeriesDose:
    return SeriesDose(
        number=number,
        ages=(ages,) if ages else (),
        intervals=tuple(intervals),
        allowable_intervals=tuple(allowable_intervals),
        preferable=tuple(preferable),
        allowable=tuple(allowable) or tuple(preferable),
        inadvertent=frozenset(inadvertent),
        skips=tuple(skips),
        recurring=recurring,
        season_start=None,
        season_end=None,
    )


def series(
    name: str,
    doses: Sequence[SeriesDose],
    *,
    antigen: str = "Alpha",
    group: str = "1",
    kind: SeriesType = "standard",
    default: bool = True,
    preference: int = 1,
    indications: Sequence[str] = (),
    genders: Sequence[str] = (),
    equivalent: Sequence[str] = (),
) -> AntigenSeries:
    return AntigenSeries(
        name=name,
        antigen=antigen,
        target_disease=antigen,
        vaccine_group=antigen,
        series_type=kind,
        equivalent_groups=frozenset(equivalent),
        required_genders=frozenset(genders),
        default=default,
        product_path=False,
        group_name="Standard" if kind == "standard" else "Risk",
        group=group,
        priority="A",
        preference=preference,
        min_age_to_start=None,
        max_age_to_start=None,
        indications=tuple(Indication(code, code, code, None, None, "") for code in indications),
        doses=tuple(doses),
    )


def schedule(
    *series_list: AntigenSeries,
    vaccines: dict[str, Sequence[str]] | None = None,
    groups: dict[str, Sequence[str]] | None = None,
    immunity: Immunity | None = None,
    contraindications: Sequence[Contraindication] = (),
    conflicts: Sequence[LiveVirusConflict] = (),
) -> Schedule:
    """`vaccines` maps CVX to antigens (default: CVX 1..9 give Alpha); one group per antigen by default."""
    by_antigen: dict[str, list[AntigenSeries]] = {}
    for s in series_list:
        by_antigen.setdefault(s.antigen, []).append(s)
    vaccines = vaccines or {str(n): ("Alpha",) for n in range(1, 10)}
    groups = groups or {name: (name,) for name in by_antigen}
    by_current: dict[str, list[LiveVirusConflict]] = {}
    for conflict in conflicts:
        by_current.setdefault(conflict.current_cvx, []).append(conflict)
    return Schedule(
        name="test",
        antigens=MappingProxyType(
            {
                name: Antigen(name, tuple(found), immunity or Immunity(), tuple(contraindications))
                for name, found in by_antigen.items()
            }
        ),
        vaccine_groups=MappingProxyType(
            {name: VaccineGroup(name, False, tuple(antigens)) for name, antigens in groups.items()}
        ),
        vaccines=MappingProxyType(
            {
                cvx: Vaccine(
                    cvx, f"vaccine {cvx}", tuple(AntigenAssociation(a, None, None) for a in antigens)
                )
                for cvx, antigens in vaccines.items()
            }
        ),
        conflicts=MappingProxyType({cvx: tuple(found) for cvx, found in by_current.items()}),
        observations=MappingProxyType({}),
    )
