"""What the engine takes and gives back: patient facts, administered doses, evaluations and forecasts.

Everything here is frozen and plain so `$immds-forecast` and the stored ImmunizationRecommendation can map
it to FHIR without knowing the engine's working state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from fhir_server.forecast.reasons import Reason

Sex = Literal["female", "male", "unknown"]
EvaluationStatus = Literal["valid", "not-valid", "extraneous", "sub-standard"]
SeriesStatus = Literal["not-complete", "complete", "immune", "contraindicated", "aged-out", "not-recommended"]
SeriesKind = Literal["standard", "risk", "evaluation-only"]


@dataclass(frozen=True, slots=True)
class PatientObservation:
    """A CDSi observation code (indication, contraindication, evidence of immunity) known for the patient."""

    code: str
    date: date | None = None


@dataclass(frozen=True, slots=True)
class Patient:
    birth_date: date
    sex: Sex = "unknown"
    observations: tuple[PatientObservation, ...] = ()
    birth_country: str = ""


@dataclass(frozen=True, slots=True)
class AdministeredDose:
    """One vaccine dose given; `key` is the caller's handle (e.g. the Immunization id), echoed back."""

    key: str
    date: date
    cvx: str
    mvx: str = ""
    trade_name: str = ""
    substandard: bool = False  # expired lot, recalled, cold-chain break ... (6.1)


@dataclass(frozen=True, slots=True)
class DoseEvaluation:
    """The verdict on one administered dose for one antigen in the series that counted."""

    key: str
    date: date
    cvx: str
    antigen: str
    series: str
    status: EvaluationStatus
    target_dose: int | None  # the series dose it was weighed against (1-based); None if extraneous
    reasons: tuple[Reason, ...] = ()
    series_doses: int | None = None  # doses in the series (ImmunizationEvaluation.seriesDoses)


@dataclass(frozen=True, slots=True)
class Forecast:
    """A patient series forecast, or a vaccine group forecast blended from them (dates None when not due)."""

    status: SeriesStatus
    dose_number: int | None = None
    earliest: date | None = None
    recommended: date | None = None
    past_due: date | None = None
    latest: date | None = None
    unadjusted_recommended: date | None = None
    unadjusted_past_due: date | None = None
    vaccines: tuple[str, ...] = ()  # recommended CVX codes
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True, slots=True)
class SeriesResult:
    """A best patient series of one antigen: its evaluations and forecast."""

    antigen: str
    series: str
    kind: SeriesKind
    vaccine_group: str
    target_disease: str
    evaluations: tuple[DoseEvaluation, ...]
    forecast: Forecast
    series_doses: int = 0  # doses in the series, recurring doses counted once


@dataclass(frozen=True, slots=True)
class VaccineGroupResult:
    """What a nurse sees for one vaccine group (e.g. DTaP/Tdap/Td): the doses and what is due next."""

    vaccine_group: str
    kind: SeriesKind
    forecast: Forecast
    antigens: tuple[SeriesResult, ...]
    evaluations: tuple[DoseEvaluation, ...]  # one per dose of the group, blended over its antigens
    age_to_start_reached: bool = (
        True  # False e.g. for an adult series of a child (minimum age to start ahead)
    )


@dataclass(frozen=True, slots=True)
class Assessment:
    assessment_date: date
    schedule: str
    vaccine_groups: tuple[VaccineGroupResult, ...]
    warnings: tuple[Reason, ...] = field(default=())
    dose_warnings: tuple[tuple[str, Reason], ...] = field(default=())  # (dose key, why it was left out)

    def groups(self, name: str) -> list[VaccineGroupResult]:
        """Every forecast of a vaccine group (one per series group, e.g. standard and risk)."""
        return [result for result in self.vaccine_groups if result.vaccine_group == name]
