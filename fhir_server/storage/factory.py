"""Opens the backend a database URL names; the only module that knows the backends (DESIGN.md §3)."""

from __future__ import annotations

from pathlib import Path

from fhir_server.storage.base import Store
from fhir_server.types import Clock

_SQLITE = "sqlite:///"
_MEMORY = "memory://"


def open_store(url: str, clock: Clock) -> Store:
    """`memory://`, or `sqlite:///relative/path` (relative to the working directory) and
    `sqlite:////absolute/path`. The SQLite file's directory is created if needed."""
    if url == _MEMORY or url == _MEMORY + "/":
        from fhir_server.storage.memory import MemoryStore

        return MemoryStore(clock)
    if url.startswith(_SQLITE):
        location = url[len(_SQLITE) :]
        if not location or location.endswith("/"):
            raise ValueError(f"The database URL {url!r} names no file (expected sqlite:///path/to/file)")
        from fhir_server.storage.sqlite import SqliteStore

        path = Path(location)
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteStore(path, clock)
    raise ValueError(
        f"Unsupported database URL {url!r}: expected memory:// or sqlite:///path (relative) "
        "or sqlite:////path (absolute)"
    )
