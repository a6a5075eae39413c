"""System-level search `GET [base]?_type=Patient,Immunization&_lastUpdated=ge2024-01-01`.

Only the parameters common to all resources (`_id`, `_lastUpdated`, `_tag`, `_profile`, `_security`) and
`_count`/`_offset`/`_total` are supported; without `_type` the search would scan every table, so it is
refused (400 too-costly). Results come by type (in name order), then in creation order within a type:
each type is counted first, so a page is a slice across the concatenation and paging stays exact; those
counts are internal: `Bundle.total` is given only for `_total=accurate|estimate` (the default is none).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import tzinfo

from fhir_server.definitions.registry import SearchParamRegistry
from fhir_server.model.bundle import BundleEntry, bundle
from fhir_server.model.outcome import FhirError
from fhir_server.search.parse import parse_search
from fhir_server.search.request import SearchRequest
from fhir_server.storage.base import Store, StoredResource
from fhir_server.types import JsonResource

COMMON = frozenset({"_id", "_lastUpdated", "_tag", "_profile", "_security"})
_PAGING = frozenset({"_count", "_offset"})
_KEPT = frozenset({"_type", "_total", "_format", "_pretty"})


@dataclass(frozen=True, slots=True)
class SystemSearchLimits:
    default_tz: tzinfo
    default_count: int
    max_count: int
    strict: bool


def _types(params: Sequence[tuple[str, str]], registry: SearchParamRegistry) -> list[str]:
    listed = [t.strip() for name, raw in params if name == "_type" for t in raw.split(",") if t.strip()]
    if not listed:
        raise FhirError.of(
            400,
            "too-costly",
            "A system-level search needs _type (e.g. ?_type=Patient,Immunization): searching every "
            "resource type is too costly",
            "Tìm kiếm cấp hệ thống cần tham số _type (ví dụ ?_type=Patient,Immunization): tìm trên mọi "
            "loại tài nguyên quá tốn kém",
            "_type",
        )
    unknown = [t for t in listed if t not in registry.by_type]
    if unknown:
        raise FhirError.of(
            400,
            "invalid",
            f"Unknown resource type in _type: {', '.join(unknown)}",
            f"Loại tài nguyên không rõ trong _type: {', '.join(unknown)}",
            "_type",
        )
    return sorted(set(listed))


def _split(
    params: Sequence[tuple[str, str]], strict: bool
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(parameters for the per-type searches, parameters for the links); others are ignored or refused."""
    search: list[tuple[str, str]] = []
    kept: list[tuple[str, str]] = []
    for name, raw in params:
        base = name.partition(":")[0]
        if base in COMMON or base in _PAGING:
            search.append((name, raw))
            kept += [] if base in _PAGING else [(name, raw)]
        elif base in _KEPT:
            kept.append((name, raw))
        elif strict:
            raise FhirError.of(
                400,
                "not-supported",
                f"Parameter {name} is not supported in a system-level search; only "
                f"{', '.join(sorted(COMMON))}, _type, _count, _offset and _total are",
                f"Tham số {name} không được hỗ trợ khi tìm kiếm cấp hệ thống; chỉ hỗ trợ "
                f"{', '.join(sorted(COMMON))}, _type, _count, _offset và _total",
                name,
            )
    return search, kept


def _with_total(params: Sequence[tuple[str, str]]) -> bool:
    for name, raw in params:
        if name == "_total" and raw not in ("none", "estimate", "accurate"):
            raise FhirError.of(
                400, "invalid", f"Unknown _total value '{raw}'", f"Giá trị _total không hợp lệ '{raw}'", name
            )
    asked = [raw for name, raw in params if name == "_total"]
    return bool(asked) and asked[-1] != "none"  # the last one wins, as in the type-level search


def system_search(
    store: Store,
    registry: SearchParamRegistry,
    params: Sequence[tuple[str, str]],
    *,
    base_url: str,
    link: Callable[[Sequence[tuple[str, str]]], str],
    limits: SystemSearchLimits,
    narrow: Callable[[SearchRequest], SearchRequest] = lambda request: request,
    seen: Callable[[Sequence[StoredResource]], None] = lambda resources: None,
    carry: Sequence[tuple[str, str]] = (),
    supporting: Callable[[Sequence[StoredResource]], Sequence[StoredResource]] = lambda matches: (),
) -> JsonResource:
    """`narrow` confines each type's search to what the caller may see (services.access); a type the
    caller may not search is refused (403) as a whole. `seen` gets every page of matches (the audit).
    `carry`: parameters the caller applies through `narrow` ($everything's start/end), kept in the links.
    `supporting`: resources the page's matches need, added as `include` entries ($everything's)."""
    types = _types(params, registry)
    search_params, kept = _split(params, limits.strict)
    with_total = _with_total(params)
    requests: list[SearchRequest] = []
    for resource_type in types:
        parsed = parse_search(
            resource_type, search_params, registry, strict=limits.strict, default_tz=limits.default_tz
        )
        requests.append(narrow(parsed.request))
    first = requests[0]
    count = first.count if any(n == "_count" for n, _ in params) else limits.default_count
    count, offset = min(count, limits.max_count), first.offset
    # Each type is counted so that the page [offset, offset + count) can be cut across the types.
    totals = [store.search(replace(r, count=0, offset=0), with_total=True).total or 0 for r in requests]
    entries: list[BundleEntry] = []
    matches: list[StoredResource] = []
    skip, wanted = offset, count
    for request, total in zip(requests, totals, strict=True):
        if wanted <= 0:
            break
        if skip >= total:
            skip -= total
            continue
        page = store.search(replace(request, offset=skip, count=min(wanted, total - skip)), with_total=False)
        seen(page.resources)
        matches += page.resources
        entries += [
            BundleEntry(f"{base_url}/{r.resource_type}/{r.id}", r.body, search_mode="match")
            for r in page.resources
        ]
        wanted -= len(page.resources)
        skip = 0
    entries += [
        BundleEntry(f"{base_url}/{r.resource_type}/{r.id}", r.body, search_mode="include")
        for r in supporting(matches)
    ]
    grand_total = sum(totals)
    page_params = [*kept, *carry, ("_count", str(count))]
    links = [("self", link([*page_params, ("_offset", str(offset))] if offset else page_params))]
    if count > 0 and offset + count < grand_total:
        links.append(("next", link([*page_params, ("_offset", str(offset + count))])))
    if offset > 0:
        links.append(("previous", link([*page_params, ("_offset", str(max(offset - count, 0)))])))
    return bundle("searchset", entries, total=grand_total if with_total else None, links=links)
