"""Picks the auth store from a URL, like the FHIR store: sqlite:///path or memory://."""

from __future__ import annotations

from pathlib import Path

from auth.store.base import AuthStore
from auth.store.sqlite import SqliteAuthStore


def open_auth_store(url: str) -> AuthStore:
    if url == "memory://":
        return SqliteAuthStore(":memory:")
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteAuthStore(str(path))
    raise ValueError(f"unsupported auth database URL scheme: {url.split(':', 1)[0]!r}")
