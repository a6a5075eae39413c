"""Bundles built around stored JSON text without re-parsing it (orjson.Fragment embeds the bytes)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import orjson

from fhir_server.types import JsonResource


def instant(value: datetime) -> str:
    """A FHIR instant in UTC with millisecond precision and a Z."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def http_date(value: datetime) -> str:
    """RFC 9110 date for Last-Modified."""
    return format_datetime(value, usegmt=True)


def etag(version: int) -> str:
    return f'W/"{version}"'


@dataclass(frozen=True, slots=True)
class BundleEntry:
    full_url: str | None
    body: bytes | None  # stored JSON text, embedded as is
    request: JsonResource | None = None
    response: JsonResource | None = None
    search_mode: str | None = None


def bundle(
    bundle_type: str,
    entries: Iterable[BundleEntry],
    *,
    total: int | None = None,
    links: Sequence[tuple[str, str]] = (),
    timestamp: datetime | None = None,
) -> JsonResource:
    """A Bundle dict whose entry resources are orjson Fragments (serialise with model.json.dumps)."""
    result: dict[str, Any] = {"resourceType": "Bundle", "type": bundle_type}
    if timestamp is not None:
        result["timestamp"] = instant(timestamp)
    if total is not None:
        result["total"] = total
    if links:
        result["link"] = [{"relation": relation, "url": url} for relation, url in links]
    items: list[dict[str, Any]] = []
    for entry in entries:
        item: dict[str, Any] = {}
        if entry.full_url:
            item["fullUrl"] = entry.full_url
        if entry.body:
            item["resource"] = orjson.Fragment(entry.body)
        if entry.search_mode:
            item["search"] = {"mode": entry.search_mode}
        if entry.request:
            item["request"] = entry.request
        if entry.response:
            item["response"] = entry.response
        items.append(item)
    if items:
        result["entry"] = items
    return result
