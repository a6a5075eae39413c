"""Writing the index IR of one resource into the index tables (one table per IR kind)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Final

from fhir_server.search.index import IndexValues
from fhir_server.storage.sqlite.schema import INDEX_TABLES


def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    names = ", ".join(("rid", "resource_type", "param", *columns))
    marks = ", ".join("?" * (len(columns) + 3))
    return f"INSERT INTO {table} ({names}) VALUES ({marks})"


_INSERT: Final = {kind: _insert_sql(table, columns) for kind, (table, columns) in INDEX_TABLES.items()}
_DELETE: Final = tuple(f"DELETE FROM {table} WHERE rid = ?" for table, _ in INDEX_TABLES.values())


def delete_index(conn: sqlite3.Connection, rid: int) -> None:
    for statement in _DELETE:
        conn.execute(statement, (rid,))


def insert_index(conn: sqlite3.Connection, rid: int, resource_type: str, index: IndexValues) -> None:
    """Insert the rows of `index` (the resource's previous rows must already be gone)."""
    head = (rid, resource_type)
    rows: dict[str, Sequence[tuple[object, ...]]] = {
        "string": [(*head, v.param, v.normalized, v.exact) for v in index.strings],
        "token": [(*head, v.param, v.system, v.code, v.display) for v in index.tokens],
        "date": [(*head, v.param, v.low, v.high) for v in index.dates],
        "reference": [(*head, v.param, v.target_type, v.target_id, v.url) for v in index.references],
        "number": [(*head, v.param, float(v.value), float(v.low), float(v.high)) for v in index.numbers],
        "quantity": [
            (*head, v.param, float(v.value), float(v.low), float(v.high), v.system, v.code, v.unit)
            for v in index.quantities
        ],
        "uri": [(*head, v.param, v.uri) for v in index.uris],
    }
    for kind, values in rows.items():
        if values:
            conn.executemany(_INSERT[kind], values)
