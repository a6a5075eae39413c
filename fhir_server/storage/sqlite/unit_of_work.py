"""The SQLite unit of work: the statements of one write transaction. The store opens the transaction
(BEGIN IMMEDIATE, so no other writer runs meanwhile) and commits or rolls it back."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from fhir_server.search.index import IndexValues
from fhir_server.search.request import SearchRequest
from fhir_server.storage.base import (
    Method,
    StoredResource,
    Summaries,
    Summarizer,
    VersionConflict,
    columns_of,
)
from fhir_server.storage.sqlite.index_rows import delete_index, insert_index
from fhir_server.storage.sqlite.query import ids_statement
from fhir_server.storage.sqlite.records import CURRENT_COLUMNS, CURRENT_FROM, to_stored
from fhir_server.storage.sqlite.summaries import SqliteSummaries
from fhir_server.storage.versioning import from_us, next_instant, stamp, to_us
from fhir_server.types import Clock, JsonResource

READ_CURRENT = f"SELECT {CURRENT_COLUMNS} FROM {CURRENT_FROM} WHERE r.resource_type = ? AND r.id = ?"
_STATE = "SELECT rid, version, last_updated, deleted FROM resources WHERE resource_type = ? AND id = ?"
_INSERT_RESOURCE = (
    "INSERT INTO resources (resource_type, id, version, last_updated, deleted) VALUES (?, ?, ?, ?, ?)"
)
_UPDATE_RESOURCE = "UPDATE resources SET version = ?, last_updated = ?, deleted = ? WHERE rid = ?"
_INSERT_HISTORY = (
    "INSERT INTO history (rid, resource_type, version, last_updated, deleted, method, body)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)


_SAVE_CHECKPOINT = "INSERT OR REPLACE INTO checkpoints (name, value) VALUES (?, ?)"


class SqliteUnitOfWork:
    def __init__(
        self, conn: sqlite3.Connection, clock: Clock, summarizers: Sequence[Summarizer] = ()
    ) -> None:
        self._conn = conn
        self._clock = clock
        self._summarizers = tuple(summarizers)
        self._summaries = SqliteSummaries(conn)

    def derived(self) -> Summaries | None:
        return self._summaries

    def read(self, resource_type: str, id: str) -> StoredResource | None:
        row = self._conn.execute(READ_CURRENT, (resource_type, id)).fetchone()
        return None if row is None else to_stored(row)

    def search_ids(self, request: SearchRequest, limit: int) -> list[str]:
        statement = ids_statement(request, max(limit, 0))
        return [row[0] for row in self._conn.execute(statement.sql, statement.params)]

    def write(
        self,
        resource: JsonResource,
        index: IndexValues,
        *,
        method: Method,
        expected_version: int | None = None,
    ) -> StoredResource:
        resource_type, id = resource["resourceType"], resource["id"]
        state = self._conn.execute(_STATE, (resource_type, id)).fetchone()
        current = None if state is None else int(state[1])
        if expected_version is not None and expected_version != current:
            raise VersionConflict(resource_type, id, expected_version, current)
        version = (current or 0) + 1
        last_updated = next_instant(self._clock.now(), None if state is None else from_us(state[2]))
        body = stamp(resource, version, last_updated)
        if state is None:
            cursor = self._conn.execute(
                _INSERT_RESOURCE, (resource_type, id, version, to_us(last_updated), 0)
            )
            rid = cursor.lastrowid
            assert rid is not None  # an INSERT into a rowid table always sets it
        else:
            rid = int(state[0])
            self._conn.execute(_UPDATE_RESOURCE, (version, to_us(last_updated), 0, rid))
            delete_index(self._conn, rid)
        self._conn.execute(
            _INSERT_HISTORY, (rid, resource_type, version, to_us(last_updated), 0, method, body)
        )
        insert_index(self._conn, rid, resource_type, index)
        for summarizer in self._summarizers:
            if resource_type in summarizer.resource_types:
                summarizer(self._summaries, resource_type, id, columns_of(index))
        return StoredResource(resource_type, id, version, last_updated, False, method, body)

    def delete(
        self, resource_type: str, id: str, *, expected_version: int | None = None
    ) -> StoredResource | None:
        state = self._conn.execute(_STATE, (resource_type, id)).fetchone()
        if state is None or state[3]:
            return None
        rid, current = int(state[0]), int(state[1])
        if expected_version is not None and expected_version != current:
            raise VersionConflict(resource_type, id, expected_version, current)
        version = current + 1
        last_updated = next_instant(self._clock.now(), from_us(state[2]))
        self._conn.execute(_UPDATE_RESOURCE, (version, to_us(last_updated), 1, rid))
        self._conn.execute(
            _INSERT_HISTORY, (rid, resource_type, version, to_us(last_updated), 1, "DELETE", b"")
        )
        delete_index(self._conn, rid)
        for summarizer in self._summarizers:
            if resource_type in summarizer.resource_types:
                summarizer(self._summaries, resource_type, id, None)
        return StoredResource(resource_type, id, version, last_updated, True, "DELETE", b"")

    def reindex(self, resource_type: str, id: str, version: int, index: IndexValues) -> bool:
        state = self._conn.execute(_STATE, (resource_type, id)).fetchone()
        if state is None or state[3] or int(state[1]) != version:
            return False
        rid = int(state[0])
        delete_index(self._conn, rid)
        insert_index(self._conn, rid, resource_type, index)
        return True

    def save_checkpoint(self, name: str, value: bytes) -> None:
        self._conn.execute(_SAVE_CHECKPOINT, (name, value))
