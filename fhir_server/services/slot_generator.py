"""Publish a vaccination point's sessions: one Schedule per (Location, programme) and its Slots, made
from a weekly template, public holidays left out.

Ids are deterministic (`sched-<location>-<programme>`, `slot-<location>-<programme>-<yyyymmddhhmm>`), so
running the generator twice over the same weeks writes nothing new and never touches a booked slot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from fhir_server.model.json import loads
from fhir_server.model.outcome import FhirError
from fhir_server.services.crud import ResourceService
from fhir_server.services.holidays import is_public_holiday
from fhir_server.services.scheduling_codes import CAPACITY_URL, PROGRAM_SYSTEM, VACCINE_SYSTEM
from fhir_server.storage.base import Store
from fhir_server.types import JsonResource

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class Session:
    weekday: int  # 0 = Monday
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class WeeklyTemplate:
    sessions: tuple[Session, ...]
    slot_minutes: int
    capacity: int  # children per slot
    vaccines: tuple[str, ...]  # codes of https://fhir.vn/CodeSystem/vn-vaccine
    program: str  # "EPI" or "service"

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WeeklyTemplate:
        """`{"sessions": [{"weekday": "tue", "start": "07:30", "end": "11:00"}], "slotMinutes": 15,
        "capacity": 6, "vaccines": ["VN-MRVAC"], "program": "EPI"}`"""
        try:
            sessions = tuple(
                Session(
                    _WEEKDAYS.index(str(s["weekday"]).lower()[:3]),
                    time.fromisoformat(s["start"]),
                    time.fromisoformat(s["end"]),
                )
                for s in data["sessions"]
            )
            template = cls(
                sessions,
                int(data.get("slotMinutes", 15)),
                int(data.get("capacity", 1)),
                tuple(str(v) for v in data.get("vaccines", ())),
                str(data.get("program", "EPI")),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise ValueError(f"bad weekly template: {exc}") from exc
        if template.slot_minutes <= 0 or template.capacity <= 0 or not sessions:
            raise ValueError("bad weekly template: sessions, slotMinutes > 0 and capacity > 0 are needed")
        if template.program not in ("EPI", "service"):
            raise ValueError("bad weekly template: program is EPI or service")
        return template


@dataclass(frozen=True, slots=True)
class GenerationResult:
    schedule_id: str
    created: int
    existing: int
    holidays_skipped: tuple[date, ...]


def service_types(vaccines: Iterable[str]) -> list[JsonResource]:
    return [{"coding": [{"system": VACCINE_SYSTEM, "code": code}]} for code in vaccines]


class SlotGenerator:
    """Entry point `generate` (scope: user/Schedule.c user/Slot.c, for the Location's organisation)."""

    def __init__(self, store: Store, resources: ResourceService, zone: tzinfo) -> None:
        self._store = store
        self._resources = resources
        self._zone = zone

    def generate(
        self,
        location_id: str,
        template: WeeklyTemplate,
        first: date,
        last: date,
        *,
        extra_closed: frozenset[date] = frozenset(),
    ) -> GenerationResult:
        location = self._store.read("Location", location_id)
        if location is None or location.deleted:
            raise FhirError.of(
                404,
                "not-found",
                f"Location/{location_id} is not known",
                f"Không tìm thấy Location/{location_id}",
            )
        program = template.program.lower()
        schedule_id = f"sched-{location_id}-{program}"
        schedule = self._schedule(schedule_id, location_id, template, first, last)
        slots, skipped = [], []
        day = first
        while day <= last:
            if is_public_holiday(day) or day in extra_closed:
                if any(s.weekday == day.weekday() for s in template.sessions):
                    skipped.append(day)
            else:
                slots.extend(self._slots_of_day(day, location_id, schedule_id, template))
            day += timedelta(days=1)
        slots = [self._resources.validate("Slot", slot) for slot in slots]  # before the writer lock
        created = existing = 0
        with self._store.unit_of_work() as uow:
            current = uow.read("Schedule", schedule_id)
            if current is not None and not current.deleted:
                # widen the planning horizon, keep everything else the operator may have edited
                schedule = _widened(current.body, first, last)
            self._resources.store_version(uow, self._resources.validate("Schedule", schedule), "PUT")
            for slot in slots:
                found = uow.read("Slot", slot["id"])
                if found is not None and not found.deleted:
                    existing += 1
                    continue
                self._resources.store_version(uow, slot, "PUT")
                created += 1
        return GenerationResult(schedule_id, created, existing, tuple(skipped))

    def _schedule(
        self, schedule_id: str, location_id: str, template: WeeklyTemplate, first: date, last: date
    ) -> JsonResource:
        return {
            "resourceType": "Schedule",
            "id": schedule_id,
            "active": True,
            "serviceCategory": [{"coding": [{"system": PROGRAM_SYSTEM, "code": template.program}]}],
            "serviceType": service_types(template.vaccines),
            "actor": [{"reference": f"Location/{location_id}"}],
            "planningHorizon": {"start": first.isoformat(), "end": (last + timedelta(days=1)).isoformat()},
        }

    def _slots_of_day(
        self, day: date, location_id: str, schedule_id: str, template: WeeklyTemplate
    ) -> list[JsonResource]:
        slots = []
        step = timedelta(minutes=template.slot_minutes)
        for session in template.sessions:
            if session.weekday != day.weekday():
                continue
            start = datetime.combine(day, session.start, self._zone)
            end_of_session = datetime.combine(day, session.end, self._zone)
            while start + step <= end_of_session:
                stamp = start.strftime("%Y%m%d%H%M")
                slots.append(
                    {
                        "resourceType": "Slot",
                        "id": f"slot-{location_id}-{template.program.lower()}-{stamp}",
                        "extension": [{"url": CAPACITY_URL, "valuePositiveInt": template.capacity}],
                        "serviceCategory": [
                            {"coding": [{"system": PROGRAM_SYSTEM, "code": template.program}]}
                        ],
                        "serviceType": service_types(template.vaccines),
                        "schedule": {"reference": f"Schedule/{schedule_id}"},
                        "status": "free",
                        "start": start.isoformat(timespec="seconds"),
                        "end": (start + step).isoformat(timespec="seconds"),
                    }
                )
                start += step
        return slots


def _widened(body: bytes, first: date, last: date) -> JsonResource:
    schedule: JsonResource = loads(body)
    horizon = schedule.get("planningHorizon", {})
    start = min(horizon.get("start", first.isoformat())[:10], first.isoformat())
    end = max(horizon.get("end", last.isoformat())[:10], (last + timedelta(days=1)).isoformat())
    schedule["planningHorizon"] = {"start": start, "end": end}
    schedule.pop("meta", None)
    return schedule
