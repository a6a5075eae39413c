"""The daily reminder run: appointments tomorrow, doses due within N days, doses overdue.

Each reminder becomes a CommunicationRequest (what should be said to whom) and a Communication in
status `preparation` (the outbox entry, services/outbox.py), both addressed to the mother
(RelatedPerson). Their ids derive from a key (kind, child, dose or appointment, date), and both are
written only if the CommunicationRequest does not exist yet: running the job twice sends nothing twice.
Opted-out mothers (extension sms-opt-out) and mothers without a phone get nothing.
Entry point `run` (system/CommunicationRequest.c system/Communication.c + reads).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import partial

from fhir_server.model.outcome import FhirError
from fhir_server.services.crud import ResourceService
from fhir_server.services.due_doses import read_recommendation
from fhir_server.services.resource_finder import ResourceFinder
from fhir_server.services.scheduling_codes import (
    ATTEMPTS_URL,
    MESSAGE_KEY_SYSTEM,
    NEXT_ATTEMPT_URL,
    SMS_OPT_OUT_URL,
    extension_value,
    reference_id,
)
from fhir_server.services.sms_text import SmsText, appointment_text, due_text, overdue_text
from fhir_server.storage.base import Store
from fhir_server.types import Clock, JsonResource

SMS_MEDIUM = {
    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode", "code": "SMSWRIT"}]
}
BATCH = 200  # reminders written per unit of work


@dataclass(frozen=True, slots=True)
class QuietHours:
    start: time  # e.g. 21:00
    end: time  # e.g. 07:00
    zone: tzinfo

    def next_allowed(self, instant: datetime) -> datetime:
        """`instant` itself, or the end of the quiet period it falls in."""
        local = instant.astimezone(self.zone)
        now = local.time()
        quiet = (
            (now >= self.start or now < self.end) if self.start > self.end else self.start <= now < self.end
        )
        if not quiet:
            return instant
        day = local.date() if now < self.end else local.date() + timedelta(days=1)
        return datetime.combine(day, self.end, self.zone).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Reminder:
    key: str
    patient_id: str
    recipient_id: str
    about: str  # reference of the Appointment or ImmunizationRecommendation
    text: SmsText


@dataclass(slots=True)
class ReminderReport:
    created: int = 0
    already_sent: int = 0
    opted_out: int = 0
    no_phone: int = 0
    kinds: dict[str, int] = field(default_factory=dict)


def message_id(prefix: str, key: str) -> str:
    return f"{prefix}-{hashlib.sha256(key.encode()).hexdigest()[:40]}"


def phone_of(person: JsonResource) -> str | None:
    """The mobile (else any) phone, None when absent or opted out."""
    if extension_value(person, SMS_OPT_OUT_URL) is True:
        return None
    phones = [t for t in person.get("telecom", ()) if t.get("system") in ("phone", "sms") and t.get("value")]
    phones = [t for t in phones if extension_value(t, SMS_OPT_OUT_URL) is not True]
    phones.sort(key=lambda t: (t.get("use") != "mobile", t.get("rank", 99)))
    return str(phones[0]["value"]) if phones else None


def opted_out(person: JsonResource) -> bool:
    return extension_value(person, SMS_OPT_OUT_URL) is True or (
        bool(person.get("telecom"))
        and all(extension_value(t, SMS_OPT_OUT_URL) is True for t in person["telecom"])
    )


def short_name(patient: JsonResource) -> str:
    name = (patient.get("name") or [{}])[0]
    given = " ".join(name.get("given", ()))
    return given or name.get("text") or name.get("family") or "con"


class ReminderJob:
    def __init__(
        self,
        store: Store,
        resources: ResourceService,
        finder: ResourceFinder,
        *,
        clock: Clock,
        quiet: QuietHours,
        due_within_days: int = 7,
        overdue_repeat_days: int = 30,
    ) -> None:
        self._store = store
        self._resources = resources
        self._finder = finder
        self._clock = clock
        self._quiet = quiet
        self._due_within = due_within_days
        self._repeat = overdue_repeat_days
        self._places: dict[str, str] = {}
        self._last_family: tuple[str, JsonResource | None, list[JsonResource]] | None = None

    def run(self, day: date) -> ReminderReport:
        report = ReminderReport()
        self._last_family = None  # read afresh each run (a mother may have opted out since)
        batch: list[Reminder] = []
        for reminder in self._reminders(day, report):
            batch.append(reminder)
            if len(batch) >= BATCH:
                self._write(batch, report)
                batch = []
        self._write(batch, report)
        return report

    # -- finding what to say -----------------------------------------------------------------------

    def _reminders(self, day: date, report: ReminderReport) -> Iterator[Reminder]:
        tomorrow = day + timedelta(days=1)
        appointments = self._finder.iterate(
            "Appointment",
            [
                ("date", f"ge{tomorrow.isoformat()}"),
                ("date", f"lt{(tomorrow + timedelta(days=1)).isoformat()}"),
                ("status", "booked"),
            ],
        )
        for appointment in appointments:
            yield from self._for_appointment(appointment, report)
        for recommendation in self._finder.iterate("ImmunizationRecommendation", [], exact_numbers=False):
            yield from self._for_recommendation(recommendation, day, report)

    def _for_appointment(self, appointment: JsonResource, report: ReminderReport) -> Iterator[Reminder]:
        actors = [p.get("actor", {}) for p in appointment.get("participant", ())]
        patient_id = next((i for i in (reference_id(a, "Patient") for a in actors) if i), None)
        location_id = next((i for i in (reference_id(a, "Location") for a in actors) if i), None)
        if patient_id is None:
            return
        place = self._location_name(location_id)
        vaccine = _concept_label(appointment.get("serviceType", ()))
        start = datetime.fromisoformat(appointment["start"]).astimezone(self._quiet.zone)
        yield from self._addressed(
            f"appointment|{appointment['id']}|{appointment['start']}",
            patient_id,
            f"Appointment/{appointment['id']}",
            partial(_appointment, vaccine=vaccine, start=start, place=place),
            report=report,
        )

    def _for_recommendation(
        self, recommendation: JsonResource, day: date, report: ReminderReport
    ) -> Iterator[Reminder]:
        patient_id = reference_id(recommendation.get("patient"), "Patient")
        if patient_id is None:
            return
        about = f"ImmunizationRecommendation/{recommendation['id']}"
        for dose in read_recommendation(recommendation):
            if not dose.epi:
                continue  # paid (service) vaccines are the family's choice: the registry does not chase them
            dose_key = ",".join(sorted(f"{s}|{c}" for s, c in dose.codes))
            label = dose.label
            if dose.overdue_on(day):
                since = dose.overdue or day
                period = (day - since).days // self._repeat
                key = f"overdue|{patient_id}|{dose_key}|{since.isoformat()}|{period}"
                yield from self._addressed(
                    key,
                    patient_id,
                    about,
                    self._at_home(patient_id, partial(_overdue, vaccine=label, since=since)),
                    report=report,
                    kind="overdue",
                )
            elif dose.due_within(day, self._due_within) and dose.due is not None:
                key = f"due|{patient_id}|{dose_key}|{dose.due.isoformat()}"
                yield from self._addressed(
                    key,
                    patient_id,
                    about,
                    self._at_home(patient_id, partial(_due, vaccine=label, due=dose.due)),
                    report=report,
                    kind="due",
                )

    def _addressed(
        self,
        key: str,
        patient_id: str,
        about: str,
        text: Callable[[str], SmsText],
        *,
        report: ReminderReport,
        kind: str = "appointment",
    ) -> Iterator[Reminder]:
        if self._store.read("CommunicationRequest", message_id("rem", key)) is not None:
            report.already_sent += 1  # cheap pre-check; the write re-checks inside its unit of work
            return
        patient, mothers = self._family(patient_id)
        if patient is None:
            return
        if mothers and all(opted_out(m) for m in mothers):
            report.opted_out += 1
            return
        recipient = next((m for m in mothers if phone_of(m)), None)
        if recipient is None:
            report.no_phone += 1
            return
        report.kinds[kind] = report.kinds.get(kind, 0) + 1
        yield Reminder(key, patient_id, recipient["id"], about, text(short_name(patient)))

    def _family(self, patient_id: str) -> tuple[JsonResource | None, list[JsonResource]]:
        """The child and their RelatedPersons (mother first); the last child's are kept, as a child's
        doses come one after the other."""
        if self._last_family is not None and self._last_family[0] == patient_id:
            return self._last_family[1], self._last_family[2]
        patient = self._finder.read("Patient", patient_id)
        mothers = self._finder.all("RelatedPerson", [("patient", f"Patient/{patient_id}")]) if patient else []
        mothers.sort(key=lambda p: not _is_mother(p))
        self._last_family = (patient_id, patient, mothers)
        return patient, mothers

    def _location_name(self, location_id: str | None) -> str:
        location = self._finder.read("Location", location_id) if location_id else None
        return str(location.get("name", "tram y te")) if location else "tram y te"

    def _at_home(self, patient_id: str, text: Callable[..., SmsText]) -> Callable[[str], SmsText]:
        """`text` with the child's home vaccination point, looked up only when the message is made (after
        the already-sent check: a daily run mostly finds its reminders there)."""
        return lambda name: text(name, place=self._home_place(patient_id))

    def _home_place(self, patient_id: str) -> str:
        """The vaccination point of the child's commune (the first Location there), by name."""
        patient = self._family(patient_id)[0] or {}
        commune = str(((patient.get("address") or [{}])[0]).get("city", ""))
        if commune not in self._places:
            found = self._finder.all("Location", [("address-city", commune)])[:1] if commune else []
            self._places[commune] = str(found[0].get("name")) if found else "tram y te xa/phuong"
        return self._places[commune]

    # -- writing -----------------------------------------------------------------------------------

    def _write(self, batch: list[Reminder], report: ReminderReport) -> None:
        if not batch:
            return
        now = self._clock.now()
        send_after = self._quiet.next_allowed(now).astimezone(UTC)
        # Every reminder is built from the same template with values read from stored (validated)
        # resources: the first of each batch is validated — before the writer lock is taken, so bookings
        # do not wait for it — and the others are not (validation was half the run's time).
        prepared = []
        for n, reminder in enumerate(batch):
            request_id = message_id("rem", reminder.key)
            resources = self._resources_of(reminder, request_id, now, send_after)
            if n == 0:
                resources = [self._resources.validate(r["resourceType"], r) for r in resources]
            prepared.append((request_id, resources))
        with self._store.unit_of_work() as uow:
            for request_id, resources in prepared:
                if uow.read("CommunicationRequest", request_id) is not None:
                    report.already_sent += 1
                    continue
                for resource in resources:
                    self._resources.store_version(uow, resource, "PUT")
                report.created += 1

    def _resources_of(
        self, reminder: Reminder, request_id: str, now: datetime, send_after: datetime
    ) -> list[JsonResource]:
        common: JsonResource = {
            "identifier": [{"system": MESSAGE_KEY_SYSTEM, "value": request_id}],
            "subject": {"reference": f"Patient/{reminder.patient_id}"},
            "about": [{"reference": reminder.about}],
            "recipient": [{"reference": f"RelatedPerson/{reminder.recipient_id}"}],
            "medium": [SMS_MEDIUM],
            "payload": [{"contentString": reminder.text.text}],
        }
        request = {
            "resourceType": "CommunicationRequest",
            "id": request_id,
            **common,
            "status": "active",
            "authoredOn": _instant(now),
            "occurrenceDateTime": _instant(send_after),
        }
        message = {
            "resourceType": "Communication",
            "id": message_id("sms", reminder.key),
            "extension": [
                {"url": ATTEMPTS_URL, "valueUnsignedInt": 0},
                {"url": NEXT_ATTEMPT_URL, "valueInstant": _instant(send_after)},
            ],
            **common,
            "basedOn": [{"reference": f"CommunicationRequest/{request_id}"}],
            "status": "preparation",
        }
        return [request, message]


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _is_mother(person: JsonResource) -> bool:
    return any(
        c.get("code") in ("MTH", "NMTH", "MTHF")
        for r in person.get("relationship", ())
        for c in r.get("coding", ())
    )


def _concept_label(concepts: list[JsonResource]) -> str:
    for concept in concepts:
        if concept.get("text"):
            return str(concept["text"])
        for coding in concept.get("coding", ()):
            if coding.get("display") or coding.get("code"):
                return str(coding.get("display") or coding["code"])
    raise FhirError.of(422, "required", "The appointment names no vaccine", "Lịch hẹn không nêu vắc xin")


def _appointment(child: str, *, vaccine: str, start: datetime, place: str) -> SmsText:
    return appointment_text(child, vaccine, start, place)


def _due(child: str, *, vaccine: str, due: date, place: str) -> SmsText:
    return due_text(child, vaccine, due, place)


def _overdue(child: str, *, vaccine: str, since: date, place: str) -> SmsText:
    return overdue_text(child, vaccine, since, place)
