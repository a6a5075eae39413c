"""History of an instance, a type or the whole system, as `history` Bundles with paging links."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from auth.scopes import Interaction
from fhir_server.model.bundle import BundleEntry, bundle, etag, instant
from fhir_server.services.access import OPEN_ACCESS, Access
from fhir_server.services.outcomes import not_found
from fhir_server.storage.base import HistoryQuery, Store, StoredResource
from fhir_server.types import JsonResource

_STATUS = {"POST": "201 Created", "PUT": "200 OK", "PATCH": "200 OK", "DELETE": "204 No Content"}


class HistoryService:
    def __init__(self, store: Store, max_count: int, default_count: int) -> None:
        self._store = store
        self._max_count = max_count
        self._default_count = default_count

    def history(
        self,
        base_url: str,
        link: Callable[[str | None], str],
        *,
        resource_type: str | None = None,
        id: str | None = None,
        since: datetime | None = None,
        count: int | None = None,
        cursor: str | None = None,
        access: Access = OPEN_ACCESS,
    ) -> JsonResource:
        """`link(cursor)` gives the URL of the page that starts at `cursor` (None: the first page).
        Under `access`, an instance's history needs read access to the resource as it is now (else 404);
        type and system pages keep the entries whose resource the caller may read now (a page may then
        hold fewer than `count` entries; the next link still follows the unfiltered sequence)."""
        if resource_type:
            access.rule(resource_type, Interaction.READ)
        current = self._store.read(resource_type, id) if resource_type and id else None
        if resource_type and id and (current is None or (current.deleted and access.enforced)):
            raise not_found(resource_type, id)
        if current is not None and not current.deleted:
            access.disclose((current,))
            access.check_read(current)
        page_size = min(count if count is not None else self._default_count, self._max_count)
        page = self._store.history(
            HistoryQuery(resource_type=resource_type, id=id, since=since, count=page_size, cursor=cursor)
        )
        entries = page.entries if not access.enforced else _visible(page.entries, access)
        access.disclose(entries)
        links = [("self", link(cursor))]
        if page.next_cursor is not None:
            links.append(("next", link(page.next_cursor)))
        return bundle(
            "history",
            (_entry(base_url, stored) for stored in entries),
            total=page.total,
            links=links,
        )


def _visible(entries: Sequence[StoredResource], access: Access) -> list[StoredResource]:
    """Entries whose resource (as it is now) the caller may read; versions of deleted resources only for
    unrestricted rules (the store cannot tell whose they were)."""
    allowed = {(r.resource_type, r.id) for r in access.visible(entries)}
    return [e for e in entries if (e.resource_type, e.id) in allowed]


def _entry(base_url: str, stored: StoredResource) -> BundleEntry:
    url = f"{stored.resource_type}/{stored.id}"
    request_url = stored.resource_type if stored.method == "POST" else url
    created = stored.method == "POST" or (stored.method == "PUT" and stored.version == 1)
    response: JsonResource = {
        "status": "201 Created" if created else _STATUS[stored.method],
        "etag": etag(stored.version),
        "lastModified": instant(stored.last_updated),
    }
    if stored.method != "DELETE":
        response["location"] = f"{url}/_history/{stored.version}"
    return BundleEntry(
        full_url=f"{base_url}/{url}",
        body=None if stored.deleted else stored.body,
        request={"method": stored.method, "url": request_url},
        response=response,
    )
