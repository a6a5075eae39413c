"""`GET [base]/Patient/[id]/$everything` (conformance/operations/OperationDefinition-Patient-everything.json):
the patient's compartment — the Patient and every resource the Patient CompartmentDefinition puts in it
— as one `searchset` Bundle, paged.

Access is the caller's own: the Patient must be readable (403 when the scopes do not reach Patient, 404
outside a `patient/` token's compartment), and each compartment type is searched only if the scopes allow
it, narrowed as any search is (types the scopes do not reach are left out, not refused: "everything the
caller may see"). Paging and counting are system search's (services.system_search): types in name
order, offsets across them. Supported: `_type`, `_since` (and `_lastUpdated`), `_count`, `_offset`,
and `start`/`end`: the care date range (services.care_dates), inclusive, each bound optional; resources
without a care date are returned whatever the range. With each page come the resources its matches refer
to that support the record (R4: "linked practitioners, medications, locations, organizations"): the
`SUPPORTING` types, as `include` entries, each once per page and only those the caller may read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, tzinfo
from typing import Final

from auth.scopes import Interaction
from fhir_server.definitions.registry import SearchParamRegistry
from fhir_server.model.outcome import FhirError
from fhir_server.search.dates import date_range
from fhir_server.search.request import Criterion, SearchRequest, TokenQuery
from fhir_server.services.access import Access
from fhir_server.services.care_dates import care_date_groups
from fhir_server.services.compartments import Compartments
from fhir_server.services.includes import Includer, IncludeSpec
from fhir_server.services.outcomes import not_found
from fhir_server.services.system_search import SystemSearchLimits, system_search
from fhir_server.storage.base import Store, StoredResource
from fhir_server.types import JsonResource

Range = tuple[int, int]  # [low, high) in µs (search.dates)
_PATIENT: Final = "Patient"
_KNOWN: Final = frozenset(
    {"_type", "_since", "_lastUpdated", "_count", "_offset", "_format", "_pretty", "start", "end"}
)
SUPPORTING: Final = frozenset(
    {"Organization", "Location", "Practitioner", "PractitionerRole", "Medication", "Device", "Substance"}
)
_EVERY_REFERENCE: Final = IncludeSpec("_include", "*", None, None)
_DATE: Final = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")  # FHIR `date`: YYYY, YYYY-MM or YYYY-MM-DD
_INSTANT: Final = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def patient_everything(
    store: Store,
    registry: SearchParamRegistry,
    compartments: Compartments,
    patient_id: str,
    params: Sequence[tuple[str, str]],
    *,
    base_url: str,
    link: Callable[[Sequence[tuple[str, str]]], str],
    limits: SystemSearchLimits,
    access: Access,
    includer: Includer,
) -> JsonResource:
    access.rule(_PATIENT, Interaction.READ)  # 403 when the scopes do not reach Patient at all
    current = store.read(_PATIENT, patient_id)
    if current is None or current.deleted:
        raise not_found(_PATIENT, patient_id)
    access.disclose((current,))
    access.check_read(current)  # 404 outside what the caller may see
    _check(params, limits.strict)
    care, start, end = _care_range(params, limits.default_tz)
    since = _since(params)
    types = [t for t in _types(params, registry, compartments) if _searchable(access, t)]
    if not types:
        return {"resourceType": "Bundle", "type": "searchset", "total": 0}

    def narrow(request: SearchRequest) -> SearchRequest:
        members = compartments.membership(_PATIENT, patient_id, request.resource_type)
        if request.resource_type == _PATIENT:  # itself, and the patients it links
            members = (Criterion("_id", "token", None, (TokenQuery(None, patient_id),)), *members)
        dated = care_date_groups(request.resource_type, start, end, registry, limits.default_tz)
        confined = replace(request, alternatives=(*request.alternatives, members, *dated))
        return access.narrow(confined)

    search = [("_type", ",".join(types))]
    search += [("_lastUpdated", f"ge{since}")] if since else []
    search += [(name, raw) for name, raw in params if name in ("_lastUpdated", "_count", "_offset")]
    return system_search(
        store,
        registry,
        search,
        base_url=base_url,
        link=link,
        limits=limits,
        narrow=narrow,
        seen=access.disclose,
        carry=care,
        supporting=lambda matches: _supporting(includer, access, matches, base_url),
    )


def _supporting(
    includer: Includer, access: Access, matches: Sequence[StoredResource], base_url: str
) -> list[StoredResource]:
    """What the matches refer to (as `_include=*` follows it: their indexed local references), of the
    SUPPORTING types, that the caller may read; the rest are left out as unreadable types are."""
    referred = includer.included(matches, (_EVERY_REFERENCE,), base_url)
    return access.visible([r for r in referred if r.resource_type in SUPPORTING])


def _check(params: Sequence[tuple[str, str]], strict: bool) -> None:
    unknown = [name for name, _ in params if name not in _KNOWN]
    if unknown and strict:
        raise FhirError.of(
            400,
            "not-supported",
            f"$everything does not support {', '.join(unknown)}; it takes start, end, _type, _since, "
            "_count and _offset",
            f"$everything không hỗ trợ {', '.join(unknown)}; chỉ nhận start, end, _type, _since, _count "
            "và _offset",
            unknown[0],
        )


def _care_range(
    params: Sequence[tuple[str, str]], tz: tzinfo
) -> tuple[list[tuple[str, str]], Range | None, Range | None]:
    """(`start`/`end` as given, for the links; their ranges): each a FHIR date, at most once, start not
    after end."""
    given: list[tuple[str, str]] = []
    ranges: dict[str, Range] = {}
    for name, raw in params:
        if name not in ("start", "end"):
            continue
        if name in ranges:
            raise _invalid(name, f"{name} is given more than once", f"{name} được cho nhiều lần")
        found = _range(raw, tz) if _DATE.fullmatch(raw) else None
        if found is None:
            raise _invalid(
                name,
                f"{name} must be a date (YYYY, YYYY-MM or YYYY-MM-DD), not {raw!r}",
                f"{name} phải là một ngày (YYYY, YYYY-MM hoặc YYYY-MM-DD), không phải {raw!r}",
            )
        given.append((name, raw))
        ranges[name] = found
    start, end = ranges.get("start"), ranges.get("end")
    if start is not None and end is not None and start[0] >= end[1]:
        raise _invalid("start", "start is after end", "start sau end")
    return given, start, end


def _range(raw: str, tz: tzinfo) -> Range | None:
    try:
        return date_range(raw, tz)
    except ValueError:  # e.g. 2024-02-30, month 13
        return None


def _since(params: Sequence[tuple[str, str]]) -> str | None:
    """`_since` (the last one given), checked as an instant: a time and a time zone."""
    values = [raw for name, raw in params if name == "_since"]
    if not values:
        return None
    raw = re.sub(r" (\d{2}:\d{2})$", r"+\1", values[-1])  # an unencoded '+' arrives as a space
    if not _INSTANT.fullmatch(raw) or _range(raw, UTC) is None:
        raise _invalid(
            "_since",
            f"_since must be an instant with a time zone, e.g. 2026-01-01T00:00:00Z, not {values[-1]!r}",
            f"_since phải là thời điểm có múi giờ, ví dụ 2026-01-01T00:00:00Z, không phải {values[-1]!r}",
        )
    return raw


def _invalid(name: str, en: str, vi: str) -> FhirError:
    return FhirError.of(400, "invalid", en, vi, name)


def _types(
    params: Sequence[tuple[str, str]], registry: SearchParamRegistry, compartments: Compartments
) -> list[str]:
    """The compartment's types this server indexes, or those of `_type` (each must be in it)."""
    every = sorted(t for t in registry.by_type if t == _PATIENT or compartments.params(_PATIENT, t))
    asked = [t.strip() for name, raw in params if name == "_type" for t in raw.split(",") if t.strip()]
    outside = [t for t in asked if t not in every]
    if outside:
        raise FhirError.of(
            400,
            "invalid",
            f"Not in the Patient compartment: {', '.join(outside)}",
            f"Không thuộc ngăn Patient: {', '.join(outside)}",
            "_type",
        )
    return sorted(set(asked)) if asked else every


def _searchable(access: Access, resource_type: str) -> bool:
    try:
        access.rule(resource_type, Interaction.SEARCH)
    except FhirError:
        return False
    return True
