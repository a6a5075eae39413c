"""What one request touched (DESIGN.md §8): the resources it read, returned, wrote or tried to, so that
its AuditEvent names every patient whose data were involved.

The services note resources as they go (`Access.disclose`): a list append of the stored body or the
resource being written, nothing parsed on the request path. The audit writer thread asks for
`patients()` afterwards, when the response has long been sent. Only created when the audit trail is on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from fhir_server.model.json import loads
from fhir_server.storage.base import StoredResource
from fhir_server.types import JsonResource

# Where a resource names the patient it is about (the Patient compartment's usual links).
_LINKS: Final = ("patient", "subject", "beneficiary", "individual")
_MAX_NOTED: Final = 10_000  # a page is bounded by _count, a Bundle by its size limit: a safety net only


def patient_of(resource: JsonResource) -> str | None:
    """The id of the patient `resource` is about: itself for a Patient, else its patient/subject-like
    reference to a Patient (relative or absolute); None for anything else."""
    if resource.get("resourceType") == "Patient":
        id = resource.get("id")
        return id if isinstance(id, str) else None
    for link in _LINKS:
        found = _patient_id(resource.get(link))
        if found:
            return found
    for participant in resource.get("participant") or ():  # Appointment, Encounter
        found = _patient_id(participant.get("actor") if isinstance(participant, dict) else None)
        if found:
            return found
    return None


def _patient_id(value: object) -> str | None:
    reference = value.get("reference") if isinstance(value, dict) else None
    if not isinstance(reference, str):
        return None
    parts = reference.split("/_history/")[0].rsplit("/", 2)
    return parts[-1] if len(parts) >= 2 and parts[-2] == "Patient" and parts[-1] else None


class Disclosure:
    __slots__ = ("_dropped", "_named", "_noted", "form", "patient_count")

    def __init__(self) -> None:
        self._noted: list[bytes | JsonResource] = []
        self._dropped = 0
        self._named: list[str] = []
        self.patient_count = 0  # patients in all when the caller counted them (note_patients)
        self.form: str | None = None  # a POST _search body (urlencoded), audited with the URL's query

    def note(self, resources: Iterable[StoredResource]) -> None:
        for stored in resources:
            if stored.body:  # a deletion's version has no body
                self._add(stored.body)

    def note_resource(self, resource: JsonResource) -> None:
        self._add(resource)

    def note_patients(self, named: Sequence[str], count: int) -> None:
        """Patients already known by id, and how many there were in all (`named` may be the first few of
        them): a finished $export counts its patients as it writes the files (bulk.export_runner)."""
        self._named += named
        self.patient_count = max(self.patient_count, count)

    def _add(self, item: bytes | JsonResource) -> None:
        if len(self._noted) < _MAX_NOTED:
            self._noted.append(item)
        else:
            self._dropped += 1

    def patients(self) -> list[str]:
        """The distinct patients of what was noted, in the order first met (runs in the writer thread)."""
        found: dict[str, None] = dict.fromkeys(self._named)
        for item in self._noted:
            resource = loads(item) if isinstance(item, bytes) else item
            patient = patient_of(resource) if isinstance(resource, dict) else None
            if patient:
                found[patient] = None
        return list(found)

    @property
    def incomplete(self) -> bool:
        """More was touched than noted (beyond the safety net)."""
        return self._dropped > 0
