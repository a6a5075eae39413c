"""Connections and the write lock across processes.

Several server processes (uvicorn --workers N) may write the same file. SQLite's busy handler sleeps
in long, growing steps; we instead retry `BEGIN IMMEDIATE` every few milliseconds with a bounded total
wait, and report StoreUnavailable (HTTP 503) when the file stays locked.
"""

from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path

from fhir_server.storage.base import StoreUnavailable

READ_BUSY_TIMEOUT_MS = 5000  # readers rarely wait in WAL mode (checkpoints, recovery)


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode: transactions are begun and ended explicitly."""
    conn = sqlite3.connect(
        path, timeout=READ_BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def begin_immediate(conn: sqlite3.Connection, timeout: float) -> None:
    """Take the database write lock, retrying with short sleeps for at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    conn.execute("PRAGMA busy_timeout=0")  # fail fast: we do the waiting ourselves
    try:
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise StoreUnavailable("The database stayed locked by another writer") from exc
                time.sleep(random.uniform(0.001, 0.005))
    finally:
        conn.execute(f"PRAGMA busy_timeout={READ_BUSY_TIMEOUT_MS}")


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    message = str(exc).lower()
    return "locked" in message or "busy" in message
