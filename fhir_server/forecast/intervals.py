"""Reference dates of intervals (CALCDTINT-1, -2, -8, -9), shared by evaluation and forecasting."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from fhir_server.definitions.schedule import AllowableInterval, Interval
from fhir_server.forecast.history import AntigenDose
from fhir_server.forecast.model import Patient
from fhir_server.forecast.patient_series import PatientSeries


def reference_date(
    interval: Interval | AllowableInterval, ps: PatientSeries, patient: Patient, prior: Sequence[AntigenDose]
) -> date | None:
    """The date an interval counts from, or None when it does not apply yet (e.g. no previous dose)."""
    if interval.from_previous:
        for dose in reversed(
            prior
        ):  # CALCDTINT-1: the last dose that was Valid or Not Valid, not inadvertent
            verdict = ps.verdict(dose)
            if verdict and verdict.status in ("valid", "not-valid") and not verdict.inadvertent:
                return dose.date
        return None
    if interval.from_target_dose is not None:  # CALCDTINT-2
        wanted = interval.from_target_dose - 1
        if wanted < len(ps.targets) and (satisfied := ps.targets[wanted].satisfied_by) is not None:
            return satisfied.date
        return None
    if isinstance(interval, Interval) and interval.from_most_recent:  # CALCDTINT-8
        for dose in reversed(prior):
            verdict = ps.verdict(dose)
            if dose.cvx in interval.from_most_recent and not (verdict and verdict.inadvertent):
                return dose.date
        return None
    if isinstance(interval, Interval) and interval.from_observation:  # CALCDTINT-9
        dates = [o.date for o in patient.observations if o.code == interval.from_observation and o.date]
        return max(dates) if dates else None
    return None
