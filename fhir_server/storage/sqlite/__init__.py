"""The embedded SQLite backend; `SqliteStore` is its only public name."""

from fhir_server.storage.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
