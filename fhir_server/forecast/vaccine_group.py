"""Blend the best patient series of a vaccine group's antigens into one vaccine group forecast (ch. 9).

DTaP/Tdap/Td (diphtheria, tetanus, pertussis) and MMR (measles, mumps, rubella) blend several antigens;
the other groups have one. Risk and standard series are blended separately (a patient may get both).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from fhir_server.definitions.schedule import VaccineGroup
from fhir_server.forecast.history import History
from fhir_server.forecast.model import (
    DoseEvaluation,
    EvaluationStatus,
    Forecast,
    SeriesKind,
    SeriesResult,
    SeriesStatus,
    VaccineGroupResult,
)
from fhir_server.forecast.patient_series import PatientSeries
from fhir_server.forecast.reasons import Reason

_BLOCKING: tuple[SeriesStatus, ...] = ("contraindicated", "aged-out", "not-recommended", "not-complete")


def series_result(ps: PatientSeries) -> SeriesResult:
    evaluations = tuple(
        DoseEvaluation(
            key=dose.dose.key,
            date=dose.date,
            cvx=dose.cvx,
            antigen=ps.series.antigen,
            series=ps.series.name,
            status=verdict.status,
            target_dose=None if verdict.target is None else verdict.target + 1,
            reasons=verdict.reasons,
            series_doses=len(ps.series.doses),
        )
        for dose in ps.doses
        if (verdict := ps.verdict(dose)) is not None
    )
    return SeriesResult(
        antigen=ps.series.antigen,
        series=ps.series.name,
        kind=ps.series.series_type,
        vaccine_group=ps.series.vaccine_group,
        target_disease=ps.series.target_disease,
        evaluations=evaluations,
        forecast=ps.forecast,
        series_doses=len(ps.series.doses),
    )


def group_results(
    group: VaccineGroup, best: Sequence[PatientSeries], history: History, birth: date, today: date
) -> list[VaccineGroupResult]:
    """FORECASTVG-1..9, SINGLEANTVG, MULTIANTVG, FORECASTDN-2; one result per series group present."""
    by_group: dict[str, list[PatientSeries]] = {}
    for ps in best:
        by_group.setdefault(ps.series.group, []).append(ps)
    results = []
    for members in by_group.values():
        kind: SeriesKind = "risk" if any(ps.series.series_type == "risk" for ps in members) else "standard"
        forecast = _blend(group, members, history)
        series = tuple(series_result(ps) for ps in members)
        started = all(
            ps.series.min_age_to_start is None or ps.series.min_age_to_start.add_to(birth) <= today
            for ps in members
        )
        results.append(
            VaccineGroupResult(group.name, kind, forecast, series, _blend_evaluations(series), started)
        )
    return results


def primary(results: Sequence[VaccineGroupResult]) -> VaccineGroupResult | None:
    """The forecast to show first when a group has several (e.g. a child's and an adult's pneumococcal
    series): series the patient has started come first, then those whose age to start is reached, then
    whatever is due soonest."""

    def rank(result: VaccineGroupResult) -> tuple[bool, bool, bool, date]:
        started = any(e.status == "valid" for e in result.evaluations)
        due = result.forecast.status == "not-complete" and result.forecast.earliest is not None
        return (not started, not result.age_to_start_reached, not due, result.forecast.earliest or date.max)

    return min(results, key=rank) if results else None


def _status(members: Sequence[PatientSeries]) -> SeriesStatus:
    """Table 9-4."""
    statuses = [ps.forecast.status for ps in members]
    for status in _BLOCKING:
        if status in statuses:
            return status
    return "immune" if all(s == "immune" for s in statuses) else "complete"


def _is_priority(ps: PatientSeries) -> bool:
    """FORECASTPRIORITY-1."""
    if ps.next_target is None:
        return False
    intervals = ps.targets[ps.next_target].dose.intervals
    return bool(intervals) and all(i.priority for i in intervals)


def _blend(group: VaccineGroup, members: Sequence[PatientSeries], history: History) -> Forecast:
    if len(members) == 1:  # SINGLEANTVG-1/2
        return members[0].forecast
    status = _status(members)
    forecasts = [ps.forecast for ps in members if ps.forecast.earliest is not None]
    reasons = tuple(dict.fromkeys(r for ps in members for r in ps.forecast.reasons))
    if status != "not-complete" or not forecasts:
        return Forecast(status, reasons=reasons)
    if any(_is_priority(ps) for ps in members if ps.forecast.earliest is not None):  # MULTIANTVG-1
        given = [d.date for antigen in group.antigens for d in history.by_antigen.get(antigen, ())]
        earliest = max([min(f.earliest for f in forecasts if f.earliest), *given])
    else:
        earliest = max(f.earliest for f in forecasts if f.earliest)
    recommended = [f.recommended for f in forecasts if f.recommended]
    past_due = [f.past_due for f in forecasts if f.past_due]
    latest = [f.latest for f in forecasts if f.latest]
    numbers = [f.dose_number for f in forecasts if f.dose_number is not None]
    unadjusted_rec = [f.unadjusted_recommended for f in forecasts if f.unadjusted_recommended]
    unadjusted_due = [f.unadjusted_past_due for f in forecasts if f.unadjusted_past_due]
    return Forecast(
        status=status,
        dose_number=(min(numbers) if group.administer_full_group else max(numbers)) if numbers else None,
        earliest=earliest,
        recommended=max(min(recommended), earliest) if recommended else earliest,
        past_due=max(min(past_due), earliest) if past_due else None,
        latest=min(latest) if latest else None,
        unadjusted_recommended=min(unadjusted_rec) if unadjusted_rec else None,
        unadjusted_past_due=min(unadjusted_due) if unadjusted_due else None,
        vaccines=tuple(dict.fromkeys(v for f in forecasts for v in f.vaccines)),
        reasons=reasons,
    )


_ORDER: dict[EvaluationStatus, int] = {"sub-standard": 0, "not-valid": 1, "valid": 2, "extraneous": 3}


def _blend_evaluations(series: Sequence[SeriesResult]) -> tuple[DoseEvaluation, ...]:
    """One evaluation per dose: Not Valid for any antigen wins, then Valid, then Extraneous."""
    by_key: dict[str, list[DoseEvaluation]] = {}
    for result in series:
        for evaluation in result.evaluations:
            by_key.setdefault(evaluation.key, []).append(evaluation)
    blended = []
    for found in by_key.values():
        found.sort(key=lambda e: _ORDER[e.status])
        first = found[0]
        reasons: tuple[Reason, ...] = tuple(
            dict.fromkeys(r for e in found if e.status == first.status for r in e.reasons)
        )
        blended.append(replace(first, reasons=reasons))
    blended.sort(key=lambda e: e.date)
    return tuple(blended)
