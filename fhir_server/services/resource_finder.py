"""Searches the scheduling services run for themselves (not for a client): every page, parsed bodies."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from fhir_server.model.json import loads_stored
from fhir_server.search.request import SearchRequest
from fhir_server.services.crud import ResourceService
from fhir_server.storage.base import Store, UnitOfWork
from fhir_server.types import JsonResource


class ResourceFinder:
    def __init__(self, store: Store, resources: ResourceService) -> None:
        self._store = store
        self._resources = resources

    def iterate(
        self,
        resource_type: str,
        params: Sequence[tuple[str, str]],
        page_size: int = 500,
        *,
        exact_numbers: bool = True,
    ) -> Iterator[JsonResource]:
        """Every current match, page by page (keyset cursors: stable while writes go on). A caller that
        only reads the results (never writes them back) may pass exact_numbers=False: faster parse."""
        if params:
            request = replace(self._resources.condition_params(resource_type, params), count=page_size)
        else:  # every resource of the type
            request = SearchRequest(resource_type, count=page_size)
        while True:
            page = self._store.search(request, with_total=False)
            for stored in page.resources:
                yield loads_stored(stored.body, exact_numbers=exact_numbers)
            if page.next_cursor is None:
                return
            request = replace(request, cursor=page.next_cursor)

    def all(self, resource_type: str, params: Sequence[tuple[str, str]]) -> list[JsonResource]:
        return list(self.iterate(resource_type, params))

    def read(self, resource_type: str, id: str) -> JsonResource | None:
        stored = self._store.read(resource_type, id)
        return None if stored is None or stored.deleted else loads_stored(stored.body)

    def in_unit(
        self, uow: UnitOfWork, resource_type: str, params: Sequence[tuple[str, str]], limit: int
    ) -> list[JsonResource]:
        """Matches seen by the open unit of work (its own writes included), at most `limit`."""
        request = self._resources.condition_params(resource_type, params)
        found = []
        for id in uow.search_ids(request, limit):
            stored = uow.read(resource_type, id)
            if stored is not None and not stored.deleted:
                found.append(loads_stored(stored.body))
        return found
