"""Read CDSi supporting-data XML (CDC's ScheduleSupportingData / AntigenSupportingData) into a Schedule.

Pure: takes the documents' bytes (the loader reads the files). Every duration and date is parsed here, once;
a malformed value raises ScheduleError naming the element, so a broken schedule fails at start-up.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import date
from types import MappingProxyType
from typing import cast

__all__ = ["ScheduleError", "read_antigen", "read_schedule"]

from fhir_server.definitions.schedule import (
    AgeRule,
    AllowableInterval,
    Antigen,
    AntigenAssociation,
    AntigenSeries,
    ConditionalSkip,
    ConditionKind,
    ContraindicatedVaccine,
    Contraindication,
    CountLogic,
    Immunity,
    Indication,
    Interval,
    LiveVirusConflict,
    Observation,
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
from fhir_server.definitions.xml_values import (
    ScheduleError,
    codes,
    cvx,
    day,
    duration,
    is_empty,
    number,
    period,
    text,
    yes,
)

_CONDITION_KINDS: dict[str, ConditionKind] = {
    "age": "age",
    "interval": "interval",
    "completed series": "completed-series",
    "vaccine count by age": "count-by-age",
    "vaccine count by date": "count-by-date",
    "vaccine count by date and age": "count-by-date-age",
}
_COUNT_LOGIC: dict[str, CountLogic] = {"greater than": "greater", "equal to": "equal", "less than": "less"}
_SERIES_TYPES: dict[str, SeriesType] = {
    "standard": "standard",
    "risk": "risk",
    "evaluation only": "evaluation-only",
}


def _vaccine(node: ET.Element) -> SeriesVaccine:
    return SeriesVaccine(
        cvx=cvx(text(node, "cvx")),
        vaccine_type=text(node, "vaccineType"),
        begin_age=duration(node, "beginAge"),
        end_age=duration(node, "endAge"),
        trade_name=text(node, "tradeName"),
        mvx=text(node, "mvx"),
        volume=text(node, "volume"),
        forecast=yes(node, "forecastVaccineType"),
    )


def _interval(node: ET.Element) -> Interval:
    target = text(node, "fromTargetDose")
    observation = node.find("fromRelevantObs")
    return Interval(
        from_previous=yes(node, "fromPrevious"),
        from_target_dose=number(target, "fromTargetDose") if target else None,
        from_most_recent=codes(text(node, "fromMostRecent")),
        from_observation=text(observation, "code") or None,
        abs_min=duration(node, "absMinInt"),
        min=duration(node, "minInt"),
        earliest_rec=duration(node, "earliestRecInt"),
        latest_rec=duration(node, "latestRecInt"),
        priority=text(node, "intervalPriority").lower() == "override",
        period=period(node),
    )


def _condition(node: ET.Element) -> SkipCondition:
    kind = text(node, "conditionType").lower()
    if kind not in _CONDITION_KINDS:
        raise ScheduleError(f"<conditionType>: unknown {kind!r}")
    count = text(node, "doseCount")
    logic = text(node, "doseCountLogic").lower()
    return SkipCondition(
        kind=_CONDITION_KINDS[kind],
        start_date=day(node, "startDate"),
        end_date=day(node, "endDate"),
        begin_age=duration(node, "beginAge"),
        end_age=duration(node, "endAge"),
        interval=duration(node, "interval"),
        dose_count=number(count, "doseCount") if count else None,
        valid_only=text(node, "doseType").lower() == "valid",
        count_logic=_COUNT_LOGIC.get(logic, "greater"),
        vaccine_types=codes(text(node, "vaccineTypes")),
        series_groups=tuple(g.strip() for g in re.split(r"[;,]", text(node, "seriesGroups")) if g.strip()),
    )


def _skip(node: ET.Element) -> ConditionalSkip:
    context = text(node, "context").lower()
    sets = tuple(
        SkipSet(
            description=text(s, "setDescription"),
            all_conditions=text(s, "conditionLogic").upper() == "AND",
            conditions=tuple(_condition(c) for c in s.findall("condition")),
            period=period(s),
        )
        for s in node.findall("set")
    )
    return ConditionalSkip(cast(SkipContext, context), text(node, "setLogic").upper() == "AND", sets)


def _season(node: ET.Element | None) -> tuple[date | None, date | None]:
    return day(node, "startDate"), day(node, "endDate")


def _series_dose(node: ET.Element) -> SeriesDose:
    season_start, season_end = _season(node.find("seasonalRecommendation"))
    skips = tuple(
        _skip(s)
        for s in node.findall("conditionalSkip")
        if text(s, "context").lower() in {"evaluation", "forecast", "both"}
    )
    return SeriesDose(
        number=number(text(node, "doseNumber"), "doseNumber"),
        ages=tuple(
            AgeRule(
                duration(a, "absMinAge"),
                duration(a, "minAge"),
                duration(a, "earliestRecAge"),
                duration(a, "latestRecAge"),
                duration(a, "maxAge"),
                period(a),
            )
            for a in node.findall("age")
        ),
        intervals=tuple(_interval(i) for i in node.findall("interval") if not is_empty(i)),
        allowable_intervals=tuple(
            AllowableInterval(
                yes(i, "fromPrevious"),
                number(text(i, "fromTargetDose"), "fromTargetDose") if text(i, "fromTargetDose") else None,
                duration(i, "absMinInt"),
                period(i),
            )
            for i in node.findall("allowableInterval")
            if not is_empty(i)
        ),
        preferable=tuple(_vaccine(v) for v in node.findall("preferableVaccine") if text(v, "cvx")),
        allowable=tuple(_vaccine(v) for v in node.findall("allowableVaccine") if text(v, "cvx")),
        inadvertent=frozenset(
            cvx(text(v, "cvx")) for v in node.findall("inadvertentVaccine") if text(v, "cvx")
        ),
        skips=skips,
        recurring=yes(node, "recurringDose"),
        season_start=season_start,
        season_end=season_end,
    )


def _series(node: ET.Element, antigen: str) -> AntigenSeries:
    select = node.find("selectSeries")
    kind = text(node, "seriesType").lower()
    if kind not in _SERIES_TYPES:
        raise ScheduleError(f"<seriesType>: unknown {kind!r}")
    preference = text(select, "seriesPreference")
    return AntigenSeries(
        name=text(node, "seriesName"),
        antigen=antigen,
        target_disease=text(node, "targetDisease"),
        vaccine_group=text(node, "vaccineGroup"),
        series_type=_SERIES_TYPES[kind],
        equivalent_groups=frozenset(
            g for g in re.split(r"[;,\s]+", text(node, "equivalentSeriesGroups")) if g
        ),
        required_genders=frozenset(
            t.lower() for n in node.findall("requiredGender") if (t := " ".join((n.text or "").split()))
        ),
        default=yes(select, "defaultSeries"),
        product_path=yes(select, "productPath"),
        group_name=text(select, "seriesGroupName"),
        group=text(select, "seriesGroup"),
        priority=text(select, "seriesPriority") or "A",
        preference=number(preference, "seriesPreference") if preference else 1,
        min_age_to_start=duration(select, "minAgeToStart"),
        max_age_to_start=duration(select, "maxAgeToStart"),
        indications=tuple(
            Indication(
                code=text(i.find("observationCode"), "code"),
                text=text(i.find("observationCode"), "text"),
                description=text(i, "description"),
                begin_age=duration(i, "beginAge"),
                end_age=duration(i, "endAge"),
                guidance=text(i, "guidance"),
            )
            for i in node.findall("indication")
            if text(i.find("observationCode"), "code")
        ),
        doses=tuple(_series_dose(d) for d in node.findall("seriesDose")),
        admin_guidance=tuple(
            t for n in node.findall("seriesAdminGuidance") if (t := " ".join((n.text or "").split()))
        ),
    )


def _contraindications(root: ET.Element) -> tuple[Contraindication, ...]:
    found: list[Contraindication] = []
    for node in root.findall("contraindications/vaccineGroup/contraindication"):
        found.append(
            Contraindication(
                text(node, "observationCode"),
                text(node, "observationTitle"),
                text(node, "contraindicationText"),
                duration(node, "beginAge"),
                duration(node, "endAge"),
            )
        )
    for node in root.findall("contraindications/vaccine/contraindication"):
        vaccines = tuple(
            ContraindicatedVaccine(cvx(text(v, "cvx")), duration(v, "beginAge"), duration(v, "endAge"))
            for v in node.findall("contraindicatedVaccine")
        )
        found.append(
            Contraindication(
                text(node, "observationCode"),
                text(node, "observationTitle"),
                text(node, "contraindicationText"),
                None,
                None,
                vaccines,
            )
        )
    return tuple(found)


def _immunity(root: ET.Element) -> Immunity:
    node = root.find("immunity")
    if node is None:
        return Immunity()
    birth = node.find("dateOfBirth")
    return Immunity(
        guideline_codes=frozenset(text(c, "guidelineCode") for c in node.findall("clinicalHistory")),
        birth_before=day(birth, "immunityBirthDate"),
        birth_country=text(birth, "birthCountry"),
        exclusion_codes=frozenset(text(e, "exclusionCode") for e in node.findall("dateOfBirth/exclusion")),
    )


def read_antigen(document: bytes) -> Antigen:
    """One AntigenSupportingData document."""
    root = ET.fromstring(document)
    series_nodes = root.findall("series")
    if not series_nodes:
        raise ScheduleError("antigen supporting data without <series>")
    antigen = text(series_nodes[0], "targetDisease")
    try:
        series = tuple(_series(s, antigen) for s in series_nodes)
    except ScheduleError as exc:
        raise ScheduleError(f"{antigen}: {exc}") from exc
    return Antigen(antigen, series, _immunity(root), _contraindications(root))


def read_schedule(name: str, schedule_document: bytes, antigen_documents: Iterable[bytes]) -> Schedule:
    """A whole schedule: the ScheduleSupportingData document plus one document per antigen."""
    root = ET.fromstring(schedule_document)
    antigens = {a.name: a for a in map(read_antigen, antigen_documents)}
    groups_full = {
        text(g, "name"): yes(g, "administerFullVaccineGroup")
        for g in root.findall("vaccineGroups/vaccineGroup")
    }
    groups = {
        text(m, "name"): VaccineGroup(
            text(m, "name"),
            groups_full.get(text(m, "name"), False),
            tuple(" ".join((a.text or "").split()) for a in m.findall("antigen")),
        )
        for m in root.findall("vaccineGroupToAntigenMap/vaccineGroupMap")
    }
    vaccines = {
        cvx(text(m, "cvx")): Vaccine(
            cvx(text(m, "cvx")),
            text(m, "shortDescription"),
            tuple(
                AntigenAssociation(
                    text(a, "antigen"),
                    duration(a, "associationBeginAge"),
                    duration(a, "associationEndAge"),
                )
                for a in m.findall("association")
            ),
        )
        for m in root.findall("cvxToAntigenMap/cvxMap")
    }
    conflicts: dict[str, list[LiveVirusConflict]] = {}
    for node in root.findall("liveVirusConflicts/liveVirusConflict"):
        begin, min_end, end = (
            duration(node, "conflictBeginInterval"),
            duration(node, "minConflictEndInterval"),
            duration(node, "conflictEndInterval"),
        )
        if begin is None or min_end is None or end is None:
            raise ScheduleError("<liveVirusConflict> without its three intervals")
        conflict = LiveVirusConflict(
            cvx(text(node.find("previous"), "cvx")),
            cvx(text(node.find("current"), "cvx")),
            begin,
            min_end,
            end,
        )
        conflicts.setdefault(conflict.current_cvx, []).append(conflict)
    observations = {
        text(o, "observationCode"): Observation(
            text(o, "observationCode"),
            text(o, "observationTitle"),
            text(o, "indicationText"),
            text(o, "contraindicationText"),
            tuple((text(c, "codeSystem"), text(c, "code")) for c in o.findall("codedValues/codedValue")),
        )
        for o in root.findall("observations/observation")
    }
    index: dict[tuple[str, str], list[str]] = {}
    for observation in observations.values():
        for system, code in observation.coded_values:
            index.setdefault((system, code), []).append(observation.code)
    return Schedule(
        observation_index=MappingProxyType({key: tuple(found) for key, found in index.items()}),
        name=name,
        antigens=MappingProxyType(antigens),
        vaccine_groups=MappingProxyType(groups),
        vaccines=MappingProxyType(vaccines),
        conflicts=MappingProxyType({cvx: tuple(found) for cvx, found in conflicts.items()}),
        observations=MappingProxyType(observations),
    )
