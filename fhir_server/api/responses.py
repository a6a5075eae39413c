"""FHIR responses: JSON bytes, versioning headers and the Prefer header."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from fhir_server.api.negotiation import FHIR_JSON, pretty
from fhir_server.model.bundle import etag, http_date
from fhir_server.model.json import dumps, loads
from fhir_server.model.outcome import Issue, operation_outcome
from fhir_server.storage.base import StoredResource

MEDIA_TYPE = f"{FHIR_JSON}; charset=utf-8"


def json_response(
    content: Any, status: int = 200, headers: dict[str, str] | None = None, *, indent: bool = False
) -> Response:
    return Response(dumps(content, pretty=indent), status_code=status, headers=headers, media_type=MEDIA_TYPE)


def body_response(request: Request, body: bytes, status: int, headers: dict[str, str]) -> Response:
    """Stored JSON text as is (re-indented only for `_pretty=true`)."""
    if pretty(request):
        body = dumps(loads(body), pretty=True)
    return Response(body, status_code=status, headers=headers, media_type=MEDIA_TYPE)


def version_headers(stored: StoredResource) -> dict[str, str]:
    return {"ETag": etag(stored.version), "Last-Modified": http_date(stored.last_updated)}


def write_response(request: Request, stored: StoredResource, status: int, base_url: str) -> Response:
    """The answer to create/update/patch, shaped by `Prefer: return=...` (default representation)."""
    headers = version_headers(stored)
    headers["Location"] = f"{base_url}/{stored.resource_type}/{stored.id}/_history/{stored.version}"
    prefer = prefer_return(request)
    if prefer == "minimal":
        return Response(status_code=status, headers=headers)
    if prefer == "OperationOutcome":
        verb = "created" if status == 201 else "updated"
        issue = Issue(
            "informational",
            f"{stored.resource_type}/{stored.id} {verb}, version {stored.version}",
            f"Đã lưu {stored.resource_type}/{stored.id}, phiên bản {stored.version}",
            severity="information",
        )
        return json_response(operation_outcome([issue]), status, headers, indent=pretty(request))
    return body_response(request, stored.body, status, headers)


def _preferences(request: Request) -> dict[str, str]:
    """`Prefer: return=minimal, handling=strict` (RFC 7240: preferences separated by commas, parameters of
    one preference by semicolons) -> {"return": "minimal", "handling": "strict"}."""
    found: dict[str, str] = {}
    for preference in request.headers.get("prefer", "").split(","):
        name, _, value = preference.split(";", 1)[0].strip().partition("=")
        found.setdefault(name.strip().lower(), value.strip().strip('"'))
    return found


def prefer_return(request: Request) -> str:
    return _preferences(request).get("return", "representation")


def prefer_strict(request: Request) -> bool:
    """`Prefer: handling=strict` makes unknown search parameters an error."""
    return _preferences(request).get("handling") == "strict"
