"""The storage contract every backend honours (DESIGN.md §5). Synchronous by design.

Services never see a backend, only these Protocols. A backend stores resource versions, their history
and the index values `search.extract` computed; it assigns `meta.versionId` and `meta.lastUpdated`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal, Protocol

from fhir_server.search.index import IndexValues
from fhir_server.search.request import SearchRequest
from fhir_server.types import JsonResource

Method = Literal["POST", "PUT", "PATCH", "DELETE"]

# A checkpoint set (non-empty) when the stored index rows are older than what the extractor writes (a
# SQLite file migrated to schema v4); the store warns on every opening until a full `fhir-server reindex`
# clears it (empty value).
REINDEX_OWED: Final = "reindex-owed"


@dataclass(frozen=True, slots=True)
class StoredResource:
    """One version of a resource as stored. `body` is the JSON text returned to clients as is."""

    resource_type: str
    id: str
    version: int
    last_updated: datetime  # timezone-aware UTC
    deleted: bool
    method: Method  # the interaction that made this version (history's request.method)
    body: bytes  # JSON with meta.versionId and meta.lastUpdated set; b"" for a deletion


class VersionConflict(Exception):
    """The expected version is not the current one (If-Match failed): HTTP 412."""

    def __init__(self, resource_type: str, id: str, expected: int, current: int | None) -> None:
        super().__init__(f"{resource_type}/{id}: expected version {expected}, current {current}")
        self.resource_type = resource_type
        self.id = id
        self.expected = expected
        self.current = current


class StoreUnavailable(Exception):
    """The backend cannot serve now (locked too long, connection lost): HTTP 503."""


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    resource_type: str | None = None  # None: system history
    id: str | None = None  # set only with resource_type: instance history
    since: datetime | None = None  # versions with last_updated >= since
    count: int = 50
    cursor: str | None = None  # opaque, from HistoryPage.next_cursor


@dataclass(frozen=True, slots=True)
class HistoryPage:
    entries: list[StoredResource]  # newest first
    total: int  # number of versions matching the query (all pages)
    next_cursor: str | None  # None on the last page


@dataclass(frozen=True, slots=True)
class SearchPage:
    resources: list[StoredResource]  # current, non-deleted versions
    total: int | None  # None when not computed
    # Without `sort`: set when more matches follow this page; give it back as SearchRequest.cursor.
    next_cursor: str | None = None


# One index value of a resource, as `Store.column_values` returns it: (resource id, parameter code,
# value). The value by parameter type: token "system|code" (either part may be empty), date the range's
# low bound (microseconds UTC), reference the target id (url-only references are left out), string the
# text as written, number and quantity the value, uri the uri.
ColumnValue = tuple[str, str, str | int | float]


def index_columns(index: IndexValues) -> Iterator[tuple[str, str | int | float]]:
    """(param, scalar) of each index value, as `Store.column_values` documents them; backends that keep
    the IR (memory, MongoDB's `_idx`) answer column_values with it."""
    for t in index.tokens:
        yield t.param, f"{t.system or ''}|{t.code or ''}"
    for d in index.dates:
        yield d.param, d.low
    for r in index.references:
        if r.target_id is not None:
            yield r.param, r.target_id
    for s in index.strings:
        yield s.param, s.exact
    for n in index.numbers:
        yield n.param, n.value
    for q in index.quantities:
        yield q.param, q.value
    for u in index.uris:
        yield u.param, u.uri


# One derived row (see Summarizer): (key, group, value).
SummaryRow = tuple[str, str, bytes]
# A resource's index values by parameter, as `index_columns` gives them (what a Summarizer reads).
Columns = Mapping[str, Sequence[str | int | float]]


def columns_of(index: IndexValues) -> dict[str, list[str | int | float]]:
    out: dict[str, list[str | int | float]] = {}
    for param, value in index_columns(index):
        out.setdefault(param, []).append(value)
    return out


def summary_marker(kind: str) -> str:
    """The checkpoint name saying that the rows of `kind` are complete (built from every resource)."""
    return f"summary:{kind}"


class Summaries(Protocol):
    """Derived rows keyed by (kind, key), each in a group, kept in the same unit of work as the writes
    they derive from. A backend that keeps them offers these on its unit of work."""

    def summary(self, kind: str, key: str) -> tuple[str, bytes] | None:
        """(group, value) of one row, None if absent (this unit of work's changes included)."""
        ...

    def summaries(self, kind: str, group: str) -> list[SummaryRow]: ...

    def put_summary(self, kind: str, key: str, group: str, value: bytes) -> None: ...

    def delete_summary(self, kind: str, key: str) -> None: ...

    def clear_summaries(self, kind: str) -> None:
        """Remove every row of `kind` (before a rebuild)."""
        ...


class Summarizer(Protocol):
    """Keeps derived rows exact (issue 10: the coverage aggregate). A backend that keeps summaries calls
    it inside the unit of work after every write (`columns`: the new index values) and delete
    (`columns` None) of a resource of `resource_types`, whatever the path: REST, transaction Bundles,
    import, hooks. The backend never interprets the rows; the summarizer is injected by app.py."""

    resource_types: frozenset[str]
    kinds: frozenset[str]  # the row kinds it writes
    # The kinds whose groups it lists (`Summaries.summaries`) while summarizing: a backend without a
    # single writer (MongoDB) locks those groups when a row of them is written, and only those.
    listed: frozenset[str]

    def __call__(self, rows: Summaries, resource_type: str, id: str, columns: Columns | None) -> None: ...


class UnitOfWork(Protocol):
    """All writes of one request (or one transaction Bundle) commit together or not at all.
    While it is open no other writer runs, so read-check-write sequences are atomic."""

    def read(self, resource_type: str, id: str) -> StoredResource | None:
        """Current version (a deletion shows as `deleted=True`), or None if never created."""
        ...

    def search_ids(self, request: SearchRequest, limit: int) -> list[str]:
        """Ids of current resources matching `request` (at most `limit`), for conditional interactions."""
        ...

    def write(
        self,
        resource: JsonResource,
        index: IndexValues,
        *,
        method: Method,
        expected_version: int | None = None,
    ) -> StoredResource:
        """Store a new version of `resource` (which carries resourceType and id). The version is the
        current one + 1 (1 for a new or re-created resource). Raises VersionConflict if
        `expected_version` is given and differs from the current version. Index rows are replaced."""
        ...

    def delete(
        self, resource_type: str, id: str, *, expected_version: int | None = None
    ) -> StoredResource | None:
        """Logical delete: a new history version marked deleted, index rows removed. Returns None when
        there is nothing to delete (never created, or already deleted)."""
        ...

    def reindex(self, resource_type: str, id: str, version: int, index: IndexValues) -> bool:
        """Replace the index rows of the current version of a resource, without a new version (the
        re-index command, after extraction changed). Nothing happens, and False is returned, when
        `version` is no longer the current one or the resource is deleted: a write since has already
        indexed the newer version."""
        ...

    def save_checkpoint(self, name: str, value: bytes) -> None:
        """Store `value` under `name` (replacing any previous one), committed with this unit of work's
        writes: a bulk import records how far it got in the same commit as the resources, so after a
        crash the checkpoint and the data can never disagree."""
        ...

    def derived(self) -> Summaries | None:
        """This unit of work's derived rows (see Summarizer); None on a backend that keeps none."""
        ...


class Store(Protocol):
    """A backend. Reads run without the writer lock; writes go through `unit_of_work()`."""

    # Whether a unit of work with several writes commits all of them or none even if the process or
    # server dies midway (a transaction Bundle needs it). False for MongoDB without a replica set: there
    # single-resource writes keep every guarantee above, but services refuse transaction Bundles.
    supports_transactions: bool

    def unit_of_work(self) -> AbstractContextManager[UnitOfWork]: ...

    def read(self, resource_type: str, id: str) -> StoredResource | None:
        """Current version, deletions included (`deleted=True`), None if never created."""
        ...

    def vread(self, resource_type: str, id: str, version: int) -> StoredResource | None: ...

    def checkpoint(self, name: str) -> bytes | None:
        """The value last committed by `UnitOfWork.save_checkpoint(name, ...)`, None if none."""
        ...

    def history(self, query: HistoryQuery) -> HistoryPage: ...

    def search(self, request: SearchRequest, *, with_total: bool, explain: bool = False) -> SearchPage:
        """`explain`: log (logger "fhir_server.explain") how the backend answers, e.g. the compiled
        query and its plan; never the bound values, which can be names or identifiers."""
        ...

    def column_values(self, request: SearchRequest, params: tuple[str, ...]) -> list[ColumnValue]:
        """Every index value under `params` of every current resource matching `request` (its paging,
        sort and cursor are ignored), read from the index alone, never from the resources' JSON:
        what reports aggregate (issue 10). Order unspecified; a resource without a value under a
        parameter yields nothing for it."""
        ...

    def summary_rows(self, kind: str, groups: Sequence[str]) -> list[SummaryRow] | None:
        """The rows of `kind` in `groups` (committed state). None when this backend keeps no summaries or
        the rows of `kind` are not complete (written before its Summarizer was installed, or by a
        process without it): the caller then computes from `column_values`, and an operator rebuilds."""
        ...

    def health(self) -> dict[str, object]:
        """Liveness facts for /health (backend name, schema version, counts); no personal data."""
        ...

    def close(self) -> None: ...
