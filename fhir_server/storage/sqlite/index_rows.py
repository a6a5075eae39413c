"""Writing the index IR of one resource into `idx` (see schema.py): one row per distinct value, the n-th
at rowid `rid << ROW_BITS | n`, so that the resource's rows are replaced by deleting one rowid range."""

from __future__ import annotations

import sqlite3
from itertools import product
from typing import Final

from fhir_server.search.index import (
    ComponentValue,
    DateValue,
    IndexValues,
    NumberValue,
    QuantityValue,
    ReferenceValue,
    StringValue,
    TokenValue,
)
from fhir_server.storage.sqlite.schema import INDEX_KINDS, ROW_BITS, VALUE_COLUMNS

# Ignored (no page written) once the (type, param, kind) has its pid.
_PARAM: Final = "INSERT OR IGNORE INTO params (resource_type, kind, param) VALUES (?, ?, ?)"
_INSERT: Final = (
    f"INSERT INTO idx (entry, pid, {', '.join(VALUE_COLUMNS)}) VALUES (?, (SELECT pid FROM params"
    f" WHERE resource_type = ? AND kind = ? AND param = ?), {', '.join('?' * len(VALUE_COLUMNS))})"
)
# Written only when the range is wider than any before under the pid: no page dirtied otherwise.
_WIDEN: Final = (
    "UPDATE params SET width = ? WHERE resource_type = ? AND kind = ? AND param = ?"
    " AND (width IS NULL OR width < ?)"
)
_DELETE: Final = "DELETE FROM idx WHERE entry >= ? AND entry < ?"
_CODE: Final = {kind: code for kind, (code, _, _) in INDEX_KINDS.items()}

Row = tuple[object, ...]  # (kind code, param, values of k1, k2, ...)


def delete_index(conn: sqlite3.Connection, rid: int) -> None:
    conn.execute(_DELETE, (rid << ROW_BITS, (rid + 1) << ROW_BITS))


def insert_index(conn: sqlite3.Connection, rid: int, resource_type: str, index: IndexValues) -> None:
    """Insert the rows of `index` (the resource's previous rows must already be gone). A duplicate row
    is written once: it would cost a page write and change no search. Date rows widen their pid's
    `width` (schema.py) when they are wider than any before."""
    rows = list(dict.fromkeys(_rows(index)))
    if len(rows) >= 1 << ROW_BITS:
        raise ValueError(f"A resource cannot have {len(rows)} index rows")
    conn.executemany(_PARAM, [(resource_type, *key) for key in dict.fromkeys(row[:2] for row in rows)])
    widths: dict[str, int] = {}
    for date in index.dates:
        widths[date.param] = max(widths.get(date.param, 0), date.high - date.low)
    date_kind = _CODE["date"]
    conn.executemany(
        _WIDEN, [(width, resource_type, date_kind, param, width) for param, width in widths.items()]
    )
    first, width = rid << ROW_BITS, len(VALUE_COLUMNS) + 2
    conn.executemany(
        _INSERT,
        [(first + n, resource_type, *row, *(None,) * (width - len(row))) for n, row in enumerate(rows)],
    )


def _rows(index: IndexValues) -> list[Row]:
    code = _CODE
    rows: list[Row] = [(code["string"], v.param, v.normalized, v.exact) for v in index.strings]
    rows += [(code["token"], v.param, v.code, v.system, v.display) for v in index.tokens]
    rows += [(code["date"], v.param, v.low, v.high) for v in index.dates]
    for reference in index.references:
        rows += _reference_rows(reference)
    rows += [(code["number"], v.param, float(v.value), float(v.low), float(v.high)) for v in index.numbers]
    for v in index.quantities:
        written = (float(v.value), float(v.low), float(v.high), v.system, v.code, v.unit)
        rows.append((code["quantity"], v.param, *written, *_canonical(v)))
    rows += [(code["uri"], v.param, v.uri) for v in index.uris]
    for composite in index.composites:
        for values in product(*(_part_values(part) for part in composite.parts)):
            flat = tuple(value for part in values for value in part)
            if len(flat) <= len(VALUE_COLUMNS):  # search.composite keeps combinations that fit
                rows.append((code["composite"], composite.param, *flat))
    return rows


def _part_values(part: ComponentValue) -> list[tuple[object, ...]]:
    """The values of a composite part in the order of schema.COMPOSITE_SLOTS (a reference: its id row
    and/or url row, as `_reference_rows` writes them)."""
    match part:
        case TokenValue():
            return [(part.code, part.system)]
        case QuantityValue():
            return [(float(part.value), part.system, part.code, part.unit, *_canonical(part))]
        case NumberValue():
            return [(float(part.value),)]
        case DateValue():
            return [(part.low, part.high)]
        case StringValue():
            return [(part.normalized, part.exact)]
        case ReferenceValue():
            return [row[2:] for row in _reference_rows(part)]
        case _:
            return [(part.uri,)]


def _canonical(v: QuantityValue) -> tuple[object, ...]:
    """k7, k8 of a quantity row (left NULL when the unit has no canonical form)."""
    return () if v.canonical_code is None else (v.canonical_value, v.canonical_code)


def _reference_rows(ref: ReferenceValue) -> list[Row]:
    """An id row to search by id, a url row to search by the url as written. Most references are just
    `Type/id`: their id row is marked `plain` and stands for the url row, saving a page write per
    reference; predicates.reference_predicate looks a url of that form up as an id row."""
    code = _CODE["reference"]
    target_type = ref.target_type or ""
    plain = (
        ref.target_id is not None
        and target_type != ""
        and "/" not in target_type
        and "|" not in ref.url
        and ref.url == f"{target_type}/{ref.target_id}"
    )
    rows: list[Row] = []
    if ref.target_id is not None:
        rows.append((code, ref.param, ref.target_id, target_type, int(plain)))
    if not plain:
        rows.append((code, ref.param, ref.url, None, None))
    return rows
