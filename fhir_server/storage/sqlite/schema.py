"""The SQLite schema and its migrations. `schema_version` holds the number of migrations applied;
a migration is appended here, never edited once released.

Times are integer microseconds since the Unix epoch (UTC), like the index IR, so that comparisons
are plain integer comparisons. `resources` holds one row per (type, id) with its current version
(deletions included); bodies live in `history` only, so each version is written once.
"""

from __future__ import annotations

import sqlite3
from typing import Final

from fhir_server.storage.sqlite.locking import begin_immediate

# Index rows (DESIGN.md §5). Every write dirties, in each B-tree it touches, at least one page, and each
# dirty page costs a WAL frame at COMMIT; so the rows of every IR kind share one table, `idx`, whose only
# index is the search index `idx_search (pid, k1, k2)`:
# - `entry`, the rowid, is `rid << ROW_BITS | n`: a resource's rows are one rowid range, appended
#   together and deleted by range, with no index on rid; the search index holds the rowid, hence the rid.
# - `pid` numbers (resource_type, param, kind) in `params`, which keeps the search index narrow (fewer
#   pages, fewer splits). Queries look the pid up in a scalar subquery (query.py).
# - k1..k6 hold the values; the view of each kind names them for the predicates (predicates.py).
ROW_BITS: Final = 20
VALUE_COLUMNS: Final = ("k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8")
_V1_WIDTH: Final = 6  # k7, k8 came with version 4: the views of versions 1-3 name k1..k6 only

# By IR kind: (kind code in `params`, view, names of its value columns k1, k2, ...). k1 and k2, the
# indexed columns, are what the kind's searches seek on.
INDEX_KINDS: Final[dict[str, tuple[int, str, tuple[str, ...]]]] = {
    "string": (1, "idx_string", ("normalized", "exact")),
    "token": (2, "idx_token", ("code", "system", "display")),
    "date": (3, "idx_date", ("low", "high")),
    # An id row (value = target id, target_type = type or '') and/or a url row (value = url as written,
    # target_type NULL). An id row with `plain` = 1 has url `type/id` and no url row (index_rows.py).
    "reference": (4, "idx_reference", ("value", "target_type", "plain")),
    "number": (5, "idx_number", ("value", "low", "high")),
    # canonical, canonical_code: the value in its UCUM canonical unit and that unit (version 4).
    "quantity": (
        6,
        "idx_quantity",
        ("value", "low", "high", "system", "code", "unit", "canonical", "canonical_code"),
    ),
    "uri": (7, "idx_uri", ("uri",)),
    # One row per combination of a composite's component values (search.composite): the parts' values
    # side by side, each part in the columns COMPOSITE_SLOTS gives its type (version 2).
    "composite": (8, "idx_composite", VALUE_COLUMNS),
}
_V1_KINDS: Final = ("string", "token", "date", "reference", "number", "quantity", "uri")

# The values a composite part of each type keeps, in the names its kind's predicates use
# (predicates.py): the first part's first value is k1, the one the search index seeks.
COMPOSITE_SLOTS: Final[dict[str, tuple[str, ...]]] = {
    "token": ("code", "system"),
    "quantity": ("value", "system", "code", "unit", "canonical", "canonical_code"),
    "number": ("value",),
    "date": ("low", "high"),
    "string": ("normalized", "exact"),
    "reference": ("value", "target_type", "plain"),
    "uri": ("uri",),
}


def _view(view: str, columns: tuple[str, ...], width: int = len(VALUE_COLUMNS)) -> str:
    named = ", ".join(f"{k} AS {name}" for k, name in zip(VALUE_COLUMNS[:width], columns, strict=False))
    return f"CREATE VIEW {view} AS SELECT entry >> {ROW_BITS} AS rid, pid, {named} FROM idx"


_V1: Final[tuple[str, ...]] = (
    """CREATE TABLE resources (
        rid INTEGER PRIMARY KEY,
        resource_type TEXT NOT NULL,
        id TEXT NOT NULL,
        version INTEGER NOT NULL,
        last_updated INTEGER NOT NULL,
        deleted INTEGER NOT NULL,
        UNIQUE (resource_type, id)
    )""",
    # An index on resource_type is implicitly ordered by rowid within a type: the stable search order.
    "CREATE INDEX resources_type ON resources (resource_type)",
    """CREATE TABLE history (
        seq INTEGER PRIMARY KEY,
        rid INTEGER NOT NULL REFERENCES resources (rid),
        resource_type TEXT NOT NULL,
        version INTEGER NOT NULL,
        last_updated INTEGER NOT NULL,
        deleted INTEGER NOT NULL,
        method TEXT NOT NULL,
        body BLOB NOT NULL,
        UNIQUE (rid, version)
    )""",
    "CREATE INDEX history_type ON history (resource_type, seq)",
    """CREATE TABLE params (pid INTEGER PRIMARY KEY, resource_type TEXT NOT NULL, param TEXT NOT NULL,
        kind INTEGER NOT NULL, UNIQUE (resource_type, param, kind))""",
    # Value columns without a declared type keep what is bound: text, integer (dates) or real (numbers).
    "CREATE TABLE idx (entry INTEGER PRIMARY KEY, pid INTEGER NOT NULL, k1, k2, k3, k4, k5, k6)",
    "CREATE INDEX idx_search ON idx (pid, k1, k2)",
    *(_view(INDEX_KINDS[kind][1], INDEX_KINDS[kind][2], _V1_WIDTH) for kind in _V1_KINDS),
)

# Version 2: the composite view, and `params.width`, the widest date range [k1, k2) ever stored under a
# date pid (index_rows.py keeps it; it never shrinks), so that a search on the upper bound
# (`date=ge2024`) can seek the index on the lower one: high > x implies low > x - width (criteria.py).
_V2: Final[tuple[str, ...]] = (
    "ALTER TABLE params ADD COLUMN width INTEGER",
    f"UPDATE params SET width = (SELECT max(k2 - k1) FROM idx WHERE idx.pid = params.pid)"
    f" WHERE kind = {INDEX_KINDS['date'][0]}",
    _view(INDEX_KINDS["composite"][1], INDEX_KINDS["composite"][2], _V1_WIDTH),
)
# Version 3: named progress markers written in the same transaction as the data they describe (bulk import).
_V3: Final[tuple[str, ...]] = ("CREATE TABLE checkpoints (name TEXT PRIMARY KEY, value BLOB NOT NULL)",)

# Version 4: k7, k8 for the canonical UCUM value and unit of quantity rows (search.ucum), also in composite
# combinations (token + quantity = 8 values). Added columns cost no rewrite: older rows read NULL there,
# so their quantities match UCUM searches only after `fhir-server reindex` (store.py warns on opening).
_V4: Final[tuple[str, ...]] = (
    "ALTER TABLE idx ADD COLUMN k7",
    "ALTER TABLE idx ADD COLUMN k8",
    "DROP VIEW idx_quantity",
    _view(INDEX_KINDS["quantity"][1], INDEX_KINDS["quantity"][2]),
    "DROP VIEW idx_composite",
    _view(INDEX_KINDS["composite"][1], INDEX_KINDS["composite"][2]),
    # A file with resources owes a re-index (storage.base.REINDEX_OWED); a new one owes nothing.
    "INSERT OR REPLACE INTO checkpoints (name, value) SELECT 'reindex-owed', X'34'"
    " WHERE EXISTS (SELECT 1 FROM resources)",
)

# Version 5: derived rows kept by Summarizers in the writes' own transaction (storage/base.py; the coverage
# aggregate of issue 10), read by kind and group.
_V5: Final[tuple[str, ...]] = (
    """CREATE TABLE summaries (kind TEXT NOT NULL, key TEXT NOT NULL, grp TEXT NOT NULL, value BLOB NOT NULL,
        PRIMARY KEY (kind, key)) WITHOUT ROWID""",
    "CREATE INDEX summaries_group ON summaries (kind, grp)",
)

MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (_V1, _V2, _V3, _V4, _V5)
SCHEMA_VERSION: Final[int] = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(conn: sqlite3.Connection, lock_timeout: float) -> int:
    """Bring the file up to SCHEMA_VERSION in one write transaction (several server processes may start
    at once; the first one migrates, the others find the work done). Returns the version."""
    begin_immediate(conn, lock_timeout)
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        current = schema_version(conn)
        if current > SCHEMA_VERSION:
            raise RuntimeError(
                f"The database schema version {current} is newer than this server ({SCHEMA_VERSION})"
            )
        for number in range(current + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[number - 1]:
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (number,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return SCHEMA_VERSION
