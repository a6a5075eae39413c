"""Re-index: rebuild the index rows of every current resource from its stored body (`fhir-server reindex`).

Needed when what is extracted changes: a SearchParameter added or fixed, a new kind of row (composite rows
came with SQLite schema v2, canonical UCUM quantities with v4), so that resources written before the
change are found like new ones. No resource gets a new version: `UnitOfWork.reindex` replaces the rows of
the version that was read, and skips a resource written meanwhile (that write indexed it already).

Bounded memory: one page of BATCH bodies at a time, read in creation order by keyset cursor. Resumable:
each batch commits with a checkpoint naming where the next one starts, so an interrupted run, started again
with the same types, goes on from there; a finished run is started over from the beginning.
Progress goes to `report` as counts and type names only, never values from the resources.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from fhir_server.model.json import loads
from fhir_server.search.extract import Extractor
from fhir_server.search.request import SearchRequest
from fhir_server.storage.base import REINDEX_OWED, Store

CHECKPOINT = "reindex"
BATCH = 500


@dataclass(slots=True)
class ReindexSummary:
    indexed: dict[str, int] = field(default_factory=dict)  # by type: rows rebuilt
    skipped: int = 0  # written or deleted between the read and the rebuild: indexed by that write
    resumed_from: str | None = None  # the type an interrupted run was resumed at


class Reindexer:
    def __init__(
        self,
        store: Store,
        extractor: Extractor,
        *,
        batch: int = BATCH,
        report: Callable[[str], None] = lambda line: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._extractor = extractor
        self._batch = max(batch, 1)
        self._report = report
        self._clock = clock

    def run(self, types: Sequence[str], *, restart: bool = False, every_type: bool = False) -> ReindexSummary:
        """Re-index the current resources of `types`, in that order. `every_type`: `types` are all the
        types there are, so a finished run pays the re-index a migration said was owed (REINDEX_OWED)."""
        summary = ReindexSummary()
        state = None if restart else self._resumable(types)
        start, cursor = (0, None) if state is None else state
        if state is not None and start < len(types):
            summary.resumed_from = types[start]
            self._report(f"resuming an interrupted re-index at {types[start]}")
        for at in range(start, len(types)):
            resource_type = types[at]
            count = self._type(types, at, cursor, summary)
            cursor = None
            if count:
                summary.indexed[resource_type] = count
        with self._store.unit_of_work() as uow:
            uow.save_checkpoint(CHECKPOINT, _state(types, len(types), None, complete=True))
            if every_type and self._store.checkpoint(REINDEX_OWED):
                uow.save_checkpoint(REINDEX_OWED, b"")
        total = sum(summary.indexed.values())
        self._report(
            f"re-indexed {total:,} resources of {len(summary.indexed)} types; skipped {summary.skipped}"
        )
        return summary

    def _type(self, types: Sequence[str], at: int, cursor: str | None, summary: ReindexSummary) -> int:
        resource_type = types[at]
        started, count, last_report = self._clock(), 0, self._clock()
        while True:
            request = SearchRequest(resource_type, count=self._batch, cursor=cursor)
            page = self._store.search(request, with_total=False)
            # Extract before the unit of work: the writer's lock is held only for the row writes.
            rows = [
                (stored.id, stored.version, self._extractor.extract(loads(stored.body)))
                for stored in page.resources
            ]
            cursor = page.next_cursor if page.resources else None
            with self._store.unit_of_work() as uow:
                for id, version, index in rows:
                    if uow.reindex(resource_type, id, version, index):
                        count += 1
                    else:
                        summary.skipped += 1
                uow.save_checkpoint(CHECKPOINT, _state(types, at, cursor))
            now = self._clock()
            if now - last_report >= 5.0 and cursor is not None:
                rate = count / max(now - started, 1e-9)
                self._report(f"{resource_type}: {count:,} re-indexed ({rate:,.0f}/s)")
                last_report = now
            if cursor is None:
                break
        if count:
            rate = count / max(self._clock() - started, 1e-9)
            self._report(f"{resource_type}: {count:,} re-indexed ({rate:,.0f}/s)")
        return count

    def _resumable(self, types: Sequence[str]) -> tuple[int, str | None] | None:
        """Where an unfinished run over the same types stopped (type position, cursor), if there is one."""
        saved = self._store.checkpoint(CHECKPOINT)
        if saved is None:
            return None
        try:
            state = json.loads(saved)
        except ValueError:
            return None
        if not isinstance(state, dict) or state.get("complete") or state.get("types") != list(types):
            return None
        at, cursor = state.get("at"), state.get("cursor")
        if not isinstance(at, int) or not 0 <= at <= len(types) or not isinstance(cursor, str | None):
            return None
        return at, cursor


def _state(types: Sequence[str], at: int, cursor: str | None, *, complete: bool = False) -> bytes:
    """Where the next batch starts: `types[at]` after `cursor` (None: from its beginning)."""
    if cursor is None and not complete:
        at += 1  # this type is done: the next run starts the following one
    return json.dumps({"types": list(types), "at": at, "cursor": cursor, "complete": complete}).encode()
