"""Type-level search returning `searchset` Bundles (the search issue extends this: includes, sorting,
_summary/_elements, cursors)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import tzinfo

from fhir_server.definitions.registry import SearchParamRegistry
from fhir_server.model.bundle import BundleEntry, bundle
from fhir_server.model.outcome import FhirError
from fhir_server.search.parse import parse_search
from fhir_server.storage.base import Store
from fhir_server.types import JsonResource


class SearchService:
    def __init__(
        self,
        store: Store,
        registry: SearchParamRegistry,
        default_tz: tzinfo,
        max_count: int,
        default_count: int,
    ) -> None:
        self._store = store
        self._registry = registry
        self._default_tz = default_tz
        self._max_count = max_count
        self._default_count = default_count

    def search(
        self,
        resource_type: str,
        params: Sequence[tuple[str, str]],
        base_url: str,
        link: Callable[[Sequence[tuple[str, str]]], str],
        *,
        strict: bool,
    ) -> JsonResource:
        """`link(params)` renders a URL for this search with the given query parameters."""
        parsed = parse_search(
            resource_type, params, self._registry, strict=strict, default_tz=self._default_tz
        )
        request = parsed.request
        count = request.count if any(name == "_count" for name, _ in params) else self._default_count
        if count < 0:
            raise FhirError.of(
                400, "invalid", "_count must not be negative", "_count không được âm", "_count"
            )
        request = replace(request, count=min(count, self._max_count))
        page = self._store.search(request, with_total=True)
        # _sort is parsed but not applied yet (the search issue adds sorting): keep it out of the self link.
        dropped = {*parsed.ignored, "_offset", "_count", "_sort"}
        kept = [(n, v) for n, v in params if n not in dropped]
        page_params = [*kept, ("_count", str(request.count))]
        links = [
            (
                "self",
                link([*page_params, ("_offset", str(request.offset))] if request.offset else page_params),
            )
        ]
        if page.total is not None and request.offset + request.count < page.total and request.count > 0:
            links.append(("next", link([*page_params, ("_offset", str(request.offset + request.count))])))
        if request.offset > 0:
            previous = max(request.offset - request.count, 0)
            links.append(("previous", link([*page_params, ("_offset", str(previous))])))
        entries = (
            BundleEntry(full_url=f"{base_url}/{r.resource_type}/{r.id}", body=r.body, search_mode="match")
            for r in page.resources
        )
        return bundle("searchset", entries, total=page.total, links=links)
