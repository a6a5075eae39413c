"""`$find-slots`: the nearest free slots for the vaccines a child is due for, same commune first.

"Nearby" uses what the registry knows without maps: vaccination points whose address has the child's
commune (`address.city`) come first, then those of the same province (`address.state`). Within a rank,
the earliest slot wins. A slot fits when it offers one of the child's open doses (Slot.serviceType) and
starts on or after that dose's earliest date. Entry point `find` (patient|user/Slot.s + Patient.r).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from fhir_server.services.crud import ResourceService
from fhir_server.services.due_doses import DoseRecommendation, RecommendationReader
from fhir_server.services.resource_finder import ResourceFinder
from fhir_server.types import JsonResource

MAX_POINTS = 20  # per rank: a commune has one station, a province some hundreds


@dataclass(frozen=True, slots=True)
class SlotChoice:
    slot: JsonResource
    location: JsonResource
    same_commune: bool
    doses: tuple[str, ...]  # labels of the doses this slot can give


def _codes(slot: JsonResource) -> set[tuple[str, str]]:
    return {
        (str(c.get("system", "")), str(c.get("code", "")))
        for concept in slot.get("serviceType", ())
        for c in concept.get("coding", ())
    }


class SlotFinder:
    def __init__(
        self, resources: ResourceService, finder: ResourceFinder, recommendations: RecommendationReader
    ) -> None:
        self._resources = resources
        self._finder = finder
        self._recommendations = recommendations

    def find(self, patient_id: str, start: date, *, days: int = 28, count: int = 5) -> list[SlotChoice]:
        patient = self._finder.read("Patient", patient_id)
        if patient is None:
            self._resources.read("Patient", patient_id)  # raises 404 / 410
            return []
        doses = [d for d in (self._recommendations.for_patient(patient_id) or []) if d.open]
        address = (patient.get("address") or [{}])[0]
        choices: list[SlotChoice] = []
        seen: set[str] = set()
        for same_commune, param, value in (
            (True, "address-city", address.get("city")),
            (False, "address-state", address.get("state")),
        ):
            if not value:
                continue
            points = [p for p in self._finder.all("Location", [(param, value)]) if p["id"] not in seen][
                :MAX_POINTS
            ]
            for point in points:
                seen.add(point["id"])
                choices += self._at(point, same_commune, doses, start, days)
            if len(choices) >= count:
                break
        choices.sort(key=lambda c: (not c.same_commune, datetime.fromisoformat(c.slot["start"]).timestamp()))
        return choices[:count]

    def _at(
        self, point: JsonResource, same_commune: bool, doses: list[DoseRecommendation], start: date, days: int
    ) -> list[SlotChoice]:
        slots = self._finder.iterate(
            "Slot",
            [
                ("schedule.actor", f"Location/{point['id']}"),
                ("status", "free"),
                ("start", f"ge{start.isoformat()}"),
                ("start", f"lt{(start + timedelta(days=days)).isoformat()}"),
            ],
        )
        found = []
        for slot in slots:
            day = date.fromisoformat(str(slot["start"])[:10])
            offered = self._recommendations.expand(_codes(slot))
            fitting = tuple(
                d.label for d in doses if d.matches(offered) and (d.earliest is None or d.earliest <= day)
            )
            if fitting or not doses:
                found.append(SlotChoice(slot, point, same_commune, fitting))
        return found
