"""The embedded SQLite backend (DESIGN.md §5): WAL, one connection per thread, one writer at a time.

Within a process a lock orders the writers; across processes `BEGIN IMMEDIATE` does (see locking.py).
Reads run without either, on the calling thread's own connection, and see the last committed state.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from fhir_server.search.request import SearchRequest
from fhir_server.storage.base import (
    REINDEX_OWED,
    ColumnValue,
    HistoryPage,
    HistoryQuery,
    SearchPage,
    StoredResource,
    StoreUnavailable,
    Summarizer,
    SummaryRow,
    UnitOfWork,
)
from fhir_server.storage.sqlite.columns import column_values
from fhir_server.storage.sqlite.criteria import Statement
from fhir_server.storage.sqlite.explain import log_plan
from fhir_server.storage.sqlite.first_page import count_statement
from fhir_server.storage.sqlite.locking import begin_immediate, connect
from fhir_server.storage.sqlite.predicates import Params
from fhir_server.storage.sqlite.query import page_statements
from fhir_server.storage.sqlite.records import VERSION_COLUMNS, VERSION_FROM, to_stored
from fhir_server.storage.sqlite.schema import migrate, schema_version
from fhir_server.storage.sqlite.summaries import is_complete, read_rows, reconcile_markers
from fhir_server.storage.sqlite.unit_of_work import READ_CURRENT, SqliteUnitOfWork
from fhir_server.storage.versioning import (
    decode_cursor,
    encode_cursor,
    encode_position,
    encode_sort_cursor,
    to_us,
)
from fhir_server.types import Clock

_log = logging.getLogger("fhir_server.storage.sqlite")
_VREAD = (
    f"SELECT {VERSION_COLUMNS} FROM {VERSION_FROM} WHERE r.resource_type = ? AND r.id = ? AND h.version = ?"
)


class SqliteStore:
    supports_transactions = True  # one SQLite transaction per unit of work

    def __init__(
        self, path: Path, clock: Clock, *, lock_timeout: float = 5.0, summarizers: Sequence[Summarizer] = ()
    ) -> None:
        self._path = path
        self._clock = clock
        self._lock_timeout = lock_timeout  # the longest a writer waits for the lock before a 503
        self._writer = threading.Lock()
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._closed = False
        self._schema_version = migrate(self._connection(), lock_timeout)
        if self.checkpoint(REINDEX_OWED):
            _log.warning(
                "The SQLite file holds index rows written by an older version: run `fhir-server reindex`"
                " so that those resources get the rows added since (composites, canonical UCUM quantities)"
            )
        self._summarizers = tuple(summarizers)
        with self.unit_of_work():
            reconcile_markers(self._connection(), self._summarizers)

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise StoreUnavailable("The store is closed")
            conn = connect(self._path)
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def _read_transaction(self) -> Iterator[sqlite3.Connection]:
        """Several SELECTs (a page and its total) answered from one snapshot."""
        conn = self._connection()
        if conn.in_transaction:  # called inside this thread's own unit of work: already one snapshot
            yield conn
            return
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    @contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        conn = self._connection()
        if not self._writer.acquire(timeout=self._lock_timeout):
            raise StoreUnavailable("Another writer held the store for too long")
        try:
            begin_immediate(conn, self._lock_timeout)
            try:
                yield SqliteUnitOfWork(conn, self._clock, self._summarizers)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            try:
                conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise StoreUnavailable(f"The transaction could not be committed: {exc}") from exc
        finally:
            self._writer.release()

    def read(self, resource_type: str, id: str) -> StoredResource | None:
        row = self._connection().execute(READ_CURRENT, (resource_type, id)).fetchone()
        return None if row is None else to_stored(row)

    def vread(self, resource_type: str, id: str, version: int) -> StoredResource | None:
        row = self._connection().execute(_VREAD, (resource_type, id, version)).fetchone()
        return None if row is None else to_stored(row)

    def checkpoint(self, name: str) -> bytes | None:
        row = self._connection().execute("SELECT value FROM checkpoints WHERE name = ?", (name,)).fetchone()
        return None if row is None else bytes(row[0])

    def history(self, query: HistoryQuery) -> HistoryPage:
        clauses: list[str] = []
        params: list[object] = []
        with self._read_transaction() as conn:
            if query.resource_type is not None:
                clauses.append("h.resource_type = ?")
                params.append(query.resource_type)
            if query.id is not None:
                row = conn.execute(
                    "SELECT rid FROM resources WHERE resource_type = ? AND id = ?",
                    (query.resource_type, query.id),
                ).fetchone()
                if row is None:
                    return HistoryPage(entries=[], total=0, next_cursor=None)
                clauses.append("h.rid = ?")
                params.append(row[0])
            if query.since is not None:
                clauses.append("h.last_updated >= ?")
                params.append(to_us(query.since))
            condition = " AND ".join(clauses) or "1"
            total = conn.execute(f"SELECT count(*) FROM history h WHERE {condition}", params).fetchone()[0]
            below = decode_cursor(query.cursor)
            if below is not None:
                condition += " AND h.seq < ?"
                params.append(below)
            count = max(query.count, 0)
            rows = conn.execute(
                f"SELECT h.seq, {VERSION_COLUMNS} FROM {VERSION_FROM} WHERE {condition}"
                " ORDER BY h.seq DESC LIMIT ?",
                (*params, count + 1),
            ).fetchall()
        page = rows[:count]
        more = len(rows) > count and bool(page)
        return HistoryPage(
            entries=[to_stored(row[1:]) for row in page],
            total=int(total),
            next_cursor=encode_cursor(int(page[-1][0])) if more else None,
        )

    def search(self, request: SearchRequest, *, with_total: bool, explain: bool = False) -> SearchPage:
        with self._read_transaction() as conn:
            estimates: dict[tuple[str, Params], int] = {}  # the page and the total plan alike

            def estimate(statement: Statement) -> int:
                key = (statement.sql, statement.params)
                if key not in estimates:
                    if explain:
                        log_plan(conn, request.resource_type, "estimate", statement)
                    estimates[key] = int(conn.execute(statement.sql, statement.params).fetchone()[0])
                return estimates[key]

            plan = page_statements(request, estimate)
            for n, page in enumerate(plan, start=1):
                if explain:
                    log_plan(conn, request.resource_type, "page", page)
                rows = conn.execute(page.sql, page.params).fetchall()
                if len(rows) > max(request.count, 0) or n == len(plan):
                    break  # a tentative statement counts only when it filled the page
            shown = rows[: max(request.count, 0)]
            more = len(rows) > len(shown) and bool(shown)
            keys = len(request.sort)  # sorted rows carry their sort values after the rid
            resources = [to_stored(row[1 + keys :]) for row in shown]
            total: int | None = None
            if with_total:
                counting = count_statement(request, estimate)
                if explain:
                    log_plan(conn, request.resource_type, "total", counting)
                total = int(conn.execute(counting.sql, counting.params).fetchone()[0])
        next_cursor = None
        if more:
            last = shown[-1]
            position = int(last[0])
            next_cursor = (
                encode_sort_cursor(last[1 : 1 + keys], position) if keys else encode_position(position)
            )
        return SearchPage(resources=resources, total=total, next_cursor=next_cursor)

    def column_values(self, request: SearchRequest, params: tuple[str, ...]) -> list[ColumnValue]:
        with self._read_transaction() as conn:
            return column_values(conn, request, params)

    def summary_rows(self, kind: str, groups: Sequence[str]) -> list[SummaryRow] | None:
        with self._read_transaction() as conn:
            return read_rows(conn, kind, groups) if is_complete(conn, kind) else None

    def health(self) -> dict[str, object]:
        conn = self._connection()
        live = conn.execute("SELECT count(*) FROM resources WHERE deleted = 0").fetchone()[0]
        return {
            "backend": "sqlite",
            "path": str(self._path),
            "schema_version": schema_version(conn),
            "resources": int(live),
        }

    def close(self) -> None:
        """Close every thread's connection; the store cannot be used afterwards."""
        with self._connections_lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()
        self._local = threading.local()
