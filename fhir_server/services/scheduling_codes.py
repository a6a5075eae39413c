"""Canonical URLs and code systems of the appointment and reminder features (docs/appointments.md)."""

from __future__ import annotations

from typing import Any

from fhir_server.types import JsonResource

VACCINE_SYSTEM = "https://fhir.vn/CodeSystem/vn-vaccine"
PROGRAM_SYSTEM = "https://fhir.vn/CodeSystem/vaccination-program"  # EPI (free) | service (paid)

# R4 Slot has no capacity: how many children one slot takes (valuePositiveInt; absent = 1).
CAPACITY_URL = "https://fhir.vn/StructureDefinition/slot-capacity"
# When the child arrived at the session (valueDateTime): the queue's order.
ARRIVAL_URL = "https://fhir.vn/StructureDefinition/appointment-arrival"
# On RelatedPerson (or on one of its telecom ContactPoints): valueBoolean true = send no SMS.
SMS_OPT_OUT_URL = "https://fhir.vn/StructureDefinition/sms-opt-out"
# Outbox bookkeeping on Communication: attempts made (valueUnsignedInt), next attempt (valueInstant),
# last gateway error (valueString, no personal data).
ATTEMPTS_URL = "https://fhir.vn/StructureDefinition/delivery-attempts"
NEXT_ATTEMPT_URL = "https://fhir.vn/StructureDefinition/delivery-next-attempt"
LAST_ERROR_URL = "https://fhir.vn/StructureDefinition/delivery-last-error"
MESSAGE_KEY_SYSTEM = "https://fhir.vn/sid/reminder-key"  # identifier: the reminder's idempotency key

# Appointments that hold a place in their slot.
ACTIVE_APPOINTMENT = ("proposed", "pending", "booked", "arrived", "fulfilled", "checked-in", "waitlist")


def extension_value(resource: JsonResource, url: str) -> Any:
    """The value[x] of the first extension with `url`, or None."""
    for extension in resource.get("extension", ()):
        if extension.get("url") == url:
            for key, value in extension.items():
                if key.startswith("value"):
                    return value
    return None


def with_extension(resource: JsonResource, url: str, key: str, value: Any) -> JsonResource:
    """A copy of `resource` whose extension `url` is set to {key: value} (replacing an earlier one)."""
    others = [e for e in resource.get("extension", ()) if e.get("url") != url]
    return {**resource, "extension": [*others, {"url": url, key: value}]}


def reference_id(reference: Any, resource_type: str) -> str | None:
    """`Patient/1` -> "1" when the reference names a `resource_type`; None otherwise."""
    text = reference.get("reference") if isinstance(reference, dict) else None
    if not isinstance(text, str) or not text.startswith(f"{resource_type}/"):
        return None
    return text.split("/")[1]
