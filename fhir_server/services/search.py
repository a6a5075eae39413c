"""Type-level search returning `searchset` Bundles, with the result parameters `_include`/`_revinclude`
(services.includes), `_summary=true|text|data|count`, `_elements` (model.elements) and `_total`.

The summary and mandatory elements of each type come from the StructureDefinitions (`element_flags`).
`_summary` applies to included resources too, `_elements` to the matches only. `_total` defaults to
`none`: the matches are counted (and `Bundle.total` given) only for `_total=accurate|estimate` or
`_summary=count`. The next link carries the store's keyset `_cursor` (stable while writes continue, no
previous link), with `_sort` or without; `_offset` from a client still works and gets a previous link."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import tzinfo

from auth.scopes import Interaction
from fhir_server.definitions.registry import ElementFlags, SearchParamRegistry
from fhir_server.model.bundle import BundleEntry, bundle
from fhir_server.model.elements import (
    parse_elements,
    select_elements,
    select_summary,
    select_text,
    without_text,
)
from fhir_server.model.json import dumps, loads
from fhir_server.model.outcome import FhirError
from fhir_server.search.extract import Extractor
from fhir_server.search.parse import is_empty, parse_search
from fhir_server.search.request import SearchRequest
from fhir_server.services.access import OPEN_ACCESS, Access
from fhir_server.services.compartments import Compartments
from fhir_server.services.everything import patient_everything
from fhir_server.services.includes import Includer, parse_includes
from fhir_server.services.system_search import SystemSearchLimits, system_search
from fhir_server.storage.base import Store, StoredResource
from fhir_server.types import JsonResource


@dataclass(frozen=True, slots=True)
class _Results:
    summary: str  # "false", "true", "text", "data" or "count"
    total: bool  # count the matches
    elements: frozenset[str]


def _results(params: Sequence[tuple[str, str]], resource_type: str, *, strict: bool) -> _Results:
    summary, total, elements = "false", False, []  # `_total` defaults to none: counting is asked for
    for name, raw in params:
        if name == "_summary":
            if raw not in ("false", "true", "text", "count", "data"):
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
    return _Results(summary, total or summary == "count", parse_elements(elements, resource_type))


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
        element_flags: Mapping[str, ElementFlags],
    ) -> None:
        self._store = store
        self._flags = element_flags
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
        explain: bool = False,
        access: Access = OPEN_ACCESS,
    ) -> JsonResource:
        """`link(params)` renders a URL for this search with the given query parameters; `explain`
        asks the store to log how it answers (the api layer decides, from settings and a header).
        `access` narrows the matches and filters the included resources (services.access)."""
        return self._search(
            resource_type, params, base_url, link, strict=strict, explain=explain, access=access
        )

    def compartment_search(
        self,
        compartment: tuple[str, str],
        resource_type: str,
        params: Sequence[tuple[str, str]],
        base_url: str,
        link: Callable[[Sequence[tuple[str, str]]], str],
        *,
        strict: bool,
        explain: bool = False,
        access: Access = OPEN_ACCESS,
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

        return self._search(
            resource_type,
            params,
            base_url,
            link,
            strict=strict,
            narrow=narrow,
            explain=explain,
            access=access,
        )

    def system_search(
        self,
        params: Sequence[tuple[str, str]],
        base_url: str,
        link: Callable[[Sequence[tuple[str, str]]], str],
        *,
        strict: bool,
        access: Access = OPEN_ACCESS,
    ) -> JsonResource:
        """`GET [base]?_type=A,B&...` (services.system_search), each type narrowed by `access`."""
        return system_search(
            self._store,
            self._registry,
            params,
            base_url=base_url,
            link=link,
            limits=self._limits(strict),
            narrow=access.narrow,
            seen=access.disclose,
        )

    def everything(
        self,
        patient_id: str,
        params: Sequence[tuple[str, str]],
        base_url: str,
        link: Callable[[Sequence[tuple[str, str]]], str],
        *,
        strict: bool,
        access: Access = OPEN_ACCESS,
    ) -> JsonResource:
        """`GET [base]/Patient/[id]/$everything` (services.everything), under `access`."""
        if self._compartments is None:
            raise FhirError.of(
                400, "not-supported", "Compartments are not enabled", "Chưa bật ngăn (compartment)"
            )
        return patient_everything(
            self._store,
            self._registry,
            self._compartments,
            patient_id,
            params,
            base_url=base_url,
            link=link,
            limits=self._limits(strict),
            access=access,
            includer=self._includer,
        )

    def subset(
        self, resource_type: str, body: bytes, params: Sequence[tuple[str, str]], *, strict: bool
    ) -> bytes:
        """A read's body under its `_summary` / `_elements` parameters (the others are not looked at)."""
        results = _results(params, resource_type, strict=strict)
        if results.summary == "count":
            en, vi = "_summary=count applies to searches only", "_summary=count chỉ dùng cho tìm kiếm"
            raise FhirError.of(400, "invalid", en, vi, "_summary")
        return self._subset(resource_type, body, results)

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
        explain: bool = False,
        access: Access = OPEN_ACCESS,
    ) -> JsonResource:
        access.rule(resource_type, Interaction.SEARCH)  # 403 before any parsing work
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
        # The store says whether a page follows (next_cursor), sorted or not.
        fetched = 0 if results.summary == "count" else request.count
        if narrow is not None:
            request = narrow(request)
        request = access.narrow(request)  # chains and _has only ever filter this confined set
        page = self._store.search(replace(request, count=fetched), with_total=results.total, explain=explain)
        matches = page.resources[: request.count]
        # Links repeat what was applied: not ignored or empty parameters, and `_sort` as parsed.
        dropped = {*parsed.ignored, "_offset", "_count", "_sort", "_cursor"}
        kept = [(n, v) for n, v in params if n not in dropped and not is_empty(v)]
        kept = [p for p in kept if p not in bad_includes]
        sort = ",".join(("-" if key.descending else "") + key.param for key in request.sort)
        page_params = [*kept, *([("_sort", sort)] if sort else []), ("_count", str(request.count))]
        position = [("_cursor", request.cursor)] if request.cursor else []
        position += [("_offset", str(request.offset))] if request.offset else []
        links = [("self", link([*page_params, *position]))]
        # The cursor names the last match shown (its sort values and creation position), so deletes and
        # creates between pages neither skip nor repeat a resource; there is no previous link from a
        # cursor. A page of 0 never advances.
        if page.next_cursor is not None and request.count > 0:
            links.append(("next", link([*page_params, ("_cursor", page.next_cursor)])))
        if request.offset > 0 and request.count > 0 and request.cursor is None:
            previous = max(request.offset - request.count, 0)
            links.append(("previous", link([*page_params, ("_offset", str(previous))])))
        included = access.visible(self._includer.included(matches, specs, base_url)) if specs else []
        access.disclose(matches)
        access.disclose(included)
        entries = [
            *(self._entry(r, base_url, "match", results) for r in matches),
            *(self._entry(r, base_url, "include", replace(results, elements=frozenset())) for r in included),
        ]
        return bundle("searchset", entries, total=page.total, links=links)

    def _entry(self, resource: StoredResource, base_url: str, mode: str, results: _Results) -> BundleEntry:
        body = self._subset(resource.resource_type, resource.body, results)
        url = f"{base_url}/{resource.resource_type}/{resource.id}"
        return BundleEntry(full_url=url, body=body, search_mode=mode)

    def _subset(self, resource_type: str, body: bytes, results: _Results) -> bytes:
        if not results.elements and results.summary in ("false", "count"):
            return body
        flags = self._flags.get(resource_type, ElementFlags(frozenset(), frozenset()))
        parsed: JsonResource = loads(body)
        if results.summary == "true":
            return dumps(select_summary(parsed, flags.summary))
        if results.summary == "text":
            return dumps(select_text(parsed, flags.mandatory))
        if results.elements:
            parsed = select_elements(parsed, results.elements, flags.mandatory)
        return dumps(without_text(parsed) if results.summary == "data" else parsed)
