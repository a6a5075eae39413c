"""Recall lists: the children of a commune overdue for any dose of their stored recommendation, with
the mother's phone and the last reminder sent, as CSV rows for staff who call or visit families.

The recommendation the forecast keeps per child follows the national EPI schedule, so its overdue doses
are EPI doses. Entry point `overdue` (user/Patient.s, ImmunizationRecommendation.s, RelatedPerson.s,
Communication.s for the commune's staff).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from fhir_server.services.due_doses import RecommendationReader
from fhir_server.services.reminders import phone_of
from fhir_server.services.resource_finder import ResourceFinder
from fhir_server.types import JsonResource

COLUMNS = (
    "patient_id",
    "child_name",
    "birth_date",
    "overdue",
    "overdue_since",
    "mother",
    "phone",
    "last_contact",
)


@dataclass(frozen=True, slots=True)
class RecallRow:
    patient_id: str
    child_name: str
    birth_date: str
    overdue: str  # dose labels, "; "-separated
    overdue_since: str  # the oldest overdue date
    mother: str
    phone: str
    last_contact: str  # when the last SMS to the family was sent, "" if never


def _name(resource: JsonResource) -> str:
    name = (resource.get("name") or [{}])[0]
    return str(name.get("text") or " ".join([name.get("family", ""), *name.get("given", ())]).strip())


class RecallList:
    def __init__(self, finder: ResourceFinder, recommendations: RecommendationReader) -> None:
        self._finder = finder
        self._recommendations = recommendations

    def overdue(self, commune: str, day: date) -> Iterator[RecallRow]:
        for patient in self._finder.iterate("Patient", [("address-city", commune)]):
            found = self._recommendations.for_patient(patient["id"]) or []
            # EPI doses only: paid ones are the family's choice
            doses = [d for d in found if d.epi and d.overdue_on(day)]
            if not doses:
                continue
            mothers = self._finder.all("RelatedPerson", [("patient", f"Patient/{patient['id']}")])
            mother = next((m for m in mothers if phone_of(m)), mothers[0] if mothers else None)
            sent = [
                str(c.get("sent"))
                for c in self._finder.all("Communication", [("subject", f"Patient/{patient['id']}")])
                if c.get("sent")
            ]
            since = min((d.overdue or day) for d in doses)
            yield RecallRow(
                patient["id"],
                _name(patient),
                str(patient.get("birthDate", "")),
                "; ".join(d.label for d in doses),
                since.isoformat(),
                _name(mother) if mother else "",
                (phone_of(mother) or "") if mother else "",
                max(sent, default=""),
            )


def to_csv(rows: Iterator[RecallRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([getattr(row, column) for column in COLUMNS])
    return out.getvalue()
