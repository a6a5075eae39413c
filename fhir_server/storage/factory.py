"""Opens the backend a database URL names; the only module that knows the backends (DESIGN.md §3)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fhir_server.storage.base import Store, Summarizer
from fhir_server.types import Clock

_SQLITE = "sqlite:///"
_MEMORY = "memory://"
_MONGODB = ("mongodb://", "mongodb+srv://")


def open_store(
    url: str, clock: Clock, *, mongodb_timeout_ms: int | None = None, summarizers: Sequence[Summarizer] = ()
) -> Store:
    """`memory://`, or `sqlite:///relative/path` (relative to the working directory) and
    `sqlite:////absolute/path`, or `mongodb://host1,host2/db?replicaSet=rs0` (any MongoDB connection
    string; `mongodb_timeout_ms` is the server selection timeout unless the URL sets one). The SQLite
    file's directory is created if needed. A MongoDB server that cannot be reached raises
    StoreUnavailable with a message for the operator. `summarizers` keep derived rows (storage/base.py),
    on every backend."""
    if url == _MEMORY or url == _MEMORY + "/":
        from fhir_server.storage.memory import MemoryStore

        return MemoryStore(clock, summarizers)
    if url.startswith(_SQLITE):
        location = url[len(_SQLITE) :]
        if not location or location.endswith("/"):
            raise ValueError(f"The database URL {url!r} names no file (expected sqlite:///path/to/file)")
        from fhir_server.storage.sqlite import SqliteStore

        path = Path(location)
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteStore(path, clock, summarizers=summarizers)
    if url.startswith(_MONGODB):
        from fhir_server.storage.mongo import open_mongo_store

        return open_mongo_store(
            url, clock, server_selection_timeout_ms=mongodb_timeout_ms, summarizers=summarizers
        )
    shown = url.rsplit("@", maxsplit=1)[-1]  # never echo credentials
    raise ValueError(
        f"Unsupported database URL {shown!r}: expected memory://, sqlite:///path (relative), "
        "sqlite:////path (absolute) or mongodb://host/database"
    )
