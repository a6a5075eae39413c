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

# Index tables by IR kind: (table, value columns). Every table also has rid, resource_type and param.
INDEX_TABLES: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    "string": ("idx_string", ("normalized", "exact")),
    "token": ("idx_token", ("system", "code", "display")),
    "date": ("idx_date", ("low", "high")),
    "reference": ("idx_reference", ("target_type", "target_id", "url")),
    "number": ("idx_number", ("value", "low", "high")),
    "quantity": ("idx_quantity", ("value", "low", "high", "system", "code", "unit")),
    "uri": ("idx_uri", ("uri",)),
}

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
    """CREATE TABLE idx_string (rid INTEGER NOT NULL, resource_type TEXT NOT NULL, param TEXT NOT NULL,
        normalized TEXT NOT NULL, exact TEXT NOT NULL)""",
    "CREATE INDEX idx_string_search ON idx_string (resource_type, param, normalized)",
    """CREATE TABLE idx_token (rid INTEGER NOT NULL, resource_type TEXT NOT NULL, param TEXT NOT NULL,
        system TEXT, code TEXT, display TEXT)""",
    "CREATE INDEX idx_token_search ON idx_token (resource_type, param, code, system)",
    """CREATE TABLE idx_date (rid INTEGER NOT NULL, resource_type TEXT NOT NULL, param TEXT NOT NULL,
        low INTEGER NOT NULL, high INTEGER NOT NULL)""",
    "CREATE INDEX idx_date_search ON idx_date (resource_type, param, low, high)",
    """CREATE TABLE idx_reference (rid INTEGER NOT NULL, resource_type TEXT NOT NULL, param TEXT NOT NULL,
        target_type TEXT, target_id TEXT, url TEXT NOT NULL)""",
    # target_id first: `subject=123` (any type) and `subject=Patient/123` both use it.
    "CREATE INDEX idx_reference_search ON idx_reference (resource_type, param, target_id, target_type)",
    "CREATE INDEX idx_reference_url ON idx_reference (resource_type, param, url)",
    """CREATE TABLE idx_number (rid INTEGER NOT NULL, resource_type TEXT NOT NULL, param TEXT NOT NULL,
        value REAL NOT NULL, low REAL NOT NULL, high REAL NOT NULL)""",
    "CREATE INDEX idx_number_search ON idx_number (resource_type, param, value)",
    """CREATE TABLE idx_quantity (rid INTEGER NOT NULL, resource_type TEXT NOT NULL, param TEXT NOT NULL,
        value REAL NOT NULL, low REAL NOT NULL, high REAL NOT NULL, system TEXT, code TEXT, unit TEXT)""",
    "CREATE INDEX idx_quantity_search ON idx_quantity (resource_type, param, value)",
    """CREATE TABLE idx_uri (rid INTEGER NOT NULL, resource_type TEXT NOT NULL, param TEXT NOT NULL,
        uri TEXT NOT NULL)""",
    "CREATE INDEX idx_uri_search ON idx_uri (resource_type, param, uri)",
    *(f"CREATE INDEX {table}_rid ON {table} (rid)" for table, _ in INDEX_TABLES.values()),
)

MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (_V1,)
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
