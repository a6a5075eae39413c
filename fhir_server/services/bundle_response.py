"""The response Bundle of a batch or transaction: one entry per request entry, in the request's order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fhir_server.model.bundle import BundleEntry, bundle, etag, instant
from fhir_server.model.outcome import FhirError, Issue, operation_outcome
from fhir_server.services.bundle_entries import Entry
from fhir_server.services.write_steps import WriteResult
from fhir_server.storage.base import StoredResource
from fhir_server.types import JsonResource

_WRITES = frozenset({"DELETE", "POST", "PUT", "PATCH"})


@dataclass(frozen=True, slots=True)
class EntryResult:
    status: int
    stored: StoredResource | None = None  # the version written or read (location, etag)
    body: bytes | None = None  # a read resource or a searchset, returned whatever Prefer says
    outcome: JsonResource | None = None


def written(result: WriteResult, prefer_return: str) -> EntryResult:
    outcome = None
    if prefer_return == "OperationOutcome":
        stored = result.stored
        issue = Issue(
            "informational",
            f"{stored.resource_type}/{stored.id} saved, version {stored.version}",
            f"Đã lưu {stored.resource_type}/{stored.id}, phiên bản {stored.version}",
            severity="information",
        )
        outcome = operation_outcome([issue])
    return EntryResult(201 if result.created else 200, result.stored, outcome=outcome)


def failed(error: FhirError) -> EntryResult:
    return EntryResult(error.status, outcome=operation_outcome(error.issues))


def response_bundle(
    kind: str,
    entries: Sequence[Entry | FhirError],
    results: list[EntryResult],
    base_url: str,
    prefer_return: str,
) -> JsonResource:
    """Each entry's status, location, etag and lastModified; a written resource unless Prefer says
    minimal or OperationOutcome (as for single writes)."""
    items = []
    for entry, result in zip(entries, results, strict=True):
        stored = result.stored
        response: dict[str, Any] = {"status": f"{result.status} {HTTPStatus(result.status).phrase}"}
        full_url = None
        if stored is not None:
            if not stored.deleted:
                full_url = f"{base_url}/{stored.resource_type}/{stored.id}"
                response["location"] = f"{stored.resource_type}/{stored.id}/_history/{stored.version}"
            response["etag"] = etag(stored.version)
            response["lastModified"] = instant(stored.last_updated)
        if result.outcome is not None:
            response["outcome"] = result.outcome
        body = result.body
        is_write = isinstance(entry, Entry) and entry.method in _WRITES
        if is_write and stored is not None and prefer_return == "representation":
            body = stored.body or None
        items.append(BundleEntry(full_url, body, response=response))
    return bundle(kind, items)
