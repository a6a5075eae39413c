"""Read CDSi supporting-data XML (CDC's ScheduleSupportingData / AntigenSupportingData) into a Schedule.

Pure: takes the documents' bytes (the loader reads the files). Every duration and date is parsed here, once;
a malformed value raises ScheduleError naming the element, so a broken schedule fails at start-up.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import date, datetime
from types import MappingProxyType
from typing import cast

from fhir_server.definitions.duration import Duration, DurationError
from fhir_server.definitions.schedule import (
    ALWAYS,
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
    Period,
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


class ScheduleError(ValueError):
    """Supporting data that cannot be read."""


_EMPTY = {"", "n/a", "na"}
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


def _text(node: ET.Element | None, tag: str) -> str:
    if node is None:
        return ""
    child = node.find(tag)
    if child is None or child.text is None:
        return ""
    value = " ".join(child.text.split())
    return "" if value.lower() in _EMPTY else value


def _duration(node: ET.Element | None, tag: str) -> Duration | None:
    value = _text(node, tag)
    if not value:
        return None
    try:
        return Duration.parse(value)
    except DurationError as exc:
        raise ScheduleError(f"<{tag}>: {exc}") from exc


def _date(node: ET.Element | None, tag: str) -> date | None:
    value = _text(node, tag)
    if not value:
        return None
    for pattern in ("%Y%m%d", "%m/%d/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ScheduleError(f"<{tag}>: not a date: {value!r}")


def _period(node: ET.Element) -> Period:
    effective, cessation = _date(node, "effectiveDate"), _date(node, "cessationDate")
    return ALWAYS if effective is None and cessation is None else Period(effective, cessation)


def _yes(node: ET.Element | None, tag: str) -> bool:
    return _text(node, tag).lower() in {"yes", "y", "true"}


def _codes(value: str) -> frozenset[str]:
    return frozenset(_cvx(code) for code in re.split(r"[;,]", value) if code.strip())


def _cvx(code: str) -> str:
    """CVX codes compare as written without leading zeros ('03' and '3' are one vaccine)."""
    code = code.strip()
    return code.lstrip("0") or "0" if code.isdigit() else code


def _int(value: str, what: str) -> int:
    try:
        return int(re.sub(r"\D", "", value))
    except ValueError as exc:
        raise ScheduleError(f"{what}: not a number: {value!r}") from exc


def _vaccine(node: ET.Element) -> SeriesVaccine:
    return SeriesVaccine(
        cvx=_cvx(_text(node, "cvx")),
        vaccine_type=_text(node, "vaccineType"),
        begin_age=_duration(node, "beginAge"),
        end_age=_duration(node, "endAge"),
        trade_name=_text(node, "tradeName"),
        mvx=_text(node, "mvx"),
        volume=_text(node, "volume"),
        forecast=_yes(node, "forecastVaccineType"),
    )


def _interval(node: ET.Element) -> Interval:
    target = _text(node, "fromTargetDose")
    observation = node.find("fromRelevantObs")
    return Interval(
        from_previous=_yes(node, "fromPrevious"),
        from_target_dose=_int(target, "fromTargetDose") if target else None,
        from_most_recent=_codes(_text(node, "fromMostRecent")),
        from_observation=_text(observation, "code") or None,
        abs_min=_duration(node, "absMinInt"),
        min=_duration(node, "minInt"),
        earliest_rec=_duration(node, "earliestRecInt"),
        latest_rec=_duration(node, "latestRecInt"),
        priority=_text(node, "intervalPriority").lower() == "override",
        period=_period(node),
    )


def _is_empty(node: ET.Element) -> bool:
    return all(
        not (child.text or "").strip() or (child.text or "").strip().lower() in _EMPTY
        for child in node.iter()
    )


def _condition(node: ET.Element) -> SkipCondition:
    kind = _text(node, "conditionType").lower()
    if kind not in _CONDITION_KINDS:
        raise ScheduleError(f"<conditionType>: unknown {kind!r}")
    count = _text(node, "doseCount")
    logic = _text(node, "doseCountLogic").lower()
    return SkipCondition(
        kind=_CONDITION_KINDS[kind],
        start_date=_date(node, "startDate"),
        end_date=_date(node, "endDate"),
        begin_age=_duration(node, "beginAge"),
        end_age=_duration(node, "endAge"),
        interval=_duration(node, "interval"),
        dose_count=_int(count, "doseCount") if count else None,
        valid_only=_text(node, "doseType").lower() == "valid",
        count_logic=_COUNT_LOGIC.get(logic, "greater"),
        vaccine_types=_codes(_text(node, "vaccineTypes")),
        series_groups=tuple(g.strip() for g in re.split(r"[;,]", _text(node, "seriesGroups")) if g.strip()),
    )


def _skip(node: ET.Element) -> ConditionalSkip:
    context = _text(node, "context").lower()
    sets = tuple(
        SkipSet(
            description=_text(s, "setDescription"),
            all_conditions=_text(s, "conditionLogic").upper() == "AND",
            conditions=tuple(_condition(c) for c in s.findall("condition")),
            period=_period(s),
        )
        for s in node.findall("set")
    )
    return ConditionalSkip(cast(SkipContext, context), _text(node, "setLogic").upper() == "AND", sets)


def _season(node: ET.Element | None) -> tuple[date | None, date | None]:
    return _date(node, "startDate"), _date(node, "endDate")


def _series_dose(node: ET.Element) -> SeriesDose:
    season_start, season_end = _season(node.find("seasonalRecommendation"))
    skips = tuple(
        _skip(s)
        for s in node.findall("conditionalSkip")
        if _text(s, "context").lower() in {"evaluation", "forecast", "both"}
    )
    return SeriesDose(
        number=_int(_text(node, "doseNumber"), "doseNumber"),
        ages=tuple(
            AgeRule(
                _duration(a, "absMinAge"),
                _duration(a, "minAge"),
                _duration(a, "earliestRecAge"),
                _duration(a, "latestRecAge"),
                _duration(a, "maxAge"),
                _period(a),
            )
            for a in node.findall("age")
        ),
        intervals=tuple(_interval(i) for i in node.findall("interval") if not _is_empty(i)),
        allowable_intervals=tuple(
            AllowableInterval(
                _yes(i, "fromPrevious"),
                _int(_text(i, "fromTargetDose"), "fromTargetDose") if _text(i, "fromTargetDose") else None,
                _duration(i, "absMinInt"),
                _period(i),
            )
            for i in node.findall("allowableInterval")
            if not _is_empty(i)
        ),
        preferable=tuple(_vaccine(v) for v in node.findall("preferableVaccine") if _text(v, "cvx")),
        allowable=tuple(_vaccine(v) for v in node.findall("allowableVaccine") if _text(v, "cvx")),
        inadvertent=frozenset(
            _cvx(_text(v, "cvx")) for v in node.findall("inadvertentVaccine") if _text(v, "cvx")
        ),
        skips=skips,
        recurring=_yes(node, "recurringDose"),
        season_start=season_start,
        season_end=season_end,
    )


def _series(node: ET.Element, antigen: str) -> AntigenSeries:
    select = node.find("selectSeries")
    kind = _text(node, "seriesType").lower()
    if kind not in _SERIES_TYPES:
        raise ScheduleError(f"<seriesType>: unknown {kind!r}")
    preference = _text(select, "seriesPreference")
    return AntigenSeries(
        name=_text(node, "seriesName"),
        antigen=antigen,
        target_disease=_text(node, "targetDisease"),
        vaccine_group=_text(node, "vaccineGroup"),
        series_type=_SERIES_TYPES[kind],
        equivalent_groups=frozenset(
            g for g in re.split(r"[;,\s]+", _text(node, "equivalentSeriesGroups")) if g
        ),
        required_genders=frozenset(
            t.lower() for n in node.findall("requiredGender") if (t := " ".join((n.text or "").split()))
        ),
        default=_yes(select, "defaultSeries"),
        product_path=_yes(select, "productPath"),
        group_name=_text(select, "seriesGroupName"),
        group=_text(select, "seriesGroup"),
        priority=_text(select, "seriesPriority") or "A",
        preference=_int(preference, "seriesPreference") if preference else 1,
        min_age_to_start=_duration(select, "minAgeToStart"),
        max_age_to_start=_duration(select, "maxAgeToStart"),
        indications=tuple(
            Indication(
                code=_text(i.find("observationCode"), "code"),
                text=_text(i.find("observationCode"), "text"),
                description=_text(i, "description"),
                begin_age=_duration(i, "beginAge"),
                end_age=_duration(i, "endAge"),
                guidance=_text(i, "guidance"),
            )
            for i in node.findall("indication")
            if _text(i.find("observationCode"), "code")
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
                _text(node, "observationCode"),
                _text(node, "observationTitle"),
                _text(node, "contraindicationText"),
                _duration(node, "beginAge"),
                _duration(node, "endAge"),
            )
        )
    for node in root.findall("contraindications/vaccine/contraindication"):
        vaccines = tuple(
            ContraindicatedVaccine(_cvx(_text(v, "cvx")), _duration(v, "beginAge"), _duration(v, "endAge"))
            for v in node.findall("contraindicatedVaccine")
        )
        found.append(
            Contraindication(
                _text(node, "observationCode"),
                _text(node, "observationTitle"),
                _text(node, "contraindicationText"),
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
        guideline_codes=frozenset(_text(c, "guidelineCode") for c in node.findall("clinicalHistory")),
        birth_before=_date(birth, "immunityBirthDate"),
        birth_country=_text(birth, "birthCountry"),
        exclusion_codes=frozenset(_text(e, "exclusionCode") for e in node.findall("dateOfBirth/exclusion")),
    )


def read_antigen(document: bytes) -> Antigen:
    """One AntigenSupportingData document."""
    root = ET.fromstring(document)
    series_nodes = root.findall("series")
    if not series_nodes:
        raise ScheduleError("antigen supporting data without <series>")
    antigen = _text(series_nodes[0], "targetDisease")
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
        _text(g, "name"): _yes(g, "administerFullVaccineGroup")
        for g in root.findall("vaccineGroups/vaccineGroup")
    }
    groups = {
        _text(m, "name"): VaccineGroup(
            _text(m, "name"),
            groups_full.get(_text(m, "name"), False),
            tuple(" ".join((a.text or "").split()) for a in m.findall("antigen")),
        )
        for m in root.findall("vaccineGroupToAntigenMap/vaccineGroupMap")
    }
    vaccines = {
        _cvx(_text(m, "cvx")): Vaccine(
            _cvx(_text(m, "cvx")),
            _text(m, "shortDescription"),
            tuple(
                AntigenAssociation(
                    _text(a, "antigen"),
                    _duration(a, "associationBeginAge"),
                    _duration(a, "associationEndAge"),
                )
                for a in m.findall("association")
            ),
        )
        for m in root.findall("cvxToAntigenMap/cvxMap")
    }
    conflicts: dict[str, list[LiveVirusConflict]] = {}
    for node in root.findall("liveVirusConflicts/liveVirusConflict"):
        begin, min_end, end = (
            _duration(node, "conflictBeginInterval"),
            _duration(node, "minConflictEndInterval"),
            _duration(node, "conflictEndInterval"),
        )
        if begin is None or min_end is None or end is None:
            raise ScheduleError("<liveVirusConflict> without its three intervals")
        conflict = LiveVirusConflict(
            _cvx(_text(node.find("previous"), "cvx")),
            _cvx(_text(node.find("current"), "cvx")),
            begin,
            min_end,
            end,
        )
        conflicts.setdefault(conflict.current_cvx, []).append(conflict)
    observations = {
        _text(o, "observationCode"): Observation(
            _text(o, "observationCode"),
            _text(o, "observationTitle"),
            _text(o, "indicationText"),
            _text(o, "contraindicationText"),
            tuple((_text(c, "codeSystem"), _text(c, "code")) for c in o.findall("codedValues/codedValue")),
        )
        for o in root.findall("observations/observation")
    }
    return Schedule(
        name=name,
        antigens=MappingProxyType(antigens),
        vaccine_groups=MappingProxyType(groups),
        vaccines=MappingProxyType(vaccines),
        conflicts=MappingProxyType({cvx: tuple(found) for cvx, found in conflicts.items()}),
        observations=MappingProxyType(observations),
    )
