"""Evaluate the doses of one patient series against its target doses (Logic Specification 4.4 and ch. 6).

For each antigen dose in date order, against the current target dose: dose condition (6.1), conditional
skip (6.2), inadvertent vaccine (6.3), age (6.4), preferable and allowable intervals (6.5, 6.6), live virus
conflict (6.7), preferable and allowable vaccine (6.8, 6.9), then whether the target dose is satisfied (6.10).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from fhir_server.definitions.schedule import AgeRule, Schedule, SeriesDose, SeriesVaccine
from fhir_server.forecast.history import AntigenDose, History
from fhir_server.forecast.intervals import reference_date
from fhir_server.forecast.model import Patient
from fhir_server.forecast.patient_series import PatientSeries, TargetDose, Verdict
from fhir_server.forecast.reasons import Reason, reason
from fhir_server.forecast.skip import can_skip


@dataclass(frozen=True, slots=True)
class Context:
    patient: Patient
    history: History
    schedule: Schedule
    assessment_date: date
    completed_groups: Collection[str]


def evaluate_series(ps: PatientSeries, ctx: Context) -> None:
    """Fill `ps.verdicts` and target statuses; leave `ps.next_target` at the first unsatisfied target dose."""
    position = 0
    for i, dose in enumerate(ps.doses):
        prior = ps.doses[:i]
        while position < len(ps.targets) and can_skip(
            ps.targets[position].dose,
            "evaluation",
            dose.date,
            patient=ctx.patient,
            series=ps,
            prior=prior,
            completed_groups=ctx.completed_groups,
        ):
            ps.targets[position].status = "skipped"
            position += 1
        if position >= len(ps.targets):
            ps.verdicts[dose.index] = Verdict("extraneous", None, (reason("series-complete"),))
            continue
        target = ps.targets[position]
        verdict = _evaluate(ps, ctx, position, dose, prior)
        ps.verdicts[dose.index] = verdict
        if verdict.status == "valid":
            target.status, target.satisfied_by = "satisfied", dose
            position += 1
            if target.dose.recurring:
                ps.targets.insert(position, TargetDose(target.dose))
    ps.next_target = position if position < len(ps.targets) else None


def _evaluate(
    ps: PatientSeries, ctx: Context, position: int, dose: AntigenDose, prior: Sequence[AntigenDose]
) -> Verdict:
    target = ps.targets[position].dose
    if dose.dose.substandard:  # 6.1
        return Verdict("sub-standard", position, (reason("sub-standard"),))
    if dose.cvx in target.inadvertent:  # 6.3
        return Verdict("not-valid", position, (reason("inadvertent"),), inadvertent=True)
    reasons: list[Reason] = []
    birth = ctx.patient.birth_date
    age = _age_rule(target, dose.date)
    too_young = too_old = False
    if age is not None:  # 6.4, Table 6-15
        if age.abs_min and dose.date < age.abs_min.add_to(birth):
            too_young = True
            reasons.append(reason("too-young"))
        elif age.max and dose.date >= age.max.add_to(birth):
            too_old = True
            reasons.append(reason("too-old"))
        elif age.min and dose.date < age.min.add_to(birth):
            reasons.append(reason("age-grace-period"))
    interval_ok, interval_reasons = _intervals(ps, ctx, target, dose, prior)
    reasons.extend(interval_reasons)
    conflict = _in_conflict(ps, ctx, dose)
    if conflict:
        reasons.append(reason("live-virus-conflict"))
    vaccine_ok = _preferable(target.preferable, dose, birth) or _allowable(target.allowable, dose, birth)
    if not vaccine_ok:
        reasons.append(reason("not-allowed-vaccine"))
    # Table 6-31
    if not too_young and not too_old and interval_ok and not conflict and vaccine_ok:
        return Verdict("valid", position, tuple(reasons))
    if too_old:
        return Verdict("extraneous", position, tuple(reasons))
    return Verdict("not-valid", position, tuple(reasons))


def _age_rule(target: SeriesDose, day: date) -> AgeRule | None:
    return next((a for a in target.ages if a.period.covers(day)), None)


def _intervals(
    ps: PatientSeries, ctx: Context, target: SeriesDose, dose: AntigenDose, prior: Sequence[AntigenDose]
) -> tuple[bool, list[Reason]]:
    """6.5 then 6.6: all preferable intervals hold, or failing that all allowable intervals hold."""
    reasons: list[Reason] = []
    preferable_ok = True
    for interval in target.intervals:
        if not interval.period.covers(dose.date):
            continue
        start = reference_date(interval, ps, ctx.patient, prior)
        if start is None:
            continue
        if interval.abs_min and dose.date < interval.abs_min.add_to(start):
            preferable_ok = False
        elif interval.min and dose.date < interval.min.add_to(start):
            reasons.append(reason("interval-grace-period"))
    if preferable_ok:
        return True, reasons
    allowable = [a for a in target.allowable_intervals if a.period.covers(dose.date)]
    allowable_ok = bool(allowable)
    for allowed in allowable:
        start = reference_date(allowed, ps, ctx.patient, prior)
        if start is not None and allowed.abs_min and dose.date < allowed.abs_min.add_to(start):
            allowable_ok = False
    if allowable_ok:
        return True, reasons
    return False, [reason("too-soon")]


def _in_conflict(ps: PatientSeries, ctx: Context, dose: AntigenDose) -> bool:
    """6.7: CONFLICT-3 with the conflict dates of CALCDTCONFLICT-1/2."""
    conflicts = ctx.schedule.conflicts.get(dose.cvx, ())
    if not conflicts:
        return False
    own = {d.index: d for d in ps.doses}
    for index, earlier in enumerate(ctx.history.doses):
        if earlier.date >= dose.date or index == dose.index:
            continue
        for conflict in conflicts:
            if conflict.previous_cvx != earlier.cvx:
                continue
            verdict = ps.verdict(own[index]) if index in own else None
            end = conflict.min_end if verdict is None or verdict.status == "valid" else conflict.end
            if conflict.begin.add_to(earlier.date) <= dose.date < end.add_to(earlier.date):
                return True
    return False


def _within(vaccine: SeriesVaccine, day: date, birth: date) -> bool:
    begin = vaccine.begin_age.add_to(birth) if vaccine.begin_age else date.min
    end = vaccine.end_age.add_to(birth) if vaccine.end_age else date.max
    return begin <= day < end


def _preferable(vaccines: Sequence[SeriesVaccine], dose: AntigenDose, birth: date) -> bool:
    """Table 6-26 (volume is reported elsewhere, never used to invalidate)."""
    for vaccine in vaccines:
        if vaccine.cvx != dose.cvx or not _within(vaccine, dose.date, birth):
            continue
        if vaccine.trade_name and dose.dose.trade_name and vaccine.trade_name != dose.dose.trade_name:
            continue
        return True
    return False


def _allowable(vaccines: Sequence[SeriesVaccine], dose: AntigenDose, birth: date) -> bool:
    """Table 6-29."""
    return any(v.cvx == dose.cvx and _within(v, dose.date, birth) for v in vaccines)
