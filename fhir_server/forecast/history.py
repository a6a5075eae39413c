"""Organise the immunization history (Logic Specification 4.2): split each dose into its antigens.

Doses the engine cannot use (unknown vaccine, before birth, after the assessment date) are left out with a
warning instead of failing the whole assessment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from fhir_server.definitions.schedule import Schedule
from fhir_server.forecast.model import AdministeredDose, Patient
from fhir_server.forecast.reasons import Reason, reason


@dataclass(frozen=True, slots=True)
class AntigenDose:
    """One antigen of one administered dose; `index` is the dose's place in History.doses."""

    index: int
    dose: AdministeredDose
    antigen: str

    @property
    def date(self) -> date:
        return self.dose.date

    @property
    def cvx(self) -> str:
        return self.dose.cvx


def normalise_cvx(code: str) -> str:
    code = code.strip()
    return (code.lstrip("0") or "0") if code.isdigit() else code


@dataclass(frozen=True, slots=True)
class History:
    doses: tuple[AdministeredDose, ...]  # usable doses, date order, CVX normalised
    by_antigen: Mapping[str, tuple[AntigenDose, ...]]
    warnings: tuple[tuple[str, Reason], ...]  # (dose key, why it was left out)


def organise(
    patient: Patient, doses: Iterable[AdministeredDose], assessment_date: date, schedule: Schedule
) -> History:
    warnings: list[tuple[str, Reason]] = []
    usable: list[AdministeredDose] = []
    for dose in doses:
        cvx = normalise_cvx(dose.cvx)
        if cvx not in schedule.vaccines:
            warnings.append((dose.key, reason("unknown-vaccine")))
        elif dose.date < patient.birth_date:
            warnings.append((dose.key, reason("dose-before-birth")))
        elif dose.date > assessment_date:
            warnings.append((dose.key, reason("dose-after-assessment")))
        else:
            usable.append(dose if cvx == dose.cvx else _with_cvx(dose, cvx))
    usable.sort(key=lambda d: d.date)  # stable: same-day doses keep the caller's order
    by_antigen: dict[str, list[AntigenDose]] = {}
    for index, dose in enumerate(usable):
        for association in schedule.vaccines[dose.cvx].associations:
            if association.begin_age and dose.date < association.begin_age.add_to(patient.birth_date):
                continue
            if association.end_age and dose.date >= association.end_age.add_to(patient.birth_date):
                continue
            by_antigen.setdefault(association.antigen, []).append(
                AntigenDose(index, dose, association.antigen)
            )
    return History(tuple(usable), {k: tuple(v) for k, v in by_antigen.items()}, tuple(warnings))


def _with_cvx(dose: AdministeredDose, cvx: str) -> AdministeredDose:
    return AdministeredDose(dose.key, dose.date, cvx, dose.mvx, dose.trade_name, dose.substandard)
