"""`Store.column_values` for SQLite: the index rows of the matching resources under some parameters, in
one statement. A resource's rows are one rowid range of `idx` (schema.py), so the join seeks that range
for each match instead of reading the resource's JSON."""

from __future__ import annotations

import sqlite3

from fhir_server.search.request import SearchRequest
from fhir_server.storage.base import ColumnValue
from fhir_server.storage.sqlite.criteria import where
from fhir_server.storage.sqlite.schema import INDEX_KINDS, ROW_BITS

_KIND_NAMES = {code: kind for kind, (code, _, _) in INDEX_KINDS.items()}


def _value(kind: str, k1: object, k2: object) -> str | int | float | None:
    """The scalar `Store.column_values` documents for one row; None for rows it leaves out."""
    if kind == "token":
        return f"{k2 or ''}|{k1 or ''}"
    if kind == "reference":
        return str(k1) if k2 is not None else None  # id rows only: url rows repeat or lack the id
    if kind == "string":
        return str(k2)
    if kind == "composite":
        return None
    if isinstance(k1, int | float | str):
        return k1
    return None


def column_values(
    conn: sqlite3.Connection, request: SearchRequest, params: tuple[str, ...]
) -> list[ColumnValue]:
    if not params:
        return []
    marks = ", ".join("?" * len(params))
    pids = {
        int(pid): (str(param), _KIND_NAMES[int(kind)])
        for pid, param, kind in conn.execute(
            f"SELECT pid, param, kind FROM params WHERE resource_type = ? AND param IN ({marks})",
            (request.resource_type, *params),
        )
    }
    if not pids:
        return []
    sql, bound = where(request)
    pid_marks = ", ".join("?" * len(pids))
    rows = conn.execute(
        f"SELECT r.id, i.pid, i.k1, i.k2 FROM resources r CROSS JOIN idx i NOT INDEXED"
        f" ON i.entry >= (r.rid << {ROW_BITS}) AND i.entry < ((r.rid + 1) << {ROW_BITS})"
        f" WHERE {sql} AND i.pid IN ({pid_marks})",
        (*bound, *pids),
    )
    out: list[ColumnValue] = []
    for rid, pid, k1, k2 in rows:
        param, kind = pids[int(pid)]
        value = _value(kind, k1, k2)
        if value is not None:
            out.append((str(rid), param, value))
    return out
