"""Delivering the reminder Communications: the FHIR store is the outbox.

A Communication in `preparation` whose next-attempt time has come is claimed (status `in-progress`,
attempts + 1, next attempt = now + lease) in one unit of work, then sent with its id as the
idempotency key, then recorded: `completed` (+ `sent`), or back to `preparation` with an exponential
backoff, or `stopped` (dead letter) after `max_attempts` failures or a permanent refusal. A process that
dies between sending and recording leaves the message `in-progress`; once its lease expires it is sent
again with the same key. The guarantee is at-least-once towards the gateway, exactly-once to the phone
when the gateway dedupes on the key. Mothers who opted out since the reminder was made get `not-done`.
Entry point `dispatch` (system/Communication.u + RelatedPerson.r).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fhir_server.model.json import loads
from fhir_server.services.crud import ResourceService
from fhir_server.services.reminders import QuietHours, phone_of
from fhir_server.services.resource_finder import ResourceFinder
from fhir_server.services.scheduling_codes import (
    ATTEMPTS_URL,
    LAST_ERROR_URL,
    NEXT_ATTEMPT_URL,
    extension_value,
    reference_id,
    with_extension,
)
from fhir_server.services.sms_gateways import GatewayError, OutgoingSms, SmsGateway
from fhir_server.storage.base import Store
from fhir_server.types import Clock, JsonResource

log = logging.getLogger("fhir_server.outbox")


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    max_attempts: int = 5
    backoff: timedelta = timedelta(seconds=60)
    lease: timedelta = timedelta(seconds=300)


@dataclass(slots=True)
class DispatchReport:
    sent: int = 0
    retrying: int = 0
    dead: int = 0
    not_done: int = 0
    quiet: bool = False


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _due(message: JsonResource, now: datetime) -> bool:
    when = extension_value(message, NEXT_ATTEMPT_URL)
    return not isinstance(when, str) or datetime.fromisoformat(when.replace("Z", "+00:00")) <= now


class Dispatcher:
    def __init__(
        self,
        store: Store,
        resources: ResourceService,
        finder: ResourceFinder,
        gateway: SmsGateway,
        *,
        clock: Clock,
        quiet: QuietHours,
        policy: DeliveryPolicy,
    ) -> None:
        self._store = store
        self._resources = resources
        self._finder = finder
        self._gateway = gateway
        self._clock = clock
        self._quiet = quiet
        self._policy = policy

    def dispatch(self, limit: int = 1000) -> DispatchReport:
        report = DispatchReport()
        now = self._clock.now()
        if self._quiet.next_allowed(now) != now:
            report.quiet = True
            return report
        waiting = self._finder.iterate("Communication", [("status", "preparation,in-progress")])
        ready = [m["id"] for m in waiting if _due(m, now)][:limit]
        for message_id in ready:
            claimed = self._claim(message_id)
            if claimed is not None:
                self._deliver(claimed, report)
        return report

    def _claim(self, message_id: str) -> JsonResource | None:
        """Take the message for this process (another may have taken or finished it meanwhile)."""
        now = self._clock.now()
        with self._store.unit_of_work() as uow:
            stored = uow.read("Communication", message_id)
            if stored is None or stored.deleted:
                return None
            message = loads(stored.body)
            if message.get("status") not in ("preparation", "in-progress") or not _due(message, now):
                return None
            message.pop("meta", None)
            attempts = int(extension_value(message, ATTEMPTS_URL) or 0) + 1
            message = with_extension(message, ATTEMPTS_URL, "valueUnsignedInt", attempts)
            message = with_extension(
                message, NEXT_ATTEMPT_URL, "valueInstant", _instant(now + self._policy.lease)
            )
            message["status"] = "in-progress"
            self._resources.store_version(uow, message, "PUT", if_match=stored.version)
            return message

    def _deliver(self, message: JsonResource, report: DispatchReport) -> None:
        recipient = next(
            (r for r in (reference_id(x, "RelatedPerson") for x in message.get("recipient", ())) if r), None
        )
        person = self._finder.read("RelatedPerson", recipient) if recipient else None
        phone = phone_of(person) if person else None
        text = next(
            (p.get("contentString") for p in message.get("payload", ()) if p.get("contentString")), None
        )
        if phone is None or not text:
            report.not_done += 1
            self._record(message, "not-done", reason="opted out or no phone")
            return
        try:
            self._gateway.send(OutgoingSms(message["id"], phone, text))
        except GatewayError as error:
            attempts = int(extension_value(message, ATTEMPTS_URL) or 1)
            if error.permanent or attempts >= self._policy.max_attempts:
                report.dead += 1
                self._record(message, "stopped", reason=error.reason)
            else:
                report.retrying += 1
                delay = self._policy.backoff * (2 ** (attempts - 1))
                self._record(message, "preparation", reason=error.reason, retry_at=self._clock.now() + delay)
            log.info("sms not accepted", extra={"reason": error.reason, "attempts": attempts})
            return
        report.sent += 1
        self._record(message, "completed")

    def _record(
        self,
        message: JsonResource,
        status: str,
        *,
        reason: str | None = None,
        retry_at: datetime | None = None,
    ) -> None:
        with self._store.unit_of_work() as uow:
            stored = uow.read("Communication", message["id"])
            if stored is None or stored.deleted:
                return
            current = loads(stored.body)
            current.pop("meta", None)
            if current.get("status") == "completed":
                return  # another process recorded the same delivery (lease expired while we were sending)
            current["status"] = status
            if status == "completed":
                current["sent"] = _instant(self._clock.now())
            if status == "not-done":
                current["statusReason"] = {"text": reason}
            if reason is not None:
                current = with_extension(current, LAST_ERROR_URL, "valueString", reason)
            if retry_at is not None:
                current = with_extension(current, NEXT_ATTEMPT_URL, "valueInstant", _instant(retry_at))
            self._resources.store_version(uow, current, "PUT", if_match=stored.version)
