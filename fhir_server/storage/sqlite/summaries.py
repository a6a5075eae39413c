"""Derived rows (storage/base.py `Summaries`) in the `summaries` table (schema version 4), written in the
unit of work's own transaction, and the markers saying which kinds are complete."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from fhir_server.storage.base import Summarizer, SummaryRow, summary_marker

_CHUNK = 500  # groups per statement, well under SQLite's bound-variable limit
GROUP_ROWS = (
    "SELECT key, grp, value FROM summaries INDEXED BY summaries_group WHERE kind = ? AND grp IN ({marks})"
)


class SqliteSummaries:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def summary(self, kind: str, key: str) -> tuple[str, bytes] | None:
        row = self._conn.execute(
            "SELECT grp, value FROM summaries WHERE kind = ? AND key = ?", (kind, key)
        ).fetchone()
        return None if row is None else (str(row[0]), bytes(row[1]))

    def summaries(self, kind: str, group: str) -> list[SummaryRow]:
        return read_rows(self._conn, kind, [group])

    def put_summary(self, kind: str, key: str, group: str, value: bytes) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO summaries (kind, key, grp, value) VALUES (?, ?, ?, ?)",
            (kind, key, group, value),
        )

    def delete_summary(self, kind: str, key: str) -> None:
        self._conn.execute("DELETE FROM summaries WHERE kind = ? AND key = ?", (kind, key))

    def clear_summaries(self, kind: str) -> None:
        self._conn.execute("DELETE FROM summaries WHERE kind = ?", (kind,))


def read_rows(conn: sqlite3.Connection, kind: str, groups: Sequence[str]) -> list[SummaryRow]:
    out: list[SummaryRow] = []
    unique = sorted(set(groups))
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        # INDEXED BY: without statistics SQLite prefers the primary key's `kind` prefix and scans every row
        # of the kind (all the doses of the country) to find one child's: each write then grew with the
        # store (2,800 -> 500 resources/s over 45,000 resources).
        rows = conn.execute(GROUP_ROWS.format(marks=marks), (kind, *chunk))
        out += [(str(key), str(grp), bytes(value)) for key, grp, value in rows]
    return out


def is_complete(conn: sqlite3.Connection, kind: str) -> bool:
    row = conn.execute("SELECT 1 FROM checkpoints WHERE name = ?", (summary_marker(kind),)).fetchone()
    return row is not None


def reconcile_markers(conn: sqlite3.Connection, summarizers: Sequence[Summarizer]) -> None:
    """Inside a write transaction, when the store opens: a kind no installed summarizer keeps loses its
    marker (writes by this process would leave its rows behind); a kept kind without a marker gets one
    when no resource it derives from exists yet (its rows are trivially complete)."""
    kept = {kind for s in summarizers for kind in s.kinds}
    for (name,) in conn.execute("SELECT name FROM checkpoints WHERE name LIKE 'summary:%'").fetchall():
        if str(name).removeprefix("summary:") not in kept:
            conn.execute("DELETE FROM checkpoints WHERE name = ?", (name,))
    for summarizer in summarizers:
        types = sorted(summarizer.resource_types)
        marks = ", ".join("?" * len(types))
        any_source = conn.execute(
            f"SELECT 1 FROM resources WHERE resource_type IN ({marks}) LIMIT 1", types
        ).fetchone()
        if any_source is None:
            for kind in summarizer.kinds:
                conn.execute(
                    "INSERT OR IGNORE INTO checkpoints (name, value) VALUES (?, ?)",
                    (summary_marker(kind), b"1"),
                )
