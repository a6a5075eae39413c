"""`$defaulters`: the children under an age in an area who are overdue for a dose, by commune, with the
doses and how many days overdue (issue 10 item 3), for the recall list.

Read by search, never recomputed: the stored ImmunizationRecommendations (kept up to date per child by
the forecast) whose `recommendation.forecastStatus` is `overdue` (R4 search parameter `status`), of
children of the area's stations born after `date - age` months. Only those (the defaulters) are read
in full, to pair each overdue recommendation with its vaccine, dose number and dates; when a child has
several stored recommendations the latest (`date`) is used.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import orjson

from fhir_server.model.outcome import FhirError
from fhir_server.operations.coverage_data import BATCH, CoverageData, org_batches
from fhir_server.operations.indicators import add_months
from fhir_server.services.conditions import Conditions
from fhir_server.storage.base import Store
from fhir_server.types import JsonResource

FORECAST_STATUS = "http://terminology.hl7.org/CodeSystem/immunization-recommendation-status"
DUE_DATE = "30980-7"  # LOINC: date vaccine due
OVERDUE_DATE = "59778-1"  # LOINC: date when overdue for immunization


@dataclass(frozen=True, slots=True)
class OverdueDose:
    vaccine: str  # text or first coding's display/code
    dose: str  # doseNumber as written ("" when absent)
    due: date | None
    days_overdue: int | None  # from the overdue date if given, else from the due date


@dataclass(frozen=True, slots=True)
class Defaulter:
    patient: str
    unit: str  # sub-unit (commune) Location id
    birth: date
    doses: tuple[OverdueDose, ...]


def _criterion(recommendation: JsonResource, code: str) -> date | None:
    for criterion in recommendation.get("dateCriterion", []):
        if any(c.get("code") == code for c in criterion.get("code", {}).get("coding", [])):
            try:
                return date.fromisoformat(str(criterion.get("value", ""))[:10])
            except ValueError:
                return None
    return None


def _vaccine(recommendation: JsonResource) -> str:
    concepts = [*recommendation.get("vaccineCode", []), recommendation.get("targetDisease") or {}]
    for concept in concepts:
        if concept.get("text"):
            return str(concept["text"])
        for coding in concept.get("coding", []):
            return str(coding.get("display") or coding.get("code") or "")
    return ""


def overdue_doses(resource: JsonResource, on: date) -> tuple[OverdueDose, ...]:
    out: list[OverdueDose] = []
    for rec in resource.get("recommendation", []):
        codes = {c.get("code") for c in rec.get("forecastStatus", {}).get("coding", [])}
        if "overdue" not in codes:
            continue
        due = _criterion(rec, DUE_DATE)
        since = _criterion(rec, OVERDUE_DATE) or due
        dose = rec.get("doseNumberPositiveInt", rec.get("doseNumberString", ""))
        out.append(OverdueDose(_vaccine(rec), str(dose), due, None if since is None else (on - since).days))
    return tuple(out)


class Defaulters:
    def __init__(self, store: Store, conditions: Conditions, data: CoverageData) -> None:
        self._store = store
        self._conditions = conditions
        self._data = data

    def find(self, params: Mapping[str, str], today: date) -> list[Defaulter]:
        area_ref = params.get("area", "").strip()
        if not area_ref:
            raise FhirError.of(
                400, "invalid", "The parameter 'area' is required", "Cần tham số 'area'", "area"
            )
        age = params.get("age-max", "24")
        if not age.isdigit() or not 0 < int(age) <= 240:
            raise FhirError.of(
                400, "invalid", "'age-max' is a number of months (1-240)",
                "'age-max' là số tháng tuổi (1-240)", "age-max",
            )  # fmt: skip
        try:
            on = date.fromisoformat(params["date"]) if params.get("date") else today
        except ValueError:
            raise FhirError.of(
                400, "invalid", "'date' must be a date", "'date' phải là ngày", "date"
            ) from None
        area = self._data.area(area_ref)
        if not area.unit_of_org:
            return []
        born_after = add_months(on, -int(age))
        patients: dict[str, dict[str, list[str | int | float]]] = {}
        rows: dict[str, dict[str, list[str | int | float]]] = {}
        for orgs in org_batches(area):  # a search takes at most 100 ORed values
            request = self._conditions.from_params(
                "Patient", [("organization", orgs), ("birthdate", f"gt{born_after.isoformat()}")]
            )
            for id, param, value in self._store.column_values(request, ("organization", "birthdate")):
                patients.setdefault(id, {}).setdefault(param, []).append(value)
        # The children's overdue recommendations, by patient reference (an index seek per child; a chain
        # through patient.organization would scan the area's recommendations).
        ids = sorted(patients)
        for start in range(0, len(ids), BATCH):
            refs = ",".join(f"Patient/{id}" for id in ids[start : start + BATCH])
            recommendations = self._conditions.from_params(
                "ImmunizationRecommendation",
                [("status", f"{FORECAST_STATUS}|overdue,overdue"), ("patient", refs)],
            )
            for id, param, value in self._store.column_values(recommendations, ("patient", "date")):
                rows.setdefault(id, {}).setdefault(param, []).append(value)
        latest: dict[str, tuple[int, str]] = {}  # patient -> (recommendation date, recommendation id)
        for id, values in rows.items():
            when = int(values.get("date", [0])[0])
            for patient in values.get("patient", ()):
                if (when, id) > latest.get(str(patient), (-1, "")):
                    latest[str(patient)] = (when, id)
        out: list[Defaulter] = []
        for patient, (_, rec_id) in latest.items():
            stored = self._store.read("ImmunizationRecommendation", rec_id)
            if stored is None or stored.deleted or patient not in patients:
                continue
            values = patients[patient]
            doses = overdue_doses(orjson.loads(stored.body), on)  # stored, valid: strings and dates only
            if not doses:
                continue
            org = next((str(o) for o in values.get("organization", ()) if str(o) in area.unit_of_org), "")
            birth = self._data.day(values["birthdate"][0])
            out.append(Defaulter(patient, area.unit_of_org.get(org, ""), birth, doses))
        return sorted(out, key=lambda d: (d.unit, -max(x.days_overdue or 0 for x in d.doses), d.patient))


def to_parameters(defaulters: list[Defaulter]) -> JsonResource:
    parameter: list[JsonResource] = []
    for d in defaulters:
        parts: list[JsonResource] = [
            {"name": "patient", "valueReference": {"reference": f"Patient/{d.patient}"}},
            {"name": "area", "valueReference": {"reference": f"Location/{d.unit}"}},
            {"name": "birthDate", "valueDate": d.birth.isoformat()},
        ]
        for dose in d.doses:
            dose_parts: list[JsonResource] = [{"name": "vaccine", "valueString": dose.vaccine or "?"}]
            if dose.dose:
                dose_parts.append({"name": "doseNumber", "valueString": dose.dose})
            if dose.due:
                dose_parts.append({"name": "dueDate", "valueDate": dose.due.isoformat()})
            if dose.days_overdue is not None:
                dose_parts.append({"name": "daysOverdue", "valueInteger": dose.days_overdue})
            parts.append({"name": "overdue", "part": dose_parts})
        parameter.append({"name": "defaulter", "part": parts})
    return {"resourceType": "Parameters", **({"parameter": parameter} if parameter else {})}


def to_csv(defaulters: list[Defaulter]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["area", "patient", "birth_date", "vaccine", "dose", "due_date", "days_overdue"])
    for d in defaulters:
        for dose in d.doses:
            due = dose.due.isoformat() if dose.due else ""
            days = "" if dose.days_overdue is None else dose.days_overdue
            writer.writerow([d.unit, d.patient, d.birth.isoformat(), dose.vaccine, dose.dose, due, days])
    return out.getvalue()
