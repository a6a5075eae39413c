"""Per-request facts every handler needs: the base URL, the known types, If-Match, history paging."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from urllib.parse import urlencode

from starlette.requests import Request

from fhir_server.api.negotiation import response_format
from fhir_server.model.outcome import FhirError
from fhir_server.settings import Settings

_NUMBER = re.compile(r"[0-9]{1,9}")  # ASCII digits only (str.isdigit takes "²"), and small enough for SQL


def version_number(text: str) -> int | None:
    """A version id from a URL, or None when it cannot name a stored version."""
    return int(text) if _NUMBER.fullmatch(text) else None


def base_url(request: Request, settings: Settings) -> str:
    if settings.public_base_url:
        return settings.public_base_url.rstrip("/")
    return str(request.base_url).rstrip("/") + settings.base_path


def begin(request: Request, settings: Settings, resource_type: str, known: frozenset[str]) -> str:
    """The checks every type-level handler starts with; returns the base URL."""
    response_format(request)
    check_type(resource_type, known)
    return base_url(request, settings)


def explain(request: Request, settings: Settings) -> bool:
    """`X-Debug-Explain: true`, honoured only when the settings allow it (FHIR_EXPLAIN_SEARCH)."""
    return settings.explain_search and request.headers.get("x-debug-explain", "").lower() == "true"


def check_type(resource_type: str, known: frozenset[str]) -> None:
    if resource_type not in known:
        raise FhirError.of(
            404,
            "not-supported",
            f"Unknown resource type {resource_type!r}",
            f"Không có loại tài nguyên {resource_type!r}",
        )


def if_match(request: Request) -> int | None:
    """`If-Match: W/"3"` -> 3."""
    value = request.headers.get("if-match")
    if value is None:
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not _NUMBER.fullmatch(text):
        raise FhirError.of(
            400,
            "invalid",
            f'If-Match must be a version ETag like W/"3", not {value!r}',
            "If-Match không hợp lệ",
        )
    return int(text)


def since(request: Request) -> datetime | None:
    value = request.query_params.get("_since")
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise _bad_param("_since", value) from exc
    if parsed.tzinfo is None:
        raise _bad_param("_since", value)
    return parsed


def count(request: Request) -> int | None:
    value = request.query_params.get("_count")
    if value is None:
        return None
    if not _NUMBER.fullmatch(value):
        raise _bad_param("_count", value)
    return int(value)


def _bad_param(name: str, value: str) -> FhirError:
    return FhirError.of(
        400,
        "invalid",
        f"Invalid value for {name}: {value!r}",
        f"Giá trị {name} không hợp lệ: {value!r}",
        name,
    )


def link_builder(url: str, params: Sequence[tuple[str, str]]) -> Callable[[str | None], str]:
    """URLs of history pages: the request's own parameters with `_cursor` replaced."""
    kept = [(n, v) for n, v in params if n != "_cursor"]

    def link(cursor: str | None) -> str:
        query = kept + ([("_cursor", cursor)] if cursor else [])
        return f"{url}?{urlencode(query)}" if query else url

    return link


def search_link(url: str) -> Callable[[Sequence[tuple[str, str]]], str]:
    def link(params: Sequence[tuple[str, str]]) -> str:
        return f"{url}?{urlencode(list(params))}" if params else url

    return link
