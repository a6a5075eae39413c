"""The errors every interaction can end in, shared by the services and the api's exception handlers."""

from __future__ import annotations

from fhir_server.model.outcome import FhirError
from fhir_server.storage.base import VersionConflict


def version_conflict(exc: VersionConflict) -> FhirError:
    """412 for a failed If-Match (or an entry's ifMatch in a Bundle)."""
    current = "none" if exc.current is None else str(exc.current)
    return FhirError.of(
        412,
        "conflict",
        f"Version conflict: If-Match asked for version {exc.expected}, the current version is {current}",
        f"Xung đột phiên bản: If-Match yêu cầu phiên bản {exc.expected}, phiên bản hiện tại là {current}",
    )


def not_found(resource_type: str, id: str) -> FhirError:
    """404 for a resource that was never created."""
    return FhirError.of(
        404, "not-found", f"{resource_type}/{id} is not known", f"Không tìm thấy {resource_type}/{id}"
    )
