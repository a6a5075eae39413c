"""`$immds-forecast` (ImmDS IG): parameters checked against
conformance/operations/OperationDefinition-immds-forecast.json, then one call to `ForecastService.assess`.

- System level, `POST [base]/$immds-forecast`: Parameters with assessmentDate, patient (a Patient resource),
  immunization* (Immunization resources) and, our addition, condition*, observation*, allergyIntolerance*
  (the child's clinical facts, mapped to CDSi observations: indications, contraindications, immunity).
- Instance level, `GET|POST [base]/Patient/[id]/$immds-forecast`: assessmentDate in the query or a
  Parameters body; the stored patient, their stored completed Immunizations and their stored Conditions,
  Observations and AllergyIntolerances are used.
Out: Parameters with evaluation* (ImmunizationEvaluation), recommendation (ImmunizationRecommendation) and,
when the input had problems, `outcome` (an OperationOutcome of warnings: a local addition, not in the IG).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from fhir_server.definitions.operations import OperationDefinition, OperationParameter
from fhir_server.model.outcome import FhirError
from fhir_server.services.access import OPEN_ACCESS, Access
from fhir_server.services.forecasts import DoseSource, ForecastService, clinical_sources, params_of
from fhir_server.types import JsonResource

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The child's clinical facts (our addition to the IG's parameters): their codes become CDSi observations
CLINICAL_PARAMETERS = (
    ("condition", "Condition"),
    ("observation", "Observation"),
    ("allergyIntolerance", "AllergyIntolerance"),
)


class ImmdsForecast:
    def __init__(
        self,
        definition: OperationDefinition,
        forecasts: ForecastService,
        validate: Callable[[str, Any], JsonResource],
    ) -> None:
        self._definition = definition
        self._inputs = definition.inputs()
        self._forecasts = forecasts
        self._validate = validate  # ResourceService.validate: (resource type, body) -> the validated resource

    def system(self, body: Any) -> JsonResource:
        parts = self._parts(body)
        if "patient" not in parts:
            raise _bad("Missing parameter 'patient'", "Thiếu tham số 'patient'", "Parameters.parameter")
        (patient_index, patient_part), *_ = parts["patient"]
        patient = self._resource(patient_part, "Patient", patient_index)
        immunizations = [
            DoseSource(
                f"Parameters.parameter[{index}].resource",
                f"Immunization/{resource['id']}" if resource.get("id") else None,
                resource,
            )
            for index, part in parts.get("immunization", [])
            if (resource := self._resource(part, "Immunization", index))
        ]
        clinical = [
            (f"Parameters.parameter[{index}].resource", resource)
            for name, resource_type in CLINICAL_PARAMETERS
            for index, part in parts.get(name, [])
            if (resource := self._resource(part, resource_type, index))
        ]
        patient_ref = f"Patient/{patient['id']}" if patient.get("id") else "Patient"
        result = self._forecasts.assess(
            patient, immunizations, _assessment_date(parts), patient_ref=patient_ref, clinical=clinical
        )
        return params_of(result)

    def instance(
        self,
        patient_id: str,
        query: Sequence[tuple[str, str]],
        body: Any | None,
        access: Access = OPEN_ACCESS,
    ) -> JsonResource:
        if body is not None:
            parts = self._parts(body)
            for name in ("patient", "immunization", *(name for name, _ in CLINICAL_PARAMETERS)):
                if name in parts:
                    index = parts[name][0][0]
                    raise _bad(
                        f"Parameter '{name}' is not allowed at instance level: the stored record is used",
                        f"Không dùng tham số '{name}' ở mức bản ghi: hồ sơ đã lưu được sử dụng",
                        f"Parameters.parameter[{index}]",
                    )
        else:
            parts = self._query_parts(query)
        history = self._forecasts.stored_history(patient_id, access)
        result = self._forecasts.assess(
            history.patient,
            history.immunizations,
            _assessment_date(parts),
            patient_ref=f"Patient/{patient_id}",
            clinical=clinical_sources(history.clinical),
        )
        return params_of(result)

    # -- checks against the OperationDefinition ----------------------------------------------------

    def _parts(self, body: Any) -> dict[str, list[tuple[int, JsonResource]]]:
        if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
            raise _bad("The body must be a Parameters resource", "Nội dung phải là tài nguyên Parameters", "")
        parts: dict[str, list[tuple[int, JsonResource]]] = {}
        raw = body.get("parameter", [])
        if not isinstance(raw, list):
            raise _bad(
                "Parameters.parameter must be an array", "parameter phải là một mảng", "Parameters.parameter"
            )
        for index, part in enumerate(raw):
            name = part.get("name") if isinstance(part, dict) else None
            where = f"Parameters.parameter[{index}]"
            spec = self._inputs.get(name) if isinstance(name, str) else None
            if spec is None:
                raise _bad(f"Unknown parameter {name!r}", f"Tham số không hợp lệ {name!r}", f"{where}.name")
            _check_type(spec, part, where)
            parts.setdefault(spec.name, []).append((index, part))
        self._check_counts(parts)
        return parts

    def _query_parts(self, query: Sequence[tuple[str, str]]) -> dict[str, list[tuple[int, JsonResource]]]:
        parts: dict[str, list[tuple[int, JsonResource]]] = {}
        for index, (name, value) in enumerate(query):
            if name in ("_format", "_pretty"):
                continue
            spec = self._inputs.get(name)
            if spec is None or spec.type[:1].isupper():  # a resource cannot travel in a query string
                raise _bad(
                    f"Unknown query parameter {name!r}", f"Tham số truy vấn không hợp lệ {name!r}", name
                )
            parts.setdefault(name, []).append((index, {"name": name, _value_key(spec): value}))
        self._check_counts(parts)
        return parts

    def _check_counts(self, parts: dict[str, list[tuple[int, JsonResource]]]) -> None:
        for spec in self._inputs.values():
            found = len(parts.get(spec.name, ()))
            if found < spec.min and spec.name != "patient":  # patient: required at system level only
                raise _bad(f"Missing parameter '{spec.name}'", f"Thiếu tham số '{spec.name}'", spec.name)
            if not spec.many and found > int(spec.max):
                raise _bad(
                    f"Parameter '{spec.name}' may appear at most {spec.max} time(s)",
                    f"Tham số '{spec.name}' chỉ được xuất hiện tối đa {spec.max} lần",
                    spec.name,
                )

    def _resource(self, part: JsonResource, resource_type: str, index: int) -> JsonResource:
        try:
            return self._validate(resource_type, part["resource"])
        except FhirError as error:  # say where in the Parameters the invalid resource was
            where = f"Parameters.parameter[{index}].resource"
            issues = [
                replace(
                    i, expression=tuple(f"{where}.{e.split('.', 1)[-1]}" for e in i.expression) or (where,)
                )
                for i in error.issues
            ]
            raise FhirError(error.status, issues, error.headers) from None


def _inside(where: str, expressions: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"{where}.{e.split('.', 1)[-1]}" for e in expressions) or (where,)


def _value_key(spec: OperationParameter) -> str:
    return "value" + spec.type[:1].upper() + spec.type[1:]


def _check_type(spec: OperationParameter, part: JsonResource, where: str) -> None:
    if spec.type[:1].isupper():
        resource = part.get("resource")
        if not isinstance(resource, dict) or resource.get("resourceType") != spec.type:
            raise _bad(
                f"Parameter '{spec.name}' must carry a {spec.type} resource",
                f"Tham số '{spec.name}' phải chứa tài nguyên {spec.type}",
                f"{where}.resource",
            )
    elif _value_key(spec) not in part:
        raise _bad(
            f"Parameter '{spec.name}' must have {_value_key(spec)}",
            f"Tham số '{spec.name}' phải có {_value_key(spec)}",
            where,
        )


def _assessment_date(parts: dict[str, list[tuple[int, JsonResource]]]) -> date:
    _, part = parts["assessmentDate"][0]
    value = part.get("valueDate")
    if not isinstance(value, str) or not _DATE.match(value):
        raise _bad(
            "assessmentDate must be a full date (YYYY-MM-DD)",
            "assessmentDate phải là ngày đầy đủ (YYYY-MM-DD)",
            "assessmentDate",
        )
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _bad(
            f"assessmentDate {value!r} is not a calendar date",
            f"assessmentDate {value!r} không phải là ngày hợp lệ",
            "assessmentDate",
        ) from None


def _bad(en: str, vi: str, expression: str) -> FhirError:
    return FhirError.of(400, "invalid", en, vi, expression or None)
