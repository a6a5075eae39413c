"""Forecasts for a child: the engine run over FHIR input (DESIGN.md §4 "A forecast", §9).

`ForecastService.assess` is the one entry point of `$immds-forecast` (system and instance level): an access
policy check belongs at its top. `stored_history` reads a stored child; `RecommendationRefresher`
(services/recommendations.py) uses the same service to keep each child's ImmunizationRecommendation current.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
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
from fhir_server.search.request import ReferenceQuery, SearchRequest
from fhir_server.services.access import OPEN_ACCESS, Access
from fhir_server.services.conditions import Conditions
from fhir_server.storage.base import Store, StoredResource
from fhir_server.types import JsonResource

_PAGE = 500
_MANY_PAGE = 2000
_VALUES = 100
# Where a child's clinical facts are, by type (all three have the R4 search parameter `patient`)
CLINICAL_TYPES = ("Condition", "Observation", "AllergyIntolerance")
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
    """A stored child: the Patient, their Immunizations and their clinical facts (Condition, Observation,
    AllergyIntolerance: the CDSi observations they map to)."""

    patient: JsonResource
    immunizations: list[DoseSource]
    clinical: list[JsonResource] = field(default_factory=list)


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
        self._templates: dict[str, SearchRequest] = {}

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
        clinical: Sequence[tuple[str, JsonResource]] = (),
        with_evaluations: bool = True,
    ) -> ForecastResult:
        """Evaluate and forecast: the one entry point of `$immds-forecast` (an access policy goes here).
        Input problems become warnings, never errors, except a patient without a full birth date (422).
        `clinical`: (FHIRPath, Condition | Observation | AllergyIntolerance) whose codes the schedule maps
        to CDSi observations (indications, contraindications, evidence of immunity)."""
        observations = fhir_adapter.observations_of(clinical, self._schedule.observation_codes)
        person = fhir_adapter.patient_of(patient, observations)
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
            fhir_adapter.evaluations(result, patient_ref, references) if with_evaluations else [],
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
        # status is filtered by the adapter (only `completed` counts): a status criterion doubles the read
        immunizations = [
            DoseSource(f"Immunization/{s.id}", f"Immunization/{s.id}", loads(s.body))
            for s in self._about(("Immunization",), [patient_id], access, _PAGE)
        ]
        clinical = [
            loads(s.body) for s in self._about(CLINICAL_TYPES, [patient_id], access, _PAGE, optional=True)
        ]
        return History(loads(stored.body), immunizations, clinical)

    def stored_histories(self, patient_ids: Sequence[str]) -> dict[str, History]:
        """Several stored children at once (bulk refresh): one search per resource type for all of them
        (`patient=Patient/a,Patient/b,...`) instead of one per child. Children not stored are left out."""
        histories: dict[str, History] = {}
        for patient_id in patient_ids:
            stored = self._store.read("Patient", patient_id)
            if stored is not None and not stored.deleted:
                histories[patient_id] = History(loads(stored.body), [], [])
        if not histories:
            return histories
        found = list(histories)
        for start in range(0, len(found), _VALUES):  # 100 values per search, as a client may send
            references = found[start : start + _VALUES]
            for stored in self._about(("Immunization",), references, OPEN_ACCESS, _MANY_PAGE):
                body = loads(stored.body)
                history = histories.get(subject_id_of(body) or "")
                if history is not None:
                    reference = f"Immunization/{stored.id}"
                    history.immunizations.append(DoseSource(reference, reference, body))
            for stored in self._about(CLINICAL_TYPES, references, OPEN_ACCESS, _MANY_PAGE):
                body = loads(stored.body)
                history = histories.get(subject_id_of(body) or "")
                if history is not None:
                    history.clinical.append(body)
        return histories

    def _about(
        self,
        resource_types: Sequence[str],
        patients: Sequence[str],
        access: Access,
        count: int,
        *,
        optional: bool = False,
    ) -> Iterator[StoredResource]:
        """Every resource of these types whose `patient` is one of `patients` (ids). `optional`: a type the
        caller may not search at all (403) is left out instead of failing the whole request."""
        for resource_type in resource_types:
            request = replace(self._patient_request(resource_type, patients), count=count)
            try:
                request = access.narrow(request)
            except FhirError as error:
                if optional and error.status == 403:
                    continue  # e.g. a parent's token without Condition scopes: forecast without them
                raise
            while True:
                page = self._store.search(request, with_total=False)
                yield from page.resources
                if page.next_cursor is None or not page.resources:
                    break
                request = replace(request, cursor=page.next_cursor)

    def _patient_request(self, resource_type: str, patients: Sequence[str]) -> SearchRequest:
        """`patient=Patient/a,Patient/b,...`, parsed once per type (parsing cost as much as the search
        on the after-write path, which runs four of them per write)."""
        template = self._templates.get(resource_type)
        if template is None:
            template = self._conditions.from_params(resource_type, [("patient", "Patient/x")])
            self._templates[resource_type] = template
        criterion = template.criteria[0]
        values = tuple(ReferenceQuery("Patient", patient_id, None) for patient_id in patients)
        return replace(template, criteria=(replace(criterion, values=values),))

    def for_history(self, patient_id: str, history: History, assessment_date: date) -> ForecastResult:
        """The stored recommendation of a child (`rec-<id>`) from their stored history."""
        return self.assess(
            history.patient,
            history.immunizations,
            assessment_date,
            patient_ref=f"Patient/{patient_id}",
            recommendation_id=recommendation_id(patient_id),
            clinical=clinical_sources(history.clinical),
            with_evaluations=False,  # only the recommendation is stored
        )

    def for_stored(self, patient_id: str, assessment_date: date) -> ForecastResult:
        return self.for_history(patient_id, self.stored_history(patient_id), assessment_date)


def clinical_sources(resources: Sequence[JsonResource]) -> list[tuple[str, JsonResource]]:
    return [(f"{r.get('resourceType')}/{r.get('id')}", r) for r in resources]


def subject_id_of(resource: Mapping[str, Any]) -> str | None:
    """The child a resource is about: `patient` (Immunization, AllergyIntolerance) or `subject` (Condition,
    Observation); `Patient/123` or `https://host/fhir/Patient/123` (a local absolute reference) -> `123`."""
    for name in ("patient", "subject"):
        element = resource.get(name)
        reference = element.get("reference") if isinstance(element, dict) else None
        if isinstance(reference, str):
            parts = reference.rstrip("/").split("/")
            if len(parts) >= 2 and parts[-2] == "Patient":
                return parts[-1]
    return None


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
