"""A patient series: one antigen series instantiated for one patient (chapter 5), and its working state.

Relevance (5.1): standard and evaluation-only series apply to every patient of a required gender; a risk
series only when one of its indications matches an active observation at the assessment date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from fhir_server.definitions.schedule import AntigenSeries, Indication, SeriesDose
from fhir_server.forecast.history import AntigenDose
from fhir_server.forecast.model import EvaluationStatus, Forecast, Patient
from fhir_server.forecast.reasons import Reason

TargetStatus = Literal["not-satisfied", "satisfied", "skipped"]


@dataclass(slots=True)
class TargetDose:
    dose: SeriesDose
    status: TargetStatus = "not-satisfied"
    satisfied_by: AntigenDose | None = None


@dataclass(slots=True)
class Verdict:
    status: EvaluationStatus
    target: int | None  # index into PatientSeries.targets
    reasons: tuple[Reason, ...] = ()
    inadvertent: bool = False


@dataclass(slots=True)
class PatientSeries:
    series: AntigenSeries
    doses: tuple[AntigenDose, ...]
    targets: list[TargetDose] = field(default_factory=list)
    verdicts: dict[int, Verdict] = field(default_factory=dict)  # by AntigenDose.index
    next_target: int | None = None  # index of the target dose to forecast
    forecast: Forecast = field(default_factory=lambda: Forecast("not-complete"))
    start_known: bool = True  # False when nothing but the birth date bounds the forecast (SELECTB-12/14)

    @classmethod
    def start(cls, series: AntigenSeries, doses: tuple[AntigenDose, ...]) -> PatientSeries:
        return cls(series, doses, [TargetDose(d) for d in series.doses])

    @property
    def valid_count(self) -> int:
        return sum(1 for t in self.targets if t.status == "satisfied")

    def verdict(self, dose: AntigenDose) -> Verdict | None:
        return self.verdicts.get(dose.index)

    def first_valid_date(self) -> date | None:
        dates = [d.date for d in self.doses if (v := self.verdicts.get(d.index)) and v.status == "valid"]
        return min(dates) if dates else None


def indication_applies(indication: Indication, patient: Patient, assessment_date: date) -> bool:
    """Table 5-4."""
    if indication.code not in {o.code for o in patient.observations}:
        return False
    begin = indication.begin_age.add_to(patient.birth_date) if indication.begin_age else date.min
    end = indication.end_age.add_to(patient.birth_date) if indication.end_age else date.max
    return begin <= assessment_date < end


def is_relevant(series: AntigenSeries, patient: Patient, assessment_date: date) -> bool:
    """Table 5-5."""
    if series.required_genders and patient.sex not in series.required_genders:
        return False
    if series.series_type != "risk":
        return True
    return bool(patient.observations) and any(
        indication_applies(i, patient, assessment_date) for i in series.indications
    )
