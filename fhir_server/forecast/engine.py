"""The CDSi engine's one entry point: `assess(patient, doses, assessment_date, schedule)`.

Pure: no I/O, no clock (the assessment date is an argument). Steps follow the Logic Specification v4.6
processing model (ch. 4): organise the history, create the relevant patient series, evaluate and forecast
each, select the best series per antigen, then blend them per vaccine group.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date

from fhir_server.definitions.schedule import Schedule
from fhir_server.forecast.best_series import best_series
from fhir_server.forecast.evaluation import Context, evaluate_series
from fhir_server.forecast.forecasting import forecast_series
from fhir_server.forecast.history import organise
from fhir_server.forecast.model import AdministeredDose, Assessment, Patient, VaccineGroupResult
from fhir_server.forecast.patient_series import PatientSeries, is_relevant
from fhir_server.forecast.reasons import Reason
from fhir_server.forecast.vaccine_group import group_results


def assess(
    patient: Patient,
    doses: Iterable[AdministeredDose],
    assessment_date: date,
    schedule: Schedule,
    vaccine_groups: Collection[str] | None = None,
) -> Assessment:
    """Evaluate every dose and forecast every vaccine group (or only `vaccine_groups`, by schedule name)."""
    history = organise(patient, doses, assessment_date, schedule)
    wanted = [
        g for name, g in schedule.vaccine_groups.items() if vaccine_groups is None or name in vaccine_groups
    ]
    results: list[VaccineGroupResult] = []
    for group in wanted:
        best: list[PatientSeries] = []
        for antigen_name in group.antigens:
            antigen = schedule.antigens.get(antigen_name)
            if antigen is None:
                continue
            doses_of_antigen = history.by_antigen.get(antigen_name, ())
            relevant = [
                PatientSeries.start(s, doses_of_antigen)
                for s in antigen.series
                if is_relevant(s, patient, assessment_date)
            ]
            completed: set[str] = set()
            for ps in sorted(relevant, key=lambda p: p.series.group):
                ctx = Context(patient, history, schedule, assessment_date, frozenset(completed))
                evaluate_series(ps, ctx)
                forecast_series(ps, antigen, ctx)
                if ps.forecast.status == "complete":
                    completed.add(ps.series.group)
            best.extend(best_series(relevant, patient.birth_date))
        results.extend(group_results(group, best, history, patient.birth_date, assessment_date))
    warnings: tuple[Reason, ...] = tuple(dict.fromkeys(r for _, r in history.warnings))
    return Assessment(assessment_date, schedule.name, tuple(results), warnings, history.warnings)
