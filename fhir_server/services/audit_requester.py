"""Who asked, kept for an AuditEvent recorded after the request has ended: a $export job runs in the
background, and its patients are known only when its files are written (bulk.export_service).

`requester()` takes from the request what `audit.audit_event` puts in the event (the agent, the
network address, the interaction and its query) as plain JSON, stored with the job so that the event
can be built in another process after a restart. The token's scopes are not kept: the event does not
show them.
"""

from __future__ import annotations

from collections.abc import Sequence

from auth.scopes import ScopeSet
from auth.verify import Principal
from fhir_server.services.audit import AuditRecord
from fhir_server.services.disclosure import Disclosure
from fhir_server.types import JsonResource

_FIELDS = (
    "subject",
    "client_id",
    "issuer",
    "role",
    "patient",
    "fhir_user",
    "organization",
    "practitioner_role",
    "area",
)


def requester(
    principal: Principal | None, method: str, path: str, query: str, address: str | None
) -> JsonResource:
    """`path` relative to the FHIR base (`Group/g1/$export`), `query` the raw query string."""
    who = None if principal is None else {name: getattr(principal, name) for name in _FIELDS}
    return {"principal": who, "method": method, "path": path, "query": query, "address": address}


def later_record(
    asked: JsonResource, work: tuple[str, str], patients: Sequence[str], patient_count: int
) -> AuditRecord:
    """The AuditRecord of work done for `asked` (from `requester`): it succeeded, it is described by
    `work` (name, description), and it touched `patients` (the first ones) of `patient_count`."""
    disclosure = Disclosure()
    disclosure.note_patients(patients, patient_count)
    who = asked.get("principal")
    principal = None
    if isinstance(who, dict):
        principal = Principal(
            subject=who["subject"],
            client_id=who["client_id"],
            scopes=ScopeSet(),
            issuer=who["issuer"],
            token_id=None,
            expires_at=0,
            role=who.get("role"),
            patient=who.get("patient"),
            fhir_user=who.get("fhir_user"),
            organization=who.get("organization"),
            practitioner_role=who.get("practitioner_role"),
            area=who.get("area"),
        )
    return AuditRecord(
        method=asked["method"],
        path=asked["path"],
        query=asked["query"],
        status=200,
        principal=principal,
        address=asked.get("address"),
        disclosure=disclosure,
        work=work,
    )
