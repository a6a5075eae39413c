"""Forecasts for a child: the engine run over FHIR input (DESIGN.md §4 "A forecast", §9).

`ForecastService.assess` is the one entry point of `$immds-forecast` (system and instance level): an access
policy check belongs at its top. `stored_history` reads a stored child; `RecommendationRefresher`
(services/recommendations.py) uses the same service to keep each child's ImmunizationRecommendation current.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from fhir_server.definitions.programmes import Programmes
from fhir_server.definitions.schedule import Schedule
from fhir_server.forecast import fhir_adapter
from fhir_server.forecast.engine import assess
from fhir_server.forecast.history import normalise_cvx
from fhir_server.forecast.reasons import Reason
from fhir_server.model.json import loads
from fhir_server.model.outcome import FhirError, Issue
from fhir_server.services.access import OPEN_ACCESS, Access
from fhir_server.services.conditions import Conditions
from fhir_server.storage.base import Store
from fhir_server.types import JsonResource

_PAGE = 500
_OLDEST = 130  # years: an older birth date is taken for a typing error


@dataclass(frozen=True, slots=True)
class ForecastResult:
    evaluations: list[JsonResource]
    recommendation: JsonResource
    warnings: list[Issue]  # input that was left out or is doubtful (returned as the `outcome` parameter)


@dataclass(frozen=True, slots=True)
class DoseSource:
    """An Immunization given to the engine: where it is (a FHIRPath for warnings) and how to cite it."""

    expression: str  # e.g. "Parameters.parameter[2].resource" or "Immunization/123"
    reference: str | None  # "Immunization/123", None for an unsaved resource without id
    resource: JsonResource


@dataclass(frozen=True, slots=True)
class History:
    """A stored child: the Patient and their completed Immunizations."""

    patient: JsonResource
    immunizations: list[DoseSource]


class ForecastService:
    def __init__(
        self,
        store: Store,
        conditions: Conditions,
        schedule: Schedule,
        programmes: Programmes,
        national_systems: Mapping[str, str],
    ) -> None:
        self._store = store
        self._conditions = conditions
        self._schedule = schedule
        self._programmes = programmes
        self._national = national_systems

    @property
    def schedule_name(self) -> str:
        return self._schedule.name

    def assess(
        self,
        patient: JsonResource,
        immunizations: Sequence[DoseSource],
        assessment_date: date,
        *,
        patient_ref: str,
        recommendation_id: str | None = None,
    ) -> ForecastResult:
        """Evaluate and forecast: the one entry point of `$immds-forecast` (an access policy goes here).
        Input problems become warnings, never errors, except a patient without a full birth date (422)."""
        person = fhir_adapter.patient_of(patient)
        if person is None:
            raise FhirError.of(
                422,
                "required",
                "The patient needs a full birthDate (YYYY-MM-DD) for a forecast",
                "Cần ngày sinh đầy đủ (YYYY-MM-DD) của bệnh nhân để dự báo lịch tiêm",
                "Patient.birthDate",
            )
        warnings = list(_age_warnings(person.birth_date, assessment_date))
        doses = []
        sources = ((source.expression, source.resource) for source in immunizations)
        for item in fhir_adapter.doses_of(sources, self._schedule.vaccines):
            if item.dose is None:
                assert item.problem is not None
                warnings.append(_warning(item.problem, item.key))
            else:
                doses.append(item.dose)
        result = assess(person, doses, assessment_date, self._schedule)
        warnings.extend(_warning(why, key) for key, why in result.dose_warnings)
        references = {s.expression: s.reference for s in immunizations if s.reference}
        notes = {
            group.vaccine_group: self._programme_note(group.vaccine_group, assessment_date)
            for group in result.vaccine_groups
        }
        return ForecastResult(
            fhir_adapter.evaluations(result, patient_ref, references),
            fhir_adapter.recommendation(
                result,
                patient_ref,
                references,
                national_systems=self._national,
                programme_notes={k: v for k, v in notes.items() if v},
                resource_id=recommendation_id,
            ),
            warnings,
        )

    def vaccine_groups_of(self, system: str, code: str) -> frozenset[str]:
        """The schedule's vaccine groups a vaccine covers, whatever code names it: a national product
        (VN-MRVAC -> Measles, Rubella) or CVX (03 -> Measles, Mumps, Rubella); empty when unknown. This
        is how an Appointment's or a Slot's vaccines meet the stored recommendation's targetDisease."""
        del system  # national product codes and CVX codes do not collide in the schedule's table
        vaccine = self._schedule.vaccines.get(normalise_cvx(code))
        if vaccine is None:
            return frozenset()
        groups = (self._schedule.group_of_antigen(a.antigen) for a in vaccine.associations)
        return frozenset(g for g in groups if g)

    def _programme_note(self, vaccine_group: str, day: date) -> str:
        """EPI (free) or service (paid) on the assessment date, with the instrument in force."""
        if not self._programmes.instruments:
            return ""
        if self._programmes.programme_of(vaccine_group, day) == "epi":
            instrument = self._programmes.instrument_on(day)
            title = f" ({instrument.title})" if instrument else ""
            return f"EPI, free / Tiêm chủng mở rộng, miễn phí{title}"
        return "service, paid / tiêm dịch vụ, có phí"

    def stored_history(self, patient_id: str, access: Access = OPEN_ACCESS) -> History:
        """The stored Patient (404/410 if absent or outside what `access` may read) and their completed
        Immunizations (as `access` may search them)."""
        stored = self._store.read("Patient", patient_id)
        if stored is None or stored.deleted:
            raise FhirError.of(
                410 if stored is not None else 404,
                "deleted" if stored is not None else "not-found",
                f"Patient/{patient_id} is not known here",
                f"Không tìm thấy Patient/{patient_id}",
            )
        access.check_read(stored)
        return History(loads(stored.body), list(self._immunizations(patient_id, access)))

    def _immunizations(self, patient_id: str, access: Access = OPEN_ACCESS) -> Iterator[DoseSource]:
        # status is filtered by the adapter (only `completed` counts): a status criterion doubles the read
        request = self._conditions.from_params("Immunization", [("patient", f"Patient/{patient_id}")])
        request = access.narrow(replace(request, count=_PAGE))
        while True:
            page = self._store.search(request, with_total=False)
            for stored in page.resources:
                reference = f"Immunization/{stored.id}"
                yield DoseSource(reference, reference, loads(stored.body))
            if page.next_cursor is None or not page.resources:
                return
            request = replace(request, cursor=page.next_cursor)

    def for_stored(self, patient_id: str, assessment_date: date) -> ForecastResult:
        history = self.stored_history(patient_id)
        return self.assess(
            history.patient,
            history.immunizations,
            assessment_date,
            patient_ref=f"Patient/{patient_id}",
            recommendation_id=recommendation_id(patient_id),
        )


def recommendation_id(patient_id: str) -> str:
    """One stored ImmunizationRecommendation per child, at a known id (ids are at most 64 characters)."""
    return f"rec-{patient_id}"[:64]


def _warning(reason: Reason, key: str) -> Issue:
    return Issue("business-rule", reason.en, reason.vi, (key,), "warning")


def _age_warnings(birth: date, today: date) -> Iterator[Issue]:
    if birth > today:
        yield Issue(
            "business-rule",
            "The birth date is after the assessment date; no dose can be due yet",
            "Ngày sinh sau ngày đánh giá; chưa có mũi tiêm nào đến hạn",
            ("Patient.birthDate",),
            "warning",
        )
    elif today.year - birth.year > _OLDEST:
        yield Issue(
            "business-rule",
            f"The patient would be over {_OLDEST} years old; check the birth date",
            f"Bệnh nhân sẽ trên {_OLDEST} tuổi; hãy kiểm tra ngày sinh",
            ("Patient.birthDate",),
            "warning",
        )


def params_of(result: ForecastResult) -> dict[str, Any]:
    """The operation's output Parameters (the `outcome` part only when there are warnings)."""
    parameter: list[JsonResource] = [{"name": "evaluation", "resource": e} for e in result.evaluations]
    parameter.append({"name": "recommendation", "resource": result.recommendation})
    if result.warnings:
        parameter.append(
            {
                "name": "outcome",
                "resource": {
                    "resourceType": "OperationOutcome",
                    "issue": [w.to_json() for w in result.warnings],
                },
            }
        )
    return {"resourceType": "Parameters", "parameter": parameter}
