"""Adverse events following immunization (AEFI, issue 10 item 5): a serious AdverseEvent raises a Flag on
the child's record, kept in step by a write hook inside the same unit of work.

One Flag per AdverseEvent, id `aefi-<AdverseEvent id>`, pointing back to it through the core
`flag-detail` extension: active while the event is an actual, serious one; inactive once it is
downgraded to non-serious, marked potential, or deleted. The Flag's history keeps every change.
"""

from __future__ import annotations

from fhir_server.model.json import loads
from fhir_server.search.extract import Extractor
from fhir_server.storage.base import StoredResource, UnitOfWork
from fhir_server.types import JsonResource

SERIOUSNESS = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
NON_SERIOUS = "non-serious"
# R4 adverse-event-seriousness: everything but "non-serious" is serious.
SERIOUS_CODES = (
    "serious", "SeriousResultsInDeath", "SeriousIsLifeThreatening", "SeriousResultsInHospitalization",
    "SeriousResultsInDisability", "SeriousIsBirthDefect", "SeriousRequiresPreventImpairment",
)  # fmt: skip
FLAG_CODE_SYSTEM = "https://fhir.vn/CodeSystem/flag"
FLAG_DETAIL = "http://hl7.org/fhir/StructureDefinition/flag-detail"


def is_serious(event: JsonResource) -> bool:
    if event.get("actuality") != "actual":
        return False
    codings = (event.get("seriousness") or {}).get("coding", [])
    return any(c.get("system") == SERIOUSNESS and c.get("code") in SERIOUS_CODES for c in codings)


def flag_id(event_id: str) -> str:
    return f"aefi-{event_id}"[:64]


def _flag(event_id: str, subject: str, status: str, start: str | None) -> JsonResource:
    flag: JsonResource = {
        "resourceType": "Flag",
        "id": flag_id(event_id),
        "extension": [{"url": FLAG_DETAIL, "valueReference": {"reference": f"AdverseEvent/{event_id}"}}],
        "status": status,
        "category": [
            {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/flag-category", "code": "clinical"}
                ]
            }
        ],
        "code": {
            "coding": [
                {
                    "system": FLAG_CODE_SYSTEM,
                    "code": "serious-aefi",
                    "display": "Serious adverse event following immunization",
                }
            ],
            "text": "Phản ứng nặng sau tiêm chủng / Serious adverse event following immunization",
        },
        "subject": {"reference": subject},
    }
    if start:
        flag["period"] = {"start": start}
    return flag


class AefiFlags:
    """The write hook (services.write_steps.WriteHook) for AdverseEvent."""

    resource_types = frozenset({"AdverseEvent"})

    def __init__(self, extractor: Extractor) -> None:
        self._extractor = extractor

    def __call__(
        self,
        uow: UnitOfWork,
        resource_type: str,
        id: str,
        resource: JsonResource | None,
        previous: StoredResource | None = None,
    ) -> None:
        current = uow.read("Flag", flag_id(id))
        existing = None if current is None or current.deleted else current
        if resource is not None and is_serious(resource):
            subject = (resource.get("subject") or {}).get("reference", "")
            if not subject.startswith("Patient/"):
                return
            flag = _flag(id, subject, "active", resource.get("date"))
        elif existing is not None:  # the flag's own subject and start are kept
            body = loads(existing.body)
            if body.get("status") == "inactive":
                return
            flag = {**body, "status": "inactive"}
            flag.pop("meta", None)
        else:
            return
        if existing is not None:
            old = loads(existing.body)
            old.pop("meta", None)
            if old == flag:
                return  # nothing changed: no new version
        uow.write(flag, self._extractor.extract(flag), method="PUT")
