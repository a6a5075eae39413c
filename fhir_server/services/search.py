"""Type-level search returning `searchset` Bundles, with the result parameters `_include`/`_revinclude`
(services.includes), `_summary=count|data`, `_elements` (model.elements) and `_total`.

`_summary=true|text` need the summary flags and cardinalities of the StructureDefinitions: not supported
yet (400 in strict mode, ignored otherwise). `_total=none` skips counting; the next link is then found by
reading one match more than the page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import tzinfo

from fhir_server.definitions.registry import SearchParamRegistry
from fhir_server.model.bundle import BundleEntry, bundle
from fhir_server.model.elements import parse_elements, select_elements, without_text
from fhir_server.model.json import dumps, loads
from fhir_server.model.outcome import FhirError
from fhir_server.search.extract import Extractor
from fhir_server.search.parse import parse_search
from fhir_server.search.request import SearchRequest
from fhir_server.services.compartments import Compartments
from fhir_server.services.includes import Includer, parse_includes
from fhir_server.services.system_search import SystemSearchLimits, system_search
from fhir_server.storage.base import Store, StoredResource
from fhir_server.types import JsonResource


@dataclass(frozen=True, slots=True)
class _Results:
    summary: str  # "false", "count" or "data"
    total: bool  # count the matches
    elements: frozenset[str]
    ignored: tuple[tuple[str, str], ...]


def _results(params: Sequence[tuple[str, str]], resource_type: str, *, strict: bool) -> _Results:
    summary, total, elements, ignored = "false", True, [], []
    for name, raw in params:
        if name == "_summary" and raw in ("true", "text"):
            if strict:
                en, vi = f"_summary={raw} is not supported yet", f"Chưa hỗ trợ _summary={raw}"
                raise FhirError.of(400, "not-supported", en, vi, name)
            ignored.append((name, raw))
        elif name == "_summary":
            if raw not in ("false", "count", "data"):
                en, vi = f"Unknown _summary value '{raw}'", f"Giá trị _summary không hợp lệ '{raw}'"
                raise FhirError.of(400, "invalid", en, vi, name)
            summary = raw
        elif name == "_total":
            if raw not in ("none", "estimate", "accurate"):
                en, vi = f"Unknown _total value '{raw}'", f"Giá trị _total không hợp lệ '{raw}'"
                raise FhirError.of(400, "invalid", en, vi, name)
            total = raw != "none"
        elif name == "_elements":
            elements.append(raw)
    return _Results(
        summary, total or summary == "count", parse_elements(elements, resource_type), tuple(ignored)
    )


class SearchService:
    def __init__(
        self,
        store: Store,
        registry: SearchParamRegistry,
        default_tz: tzinfo,
        max_count: int,
        default_count: int,
        *,
        extractor: Extractor,
        compartments: Compartments | None = None,
    ) -> None:
        self._store = store
        self._compartments = compartments
        self._includer = Includer(store, extractor)
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
        return self._search(resource_type, params, base_url, link, strict=strict)

    def compartment_search(
        self,
        compartment: tuple[str, str],
        resource_type: str,
        params: Sequence[tuple[str, str]],
        base_url: str,
        link: Callable[[Sequence[tuple[str, str]]], str],
        *,
        strict: bool,
    ) -> JsonResource:
        """`GET [base]/Patient/123/Immunization?...`: a type search narrowed to the compartment
        `compartment` = (type, id)."""
        if self._compartments is None:
            raise FhirError.of(
                400, "not-supported", "Compartment search is not enabled", "Chưa bật tìm kiếm theo ngăn"
            )
        compartments = self._compartments
        compartments.membership(*compartment, resource_type)  # 404/400 before parsing the parameters

        def narrow(request: SearchRequest) -> SearchRequest:
            return compartments.narrow(request, *compartment)

        return self._search(resource_type, params, base_url, link, strict=strict, narrow=narrow)

    def system_search(
        self,
        params: Sequence[tuple[str, str]],
        base_url: str,
        link: Callable[[Sequence[tuple[str, str]]], str],
        *,
        strict: bool,
    ) -> JsonResource:
        """`GET [base]?_type=A,B&...` (services.system_search)."""
        return system_search(
            self._store, self._registry, params, base_url=base_url, link=link, limits=self._limits(strict)
        )

    def _limits(self, strict: bool) -> SystemSearchLimits:
        return SystemSearchLimits(self._default_tz, self._default_count, self._max_count, strict)

    def _search(
        self,
        resource_type: str,
        params: Sequence[tuple[str, str]],
        base_url: str,
        link: Callable[[Sequence[tuple[str, str]]], str],
        *,
        strict: bool,
        narrow: Callable[[SearchRequest], SearchRequest] | None = None,
    ) -> JsonResource:
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
        results = _results(parsed.result_params, resource_type, strict=strict)
        specs, bad_includes = parse_includes(parsed.result_params, self._registry, strict=strict)
        fetched = request.count + (0 if results.total else 1)  # one more: is there a next page?
        fetched = 0 if results.summary == "count" else fetched
        if narrow is not None:
            request = narrow(request)
        page = self._store.search(replace(request, count=fetched), with_total=results.total)
        matches = page.resources[: request.count]
        more = len(page.resources) > request.count
        dropped = {*parsed.ignored, "_offset", "_count"}
        kept = [(n, v) for n, v in params if n not in dropped]
        kept = [p for p in kept if p not in (*bad_includes, *results.ignored)]
        page_params = [*kept, ("_count", str(request.count))]
        links = [
            (
                "self",
                link([*page_params, ("_offset", str(request.offset))] if request.offset else page_params),
            )
        ]
        if page.total is not None and request.offset + request.count < page.total and request.count > 0:
            more = results.summary != "count"
        if more:
            links.append(("next", link([*page_params, ("_offset", str(request.offset + request.count))])))
        if request.offset > 0:
            previous = max(request.offset - request.count, 0)
            links.append(("previous", link([*page_params, ("_offset", str(previous))])))
        included = self._includer.included(matches, specs, base_url) if specs else []
        entries = [
            *(self._entry(r, base_url, "match", results) for r in matches),
            *(self._entry(r, base_url, "include", replace(results, elements=frozenset())) for r in included),
        ]
        return bundle("searchset", entries, total=page.total, links=links)

    @staticmethod
    def _entry(resource: StoredResource, base_url: str, mode: str, results: _Results) -> BundleEntry:
        body = resource.body
        if results.elements or results.summary == "data":
            parsed: JsonResource = loads(body)
            parsed = select_elements(parsed, results.elements) if results.elements else parsed
            body = dumps(without_text(parsed) if results.summary == "data" else parsed)
        url = f"{base_url}/{resource.resource_type}/{resource.id}"
        return BundleEntry(full_url=url, body=body, search_mode=mode)
