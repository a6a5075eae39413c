"""The in-memory backend: the reference implementation and test oracle of the storage contract.

Plain dicts and lists, obviously correct rather than fast. Search delegates to `search.matcher`, the
same in-memory matching the SQL backends are checked against; chains and `_has` are first answered
here by searching the other type, so that the matcher stays pure. Nothing survives the process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace

from fhir_server.search.index import IndexValues
from fhir_server.search.matcher import matches
from fhir_server.search.request import (
    ChainQuery,
    Criterion,
    HasQuery,
    QueryValue,
    ReferenceQuery,
    SearchRequest,
    TokenQuery,
)
from fhir_server.search.sorting import SortValue, key_of, sort_point
from fhir_server.storage.base import (
    ColumnValue,
    HistoryPage,
    HistoryQuery,
    Method,
    SearchPage,
    StoredResource,
    Summaries,
    Summarizer,
    SummaryRow,
    UnitOfWork,
    VersionConflict,
    columns_of,
    index_columns,
)
from fhir_server.storage.versioning import (
    decode_cursor,
    decode_position,
    decode_sort_cursor,
    encode_cursor,
    encode_position,
    encode_sort_cursor,
    next_instant,
    stamp,
    to_us,
)
from fhir_server.types import Clock, JsonResource

_explain = logging.getLogger("fhir_server.explain")

Key = tuple[str, str]  # (resource type, id)


@dataclass(frozen=True, slots=True)
class _Current:
    stored: StoredResource
    index: IndexValues | None  # None once deleted: a deletion has no index rows


class MemoryStore:
    """Committed state is changed only by `_apply`, under `_state`; `_writer` is held for a whole unit
    of work so that read-check-write sequences are atomic."""

    supports_transactions = True  # a failed unit of work leaves nothing (nothing survives a crash)

    def __init__(self, clock: Clock, summarizers: Sequence[Summarizer] = ()) -> None:
        self._clock = clock
        self.summarizers = tuple(summarizers)
        # Derived rows (storage/base.py Summaries): (kind, key) -> (group, value); all complete, as the
        # store starts empty.
        self._summaries: dict[tuple[str, str], tuple[str, bytes]] = {}
        self._writer = threading.Lock()
        self._state = threading.Lock()
        self._current: dict[Key, _Current] = {}  # insertion order = creation order (the stable sort)
        self._versions: dict[Key, list[StoredResource]] = {}
        self._history: list[StoredResource] = []  # global sequence = position + 1
        self._checkpoints: dict[str, bytes] = {}

    @contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        with self._writer:
            uow = _MemoryUnitOfWork(self, self._clock)
            yield uow
            # Reached only when the block did not raise: a failed unit of work leaves nothing behind.
            self._apply(uow)

    def _apply(self, uow: _MemoryUnitOfWork) -> None:
        with self._state:
            self._current.update(uow.pending)
            self._checkpoints.update(uow.checkpoints)
            if uow.rows is not None:
                self._summaries = uow.rows.rows
            for stored in uow.new_versions:
                self._history.append(stored)
                self._versions.setdefault((stored.resource_type, stored.id), []).append(stored)

    def _snapshot(self) -> dict[Key, _Current]:
        with self._state:
            return dict(self._current)

    def _committed(self, key: Key) -> _Current | None:
        with self._state:
            return self._current.get(key)

    def read(self, resource_type: str, id: str) -> StoredResource | None:
        current = self._committed((resource_type, id))
        return None if current is None else current.stored

    def vread(self, resource_type: str, id: str, version: int) -> StoredResource | None:
        with self._state:
            versions = self._versions.get((resource_type, id), [])
            return versions[version - 1] if 1 <= version <= len(versions) else None

    def checkpoint(self, name: str) -> bytes | None:
        with self._state:
            return self._checkpoints.get(name)

    def history(self, query: HistoryQuery) -> HistoryPage:
        below = decode_cursor(query.cursor)
        with self._state:
            history = list(self._history)
        selected = [
            (sequence, stored)
            for sequence, stored in enumerate(history, start=1)
            if (query.resource_type is None or stored.resource_type == query.resource_type)
            and (query.id is None or stored.id == query.id)
            and (query.since is None or stored.last_updated >= query.since)
        ]
        selected.reverse()
        remaining = [(s, r) for s, r in selected if below is None or s < below]
        page = remaining[: max(query.count, 0)]
        more = len(remaining) > len(page) and bool(page)
        return HistoryPage(
            entries=[stored for _, stored in page],
            total=len(selected),
            next_cursor=encode_cursor(page[-1][0]) if more else None,
        )

    def search(self, request: SearchRequest, *, with_total: bool, explain: bool = False) -> SearchPage:
        if explain:  # no query to show: the kinds of criteria the matcher evaluates, no values
            _explain.info(
                "search explained",
                extra={
                    "backend": "memory",
                    "resource_type": request.resource_type,
                    "criteria": [f"{c.param}:{c.modifier or c.type}" for c in request.criteria],
                },
            )
        found = _matching_positions(self._snapshot(), request)
        if request.sort:
            # Keyset on (sort values, position): the order itself, so writes between pages shift nothing.
            sorted_after = decode_sort_cursor(request.cursor, request.sort)
            bound = None if sorted_after is None else (key_of(sorted_after[0], request.sort), sorted_after[1])
            remaining = [m for m in found if bound is None or (key_of(m[2], request.sort), m[0]) > bound]
        else:
            after = decode_position(request.cursor)
            remaining = [m for m in found if after is None or m[0] > after]
        start = max(request.offset, 0)
        page = remaining[start : start + max(request.count, 0)]
        more = bool(page) and len(remaining) > start + len(page)
        last = page[-1] if more else None
        next_cursor = None
        if last is not None:
            next_cursor = encode_sort_cursor(last[2], last[0]) if request.sort else encode_position(last[0])
        return SearchPage(
            resources=[stored for _, stored, _ in page],
            total=len(found) if with_total else None,
            next_cursor=next_cursor,
        )

    def column_values(self, request: SearchRequest, params: tuple[str, ...]) -> list[ColumnValue]:
        current = self._snapshot()
        wanted = frozenset(params)
        out: list[ColumnValue] = []
        for _, stored, _ in _matching_positions(current, replace(request, sort=())):
            index = current[(stored.resource_type, stored.id)].index
            if index is not None:
                out += [(stored.id, param, value) for param, value in index_columns(index) if param in wanted]
        return out

    def summary_rows(self, kind: str, groups: Sequence[str]) -> list[SummaryRow] | None:
        if not any(kind in s.kinds for s in self.summarizers):
            return None  # nobody keeps these rows here
        wanted = frozenset(groups)
        with self._state:
            rows = self._summaries
        return [
            (key, group, value) for (k, key), (group, value) in rows.items() if k == kind and group in wanted
        ]

    def _summary_copy(self) -> dict[tuple[str, str], tuple[str, bytes]]:
        with self._state:
            return dict(self._summaries)

    def health(self) -> dict[str, object]:
        with self._state:
            live = sum(1 for c in self._current.values() if not c.stored.deleted)
            versions = len(self._history)
        return {"backend": "memory", "resources": live, "versions": versions}

    def close(self) -> None:
        """Nothing to release."""


class _MemoryUnitOfWork:
    """Buffers writes; reads and searches inside the unit of work see them."""

    def __init__(self, store: MemoryStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self.pending: dict[Key, _Current] = {}
        self.new_versions: list[StoredResource] = []
        self.checkpoints: dict[str, bytes] = {}
        self.rows: _MemorySummaries | None = None  # copied from the store on first use

    def derived(self) -> Summaries | None:
        if self.rows is None:
            self.rows = _MemorySummaries(self._store._summary_copy())
        return self.rows

    def _summarize(self, resource_type: str, id: str, index: IndexValues | None) -> None:
        for summarizer in self._store.summarizers:
            if resource_type in summarizer.resource_types:
                rows = self.derived()
                assert rows is not None
                summarizer(rows, resource_type, id, None if index is None else columns_of(index))

    def _current(self, key: Key) -> _Current | None:
        return self.pending.get(key) or self._store._committed(key)

    def read(self, resource_type: str, id: str) -> StoredResource | None:
        current = self._current((resource_type, id))
        return None if current is None else current.stored

    def search_ids(self, request: SearchRequest, limit: int) -> list[str]:
        merged = {**self._store._snapshot(), **self.pending}
        return [stored.id for stored in _matching(merged, request)[: max(limit, 0)]]

    def write(
        self,
        resource: JsonResource,
        index: IndexValues,
        *,
        method: Method,
        expected_version: int | None = None,
    ) -> StoredResource:
        key: Key = (resource["resourceType"], resource["id"])
        current = self._current(key)
        current_version = None if current is None else current.stored.version
        if expected_version is not None and expected_version != current_version:
            raise VersionConflict(key[0], key[1], expected_version, current_version)
        version = (current_version or 0) + 1
        last_updated = next_instant(
            self._clock.now(), None if current is None else current.stored.last_updated
        )
        stored = StoredResource(
            key[0], key[1], version, last_updated, False, method, stamp(resource, version, last_updated)
        )
        self.pending[key] = _Current(stored, index)
        self.new_versions.append(stored)
        self._summarize(key[0], key[1], index)
        return stored

    def delete(
        self, resource_type: str, id: str, *, expected_version: int | None = None
    ) -> StoredResource | None:
        key: Key = (resource_type, id)
        current = self._current(key)
        if current is None or current.stored.deleted:
            return None
        if expected_version is not None and expected_version != current.stored.version:
            raise VersionConflict(resource_type, id, expected_version, current.stored.version)
        version = current.stored.version + 1
        last_updated = next_instant(self._clock.now(), current.stored.last_updated)
        stored = StoredResource(resource_type, id, version, last_updated, True, "DELETE", b"")
        self.pending[key] = _Current(stored, None)
        self.new_versions.append(stored)
        self._summarize(resource_type, id, None)
        return stored

    def reindex(self, resource_type: str, id: str, version: int, index: IndexValues) -> bool:
        key: Key = (resource_type, id)
        current = self._current(key)
        if current is None or current.stored.deleted or current.stored.version != version:
            return False
        self.pending[key] = _Current(current.stored, index)
        return True

    def save_checkpoint(self, name: str, value: bytes) -> None:
        self.checkpoints[name] = value


class _MemorySummaries:
    def __init__(self, rows: dict[tuple[str, str], tuple[str, bytes]]) -> None:
        self.rows = rows

    def summary(self, kind: str, key: str) -> tuple[str, bytes] | None:
        return self.rows.get((kind, key))

    def summaries(self, kind: str, group: str) -> list[SummaryRow]:
        return [(key, g, value) for (k, key), (g, value) in self.rows.items() if k == kind and g == group]

    def put_summary(self, kind: str, key: str, group: str, value: bytes) -> None:
        self.rows[(kind, key)] = (group, value)

    def delete_summary(self, kind: str, key: str) -> None:
        self.rows.pop((kind, key), None)

    def clear_summaries(self, kind: str) -> None:
        for found in [k for k in self.rows if k[0] == kind]:
            del self.rows[found]


def _matching(current: dict[Key, _Current], request: SearchRequest) -> list[StoredResource]:
    return [stored for _, stored, _ in _matching_positions(current, request)]


def _matching_positions(
    current: dict[Key, _Current], request: SearchRequest
) -> list[tuple[int, StoredResource, tuple[SortValue, ...]]]:
    """Matches with their creation position and sort values, in search order: keys are never removed
    from `current` (a deletion is a version), so a resource keeps its place in its insertion order, like
    SQLite's rid."""
    request = _resolved(current, request)
    found = [
        (position, entry.stored, sort_point(entry.index, id, to_us(entry.stored.last_updated), request.sort))
        for position, ((resource_type, id), entry) in enumerate(current.items(), start=1)
        if resource_type == request.resource_type
        and entry.index is not None
        and not entry.stored.deleted
        and matches(request, id, to_us(entry.stored.last_updated), entry.index)
    ]
    if request.sort:
        # A stable sort: ties keep creation order, like the SQL backends' final ORDER BY rid.
        found.sort(key=lambda f: key_of(f[2], request.sort))
    return found


def _resolved(current: dict[Key, _Current], request: SearchRequest) -> SearchRequest:
    """Chains and `_has` answered by searching the other resource type here, then turned into the plain
    reference / `_id` criteria that the (pure, one-resource) matcher understands."""
    every = [*request.criteria, *(c for group in request.alternatives for c in group)]
    if not any(isinstance(v, ChainQuery | HasQuery) for c in every for v in c.values):
        return request
    resource_type = request.resource_type
    return replace(
        request,
        criteria=tuple(_resolve_criterion(current, resource_type, c) for c in request.criteria),
        alternatives=tuple(
            tuple(_resolve_criterion(current, resource_type, c) for c in group)
            for group in request.alternatives
        ),
    )


def _resolve_criterion(current: dict[Key, _Current], resource_type: str, criterion: Criterion) -> Criterion:
    values: list[QueryValue] = []
    has = False
    for value in criterion.values:
        if isinstance(value, ChainQuery):
            targets = _matching(current, SearchRequest(value.target_type, (value.inner,)))
            values += [ReferenceQuery(value.target_type, stored.id, None) for stored in targets]
        elif isinstance(value, HasQuery):
            has = True
            referring = _matching(current, SearchRequest(value.referring_type, (value.inner,)))
            values += [
                TokenQuery(None, ref.target_id)
                for stored in referring
                if (index := current[(stored.resource_type, stored.id)].index) is not None
                for ref in index.references
                if ref.param == value.reference_param
                and ref.target_type == resource_type
                and ref.target_id is not None
            ]
        else:
            values.append(value)
    if has:  # a `_has` criterion: the ids of the resources referred to
        return Criterion("_id", "token", None, tuple(dict.fromkeys(values)))
    return Criterion(criterion.param, criterion.type, criterion.modifier, tuple(values), criterion.missing)
