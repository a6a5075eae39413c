"""The audit trail (DESIGN.md §8): one AuditEvent per FHIR request that reads or changes records — refused
ones (401/403) included — built from what the api layer saw, and written by a background writer.

Writes are batched: the writer thread takes what is queued (up to BATCH events, waiting at most
FLUSH_SECONDS after the first) and stores it in one unit of work, separate from the request's own, so
an audit write never holds up or rolls back the interaction. `close()` drains the queue (the app's
shutdown), so events are durable on an orderly stop; a crash loses at most the last few milliseconds.
AuditEvents are the place for personal data (who, which patient); the log never gets any.
"""

from __future__ import annotations

import base64
import logging
import queue
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from auth.verify import Principal
from fhir_server.model.bundle import instant
from fhir_server.search.extract import Extractor
from fhir_server.services.audit_index import audit_index
from fhir_server.services.disclosure import Disclosure
from fhir_server.storage.base import Store
from fhir_server.types import Clock, JsonResource

log = logging.getLogger("fhir_server.audit")

BATCH: Final = 200
MAX_PATIENTS: Final = 50  # patients named one by one in an event; beyond, a count
FLUSH_SECONDS: Final = 0.005
_DICOM = "http://dicom.nema.org/resources/ontology/DCM"
_ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
_REST = {
    "system": "http://terminology.hl7.org/CodeSystem/audit-event-type",
    "code": "rest",
    "display": "RESTful Operation",
}
_INTERACTION = "http://hl7.org/fhir/restful-interaction"
_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
_CLIENT_ID = "urn:ietf:params:oauth:client-id"
_OUTCOME_FAILURE_MINOR, _OUTCOME_FAILURE_SERIOUS = "4", "8"


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """What the api layer saw of one request."""

    method: str
    path: str  # relative to the FHIR base, without the query: "Immunization/1", "Patient/9/Immunization"
    query: str  # the raw query string (goes base64-encoded into entity.query, never to a log)
    status: int
    principal: Principal | None
    address: str | None
    location: str | None = None  # a create's Location: the new resource
    failure: str | None = None  # why it was refused (401/403), for outcomeDesc
    login: bool = False  # a refused sign-in or token request at the authorization server (path: its URL)
    disclosure: Disclosure | None = None  # what the services touched (services.disclosure)
    # What an event recorded after the request says it is about (a finished $export job): an entity.
    work: tuple[str, str] | None = None  # (name, description)


def describe(method: str, path: str) -> tuple[str, str]:
    """(restful-interaction code, AuditEvent.action) of a request to `path` under the FHIR base."""
    parts = [p for p in path.split("/") if p]
    if (parts and parts[-1].startswith("$")) or any(p.startswith("$") for p in parts):
        return "operation", "E"
    if not parts:
        return ("transaction", "E") if method == "POST" else ("search-system", "E")
    if parts[0] == "_history":
        return "history-system", "R"
    if method == "POST":
        return ("search-type", "E") if parts[-1] == "_search" else ("create", "C")
    if method in ("PUT",):
        return "update", "U"
    if method == "PATCH":
        return "patch", "U"
    if method == "DELETE":
        return "delete", "D"
    if len(parts) == 1:
        return "search-type", "E"
    if parts[1] == "_history":
        return "history-type", "R"
    if len(parts) == 2:
        return "read", "R"
    if len(parts) == 3 and parts[2] == "_history":
        return "history-instance", "R"
    if len(parts) == 4 and parts[2] == "_history":
        return "vread", "R"
    return "search-type", "E"  # compartment search Patient/1/Immunization


def audit_event(record: AuditRecord, recorded: datetime, server: str, id: str) -> JsonResource:
    """An R4 AuditEvent (type rest, subtype the interaction) for `record`."""
    if record.login:
        return _login_event(record, recorded, server, id)
    code, action = describe(record.method, record.path)
    outcome = (
        "0"
        if record.status < 400
        else (_OUTCOME_FAILURE_MINOR if record.status < 500 else _OUTCOME_FAILURE_SERIOUS)
    )
    event: JsonResource = {
        "resourceType": "AuditEvent",
        "id": id,
        "type": _REST,
        "subtype": [{"system": _INTERACTION, "code": code}],
        "action": action,
        "recorded": instant(recorded),
        "outcome": outcome,
        "agent": _agents(record),
        "source": {
            "site": server,
            "observer": {"display": server},
            "type": [{"system": "http://terminology.hl7.org/CodeSystem/security-source-type", "code": "4"}],
        },
    }
    if outcome != "0":
        event["outcomeDesc"] = record.failure or f"HTTP {record.status}"
    entities = _entities(record, code)
    if entities:
        event["entity"] = entities
    return event


def _login_event(record: AuditRecord, recorded: datetime, server: str, id: str) -> JsonResource:
    """DICOM "User Authentication" / "Login", failed. The attempted username and client stay unrecorded:
    they are in the form body, which the door does not read (the authorization server does)."""
    return {
        "resourceType": "AuditEvent",
        "id": id,
        "type": {"system": _DICOM, "code": "110114", "display": "User Authentication"},
        "subtype": [{"system": _DICOM, "code": "110122", "display": "Login"}],
        "action": "E",
        "recorded": instant(recorded),
        "outcome": _OUTCOME_FAILURE_MINOR,
        "outcomeDesc": f"{record.path} refused (HTTP {record.status})",
        "agent": _agents(record),
        "source": {"site": server, "observer": {"display": server}},
    }


def _agents(record: AuditRecord) -> list[JsonResource]:
    p = record.principal
    agent: JsonResource = {"requestor": True}
    network = {"address": record.address, "type": "2"} if record.address else None
    if p is None:
        agent["who"] = {"display": "anonymous"}
    else:
        who = p.fhir_user or p.organization
        if who and "/" in who:
            agent["who"] = {"reference": who.rsplit("/", 2)[-2] + "/" + who.rsplit("/", 1)[-1]}
        else:
            agent["who"] = {"identifier": {"system": _CLIENT_ID, "value": p.client_id}}
        agent["altId"] = p.subject
        if p.role:
            agent["type"] = {"text": p.role}
        if p.practitioner_role:
            agent["role"] = [{"text": p.practitioner_role}]
    if network:
        agent["network"] = network
    agents = [agent]
    if p is not None and "who" in agent and "reference" in agent["who"]:  # the app or system that called
        agents.append(
            {"requestor": False, "who": {"identifier": {"system": _CLIENT_ID, "value": p.client_id}}}
        )
    return agents


def _entities(record: AuditRecord, code: str) -> list[JsonResource]:
    parts = [p for p in record.path.split("/") if p]
    entities: list[JsonResource] = []
    target = None
    if record.location:
        target = "/".join(record.location.split("/_history/")[0].rsplit("/", 2)[-2:])
    elif len(parts) >= 2 and not parts[1].startswith(("_", "$")):
        target = f"{parts[0]}/{parts[1]}"
    if target:
        entities.append({"what": {"reference": target}, "type": {"system": _ENTITY_TYPE, "code": "2"}})
    form = record.disclosure.form if record.disclosure else None
    query = "&".join(q for q in (record.query, form) if q)  # POST _search: URL query, then the body
    if code.startswith("search") or query:
        entity: JsonResource = {"type": {"system": _ENTITY_TYPE, "code": "2"}}
        if parts and not parts[0].startswith("_"):
            entity["description"] = parts[-1] if parts[-1] != "_search" else parts[0]
        if query:
            entity["query"] = base64.b64encode(query.encode()).decode()
        entities.append(entity)
    if record.work is not None:
        name, description = record.work
        entities.append(
            {"type": {"system": _ENTITY_TYPE, "code": "2"}, "name": name, "description": description}
        )
    entities += _patients(record, parts)
    return entities


def _patients(record: AuditRecord, parts: list[str]) -> list[JsonResource]:
    """One entity per patient whose data the request touched (MAX_PATIENTS of them, then one entity
    with the count): the token's launch patient, the URL's, and those of the resources read, returned
    or written."""
    named: dict[str, None] = {}
    if record.principal is not None and record.principal.patient:
        named[record.principal.patient] = None
    if len(parts) >= 2 and parts[0] == "Patient" and not parts[1].startswith(("_", "$")):
        named[parts[1]] = None
    if record.disclosure is not None:
        named.update(dict.fromkeys(record.disclosure.patients()))
    patients = list(named)
    total = max(len(patients), record.disclosure.patient_count if record.disclosure is not None else 0)
    entities: list[JsonResource] = [
        {
            "what": {"reference": f"Patient/{patient}"},
            "type": {"system": _ENTITY_TYPE, "code": "1"},
            "role": {"system": _ROLE, "code": "1", "display": "Patient"},
        }
        for patient in patients[:MAX_PATIENTS]
    ]
    incomplete = record.disclosure is not None and record.disclosure.incomplete
    if total > MAX_PATIENTS or incomplete:
        more = "at least " if incomplete else ""
        entities.append(
            {
                "type": {"system": _ENTITY_TYPE, "code": "1"},
                "role": {"system": _ROLE, "code": "1", "display": "Patient"},
                "description": f"{more}{total} patients; the first {MAX_PATIENTS} are named",
                "detail": [{"type": "patient-count", "valueString": f"{more}{total}"}],
            }
        )
    return entities


class AuditTrail:
    """Queue + writer thread. `record()` costs a queue put on the request path; the event is built, indexed
    and stored in the writer thread."""

    def __init__(
        self,
        store: Store,
        extractor: Extractor,
        clock: Clock,
        server: str,
        id_factory: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self._store = store
        self._extractor = extractor
        self._clock = clock
        self._server = server
        self._new_id = id_factory
        self._queue: queue.Queue[tuple[AuditRecord, datetime] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._idle = threading.Condition()
        self._pending = 0
        self._started = False
        self._closed = False
        self.written = 0

    def record(self, record: AuditRecord) -> None:
        """Queues `record`; its AuditEvent is built and stored by the writer thread, off the request."""
        if self._closed:
            return
        event = (record, self._clock.now())
        with self._idle:
            self._pending += 1
            if not self._started:
                self._started = True
                self._thread.start()
        self._queue.put(event)

    def flush(self, timeout: float = 10.0) -> None:
        """Blocks until every event recorded so far is stored (tests, shutdown)."""
        with self._idle:
            self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self) -> None:
        self.flush()
        self._closed = True
        if self._started:
            self._queue.put(None)
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            try:
                while len(batch) < BATCH:
                    item = self._queue.get(timeout=FLUSH_SECONDS)
                    if item is None:
                        self._queue.put(None)
                        break
                    batch.append(item)
            except queue.Empty:
                pass
            self._write(batch)

    def _write(self, batch: list[tuple[AuditRecord, datetime]]) -> None:
        try:
            events = [audit_event(record, at, self._server, self._new_id()) for record, at in batch]
            rows = [(event, audit_index(event, self._extractor)) for event in events]  # no FHIRPath
            with self._store.unit_of_work() as uow:
                for event, index in rows:
                    uow.write(event, index, method="POST")
            self.written += len(batch)
        except Exception as error:
            log.error("audit batch not stored", extra={"error": type(error).__name__, "events": len(batch)})
        finally:
            with self._idle:
                self._pending -= len(batch)
                self._idle.notify_all()
