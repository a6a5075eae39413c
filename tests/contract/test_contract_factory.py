"""Database URLs to backends."""

from __future__ import annotations

from pathlib import Path

import pytest

from fhir_server.storage.factory import open_store
from tests.contract.conftest import FakeClock


def test_memory_url() -> None:
    store = open_store("memory://", FakeClock())
    assert store.health()["backend"] == "memory"


def test_sqlite_absolute_path_creates_the_directory(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "fhir.sqlite3"
    store = open_store(f"sqlite:///{path}", FakeClock())
    try:
        assert store.health()["path"] == str(path)
        assert path.exists()
    finally:
        store.close()


def test_sqlite_relative_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = open_store("sqlite:///var/fhir.sqlite3", FakeClock())
    store.close()
    assert (tmp_path / "var" / "fhir.sqlite3").exists()


@pytest.mark.parametrize("url", ["postgres://x/y", "sqlite://relative.db", "sqlite:///", "", "memory"])
def test_unknown_or_incomplete_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="URL"):
        open_store(url, FakeClock())
