"""Forecast the next target dose of one evaluated patient series (Logic Specification ch. 7).

Conditional skip at the assessment date (7.1), evidence of immunity (7.2), contraindications (7.3), whether
another dose is needed (7.4), the forecast dates and vaccines (7.5), and a re-forecast when the target dose
would be skipped by the time the patient comes back at the earliest date (7.6).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from fhir_server.definitions.schedule import Antigen, Contraindication, SeriesDose
from fhir_server.forecast.evaluation import Context
from fhir_server.forecast.intervals import reference_date
from fhir_server.forecast.model import Forecast, Patient
from fhir_server.forecast.patient_series import PatientSeries
from fhir_server.forecast.reasons import reason
from fhir_server.forecast.skip import can_skip

_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class _Dates:
    earliest: date
    recommended: date | None
    past_due: date | None
    latest: date | None
    max_age: date | None
    grounded: bool  # a rule (minimum age, interval, last dose ...) set the earliest date, not birth


def forecast_series(ps: PatientSeries, antigen: Antigen, ctx: Context) -> Forecast:
    patient, today = ctx.patient, ctx.assessment_date
    codes = {o.code for o in patient.observations}
    position = _skip_ahead(ps, ps.next_target, today, ctx)
    if has_immunity(antigen, patient):
        return _done(ps, position, Forecast("immune", reasons=(reason("immune"),)))
    if _antigen_contraindicated(antigen.contraindications, patient, today, codes):
        return _done(ps, position, Forecast("contraindicated", reasons=(reason("contraindicated"),)))
    while True:
        if position is None:
            if any(t.status == "satisfied" for t in ps.targets):
                return _done(ps, None, Forecast("complete", reasons=(reason("complete"),)))
            return _done(ps, None, Forecast("not-recommended", reasons=(reason("not-recommended"),)))
        target = ps.targets[position].dose
        if target.preferable and all(
            _vaccine_contraindicated(antigen.contraindications, cvx, patient, today, codes)
            for cvx in {v.cvx for v in target.preferable}
        ):
            return _done(ps, position, Forecast("contraindicated", reasons=(reason("contraindicated"),)))
        if target.season_end and today > target.season_end:
            return _done(ps, position, Forecast("not-recommended", reasons=(reason("season-ended"),)))
        dates = _dates(ps, position, ctx)
        if dates.max_age and today >= dates.max_age:
            return _done(ps, position, Forecast("aged-out", reasons=(reason("aged-out"),)))
        if dates.max_age and dates.earliest >= dates.max_age:
            return _done(ps, position, Forecast("aged-out", reasons=(reason("cannot-finish"),)))
        if can_skip(
            target,
            "forecast",
            dates.earliest,
            patient=patient,
            series=ps,
            prior=ps.doses,
            completed_groups=ctx.completed_groups,
            relevant_on=today,  # RELEVANT-2: the schedule in force at the assessment date
        ):  # 7.6
            ps.targets[position].status = "skipped"
            position = _skip_ahead(ps, position + 1, today, ctx)
            continue
        ps.start_known = dates.grounded
        return _done(ps, position, _forecast(ps, target, dates, antigen, ctx, codes=codes))


def _done(ps: PatientSeries, position: int | None, forecast: Forecast) -> Forecast:
    ps.next_target = position
    ps.forecast = forecast
    return forecast


def _skip_ahead(ps: PatientSeries, position: int | None, today: date, ctx: Context) -> int | None:
    """7.1: skip target doses not needed at the assessment date."""
    while position is not None and position < len(ps.targets):
        target = ps.targets[position]
        if target.status == "not-satisfied" and not can_skip(
            target.dose,
            "forecast",
            today,
            patient=ctx.patient,
            series=ps,
            prior=ps.doses,
            completed_groups=ctx.completed_groups,
        ):
            return position
        if target.status == "not-satisfied":
            target.status = "skipped"
        position += 1
    return None


def has_immunity(antigen: Antigen, patient: Patient) -> bool:
    """Table 7-3."""
    codes = {o.code for o in patient.observations}
    immunity = antigen.immunity
    if codes & immunity.guideline_codes:
        return True
    if immunity.birth_before is None or patient.birth_date >= immunity.birth_before:
        return False
    if codes & immunity.exclusion_codes:
        return False
    return not immunity.birth_country or patient.birth_country == immunity.birth_country


def _in_age(c_begin: date | None, c_end: date | None, today: date) -> bool:
    return (c_begin is None or c_begin <= today) and (c_end is None or today < c_end)


def _antigen_contraindicated(
    contraindications: tuple[Contraindication, ...], patient: Patient, today: date, codes: set[str]
) -> bool:
    """Table 7-5."""
    if not codes:
        return False
    birth = patient.birth_date
    return any(
        not c.vaccines
        and c.code in codes
        and _in_age(
            c.begin_age.add_to(birth) if c.begin_age else None,
            c.end_age.add_to(birth) if c.end_age else None,
            today,
        )
        for c in contraindications
    )


def _vaccine_contraindicated(
    contraindications: tuple[Contraindication, ...], cvx: str, patient: Patient, today: date, codes: set[str]
) -> bool:
    """Table 7-6."""
    if not codes:
        return False
    birth = patient.birth_date
    for c in contraindications:
        if not c.vaccines or c.code not in codes:
            continue
        for v in c.vaccines:
            begin = v.begin_age.add_to(birth) if v.begin_age else None
            end = v.end_age.add_to(birth) if v.end_age else None
            if v.cvx == cvx and _in_age(begin, end, today):
                return True
    return False


def _dates(ps: PatientSeries, position: int, ctx: Context) -> _Dates:
    """FORECASTDTCAN-1 and FORECASTDT-1..6."""
    target = ps.targets[position].dose
    birth, today = ctx.patient.birth_date, ctx.assessment_date
    age = next((a for a in target.ages if a.period.covers(today)), None)
    candidates = [age.min.add_to(birth) if age and age.min else birth]
    earliest_rec: list[date] = []
    latest_rec: list[date] = []
    for interval in target.intervals:
        if not interval.period.covers(today):
            continue
        start = reference_date(interval, ps, ctx.patient, ps.doses)
        if start is None:
            continue
        if interval.min:
            candidates.append(interval.min.add_to(start))
        if interval.earliest_rec:
            earliest_rec.append(interval.earliest_rec.add_to(start))
        if interval.latest_rec:
            latest_rec.append(interval.latest_rec.add_to(start))
    candidates.extend(_conflict_ends(target, ctx))
    if target.season_start:
        candidates.append(target.season_start)
    evaluated = [d.date for d in ps.doses if (v := ps.verdict(d)) and v.target is not None]
    candidates.extend(evaluated[-1:])
    grounded = len(candidates) > 1 or bool(age and age.min)
    earliest = max(candidates)
    if age and age.earliest_rec:
        recommended: date | None = age.earliest_rec.add_to(birth)
    else:
        recommended = max(earliest_rec) if earliest_rec else None
    if age and age.latest_rec:
        past_due: date | None = age.latest_rec.add_to(birth) - _DAY
    else:
        past_due = max(latest_rec) - _DAY if latest_rec else None
    max_age = age.max.add_to(birth) if age and age.max else None
    return _Dates(earliest, recommended, past_due, max_age - _DAY if max_age else None, max_age, grounded)


def _conflict_ends(target: SeriesDose, ctx: Context) -> list[date]:
    """CALCDTCONFLICT-3."""
    ends: list[date] = []
    for cvx in {v.cvx for v in target.preferable}:
        for conflict in ctx.schedule.conflicts.get(cvx, ()):
            ends.extend(
                conflict.end.add_to(d.date) for d in ctx.history.doses if d.cvx == conflict.previous_cvx
            )
    return ends


def _forecast(
    ps: PatientSeries, target: SeriesDose, dates: _Dates, antigen: Antigen, ctx: Context, *, codes: set[str]
) -> Forecast:
    earliest = dates.earliest
    birth = ctx.patient.birth_date
    recommended = max(earliest, dates.recommended) if dates.recommended else earliest
    past_due = max(earliest, dates.past_due) if dates.past_due else None
    vaccines = tuple(
        v.cvx
        for v in target.preferable
        if v.forecast
        and not _vaccine_contraindicated(
            antigen.contraindications, v.cvx, ctx.patient, ctx.assessment_date, codes
        )
        and any(
            (v.begin_age is None or v.begin_age.add_to(birth) <= day)
            and (v.end_age is None or day < v.end_age.add_to(birth))
            for day in (earliest, recommended)
        )
    )
    return Forecast(
        status="not-complete",
        dose_number=_dose_number(ps),
        earliest=earliest,
        recommended=recommended,
        past_due=past_due,
        latest=dates.latest,
        unadjusted_recommended=dates.recommended or earliest,
        unadjusted_past_due=dates.past_due,
        vaccines=vaccines,
    )


def _dose_number(ps: PatientSeries) -> int:
    """FORECASTDN-1."""
    count = 0
    for target in ps.targets:
        if target.status != "satisfied" or target.satisfied_by is None:
            continue
        start = target.dose.season_start
        if start is None or target.satisfied_by.date >= start:
            count += 1
    return count + 1
