"""Content negotiation: JSON only, XML answered with 415/406, `_format` and `_pretty`, body limits."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from fhir_server.model.json import loads
from fhir_server.model.outcome import FhirError

FHIR_JSON = "application/fhir+json"
JSON_PATCH = "application/json-patch+json"
_JSON_TYPES = frozenset({FHIR_JSON, "application/json", "text/json", "json"})
_XML_TYPES = frozenset({"application/fhir+xml", "application/xml", "text/xml", "xml", "html", "text/html"})


def _media_type(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def response_format(request: Request) -> None:
    """Refuse (406) a request that can only take a format we do not produce."""
    requested = request.query_params.get("_format")
    if requested is not None:
        if _media_type(requested) in _JSON_TYPES:
            return
        raise _not_acceptable(f"_format={requested}")
    accept = request.headers.get("accept")
    if not accept:
        return
    kinds = {_media_type(part) for part in accept.split(",")}
    if kinds & (_JSON_TYPES | {"*/*", "application/*"}):
        return
    raise _not_acceptable(f"Accept: {accept}")


def _not_acceptable(what: str) -> FhirError:
    return FhirError.of(
        406,
        "not-supported",
        f"Only JSON is produced here ({what}); use application/fhir+json",
        f"Máy chủ chỉ trả về JSON ({what}); hãy dùng application/fhir+json",
    )


def pretty(request: Request) -> bool:
    return request.query_params.get("_pretty") == "true"


async def read_body(request: Request, limit: int, *, patch: bool = False) -> Any:
    """The parsed JSON body: 415 for other media types, 413 above `limit` bytes, 400 if malformed."""
    content_type = request.headers.get("content-type")
    media = _media_type(content_type) if content_type else FHIR_JSON
    accepted = {JSON_PATCH} if patch else _JSON_TYPES
    if media not in accepted:
        expected = JSON_PATCH if patch else FHIR_JSON
        raise FhirError.of(
            415,
            "not-supported",
            f"Content-Type {media} is not supported here; send {expected}",
            f"Không hỗ trợ kiểu nội dung {media}; hãy gửi {expected}",
        )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data.strip():
        raise FhirError.of(400, "invalid", "The request body is empty", "Nội dung yêu cầu trống")
    try:
        return loads(data)
    except ValueError as exc:
        raise FhirError.of(
            400, "invalid", f"The body is not well-formed JSON: {exc}", "Nội dung không phải JSON hợp lệ"
        ) from exc


def _too_large(limit: int) -> FhirError:
    return FhirError.of(
        413,
        "too-costly",
        f"The request body exceeds {limit} bytes",
        f"Nội dung yêu cầu vượt quá {limit} byte",
    )
