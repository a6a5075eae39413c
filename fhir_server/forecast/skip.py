"""Conditional skip (Logic Specification 6.2, used again by 7.1 and 7.6): may a target dose be left out?

A target dose is skipped when its sets of conditions are met (Tables 6-6 to 6-11): the patient's age, the time
since the previous dose, how many doses were given by some age or date, or another completed series.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import Literal

from fhir_server.definitions.schedule import SeriesDose, SkipCondition, SkipSet
from fhir_server.forecast.history import AntigenDose
from fhir_server.forecast.model import Patient
from fhir_server.forecast.patient_series import PatientSeries

Context = Literal["evaluation", "forecast"]


def can_skip(
    dose: SeriesDose,
    context: Context,
    reference: date,
    *,
    patient: Patient,
    series: PatientSeries,
    prior: Sequence[AntigenDose],
    completed_groups: Collection[str],
    relevant_on: date | None = None,
) -> bool:
    """Table 6-11. `reference` is the date administered, the assessment date or the forecast earliest date
    (CONDSKIP-2); `prior` are the doses given before the one being evaluated (all doses when forecasting).
    Sets are chosen by their effective/cessation dates on `relevant_on` (RELEVANT-1/2: the date administered
    in evaluation, the assessment date in forecasting, also when validating at the earliest date); it
    defaults to `reference`."""
    relevant = relevant_on or reference
    for skip in dose.skips:
        if skip.context not in (context, "both"):
            continue
        sets = [s for s in skip.sets if s.period.covers(relevant)]
        met = [
            _set_met(
                s, reference, patient=patient, series=series, prior=prior, completed_groups=completed_groups
            )
            for s in sets
        ]
        if met and (all(met) if skip.all_sets else any(met)):
            return True
    return False


def _set_met(
    skip_set: SkipSet,
    reference: date,
    *,
    patient: Patient,
    series: PatientSeries,
    prior: Sequence[AntigenDose],
    completed_groups: Collection[str],
) -> bool:
    """Table 6-10."""
    met = [
        _condition_met(
            c, reference, patient=patient, series=series, prior=prior, completed_groups=completed_groups
        )
        for c in skip_set.conditions
    ]
    if not met:
        return False
    return all(met) if skip_set.all_conditions else any(met)


def _condition_met(
    condition: SkipCondition,
    reference: date,
    *,
    patient: Patient,
    series: PatientSeries,
    prior: Sequence[AntigenDose],
    completed_groups: Collection[str],
) -> bool:
    birth = patient.birth_date
    begin_age = condition.begin_age.add_to(birth) if condition.begin_age else date.min
    end_age = condition.end_age.add_to(birth) if condition.end_age else date.max
    match condition.kind:
        case "age":  # Table 6-6
            return begin_age <= reference < end_age
        case "completed-series":  # Table 6-7
            return any(group in completed_groups for group in condition.series_groups)
        case "interval":  # Table 6-8
            if not prior or condition.interval is None:
                return False
            return reference >= condition.interval.add_to(prior[-1].date)
        case _:  # Table 6-9, counted per CONDSKIP-1
            count = 0
            start = condition.start_date or date.min
            end = condition.end_date or date.max
            for dose in prior:
                if condition.vaccine_types and dose.cvx not in condition.vaccine_types:
                    continue
                if not (begin_age <= dose.date < end_age and start <= dose.date < end):
                    continue
                if condition.valid_only:
                    verdict = series.verdict(dose)
                    if verdict is None or verdict.status != "valid":
                        continue
                count += 1
            wanted = condition.dose_count or 0
            match condition.count_logic:
                case "greater":
                    return count > wanted
                case "equal":
                    return count == wanted
                case _:
                    return count < wanted
