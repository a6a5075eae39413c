from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.server import ServerProcess


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    running = ServerProcess(tmp_path_factory.mktemp("e2e") / "e2e.sqlite3").start()
    yield running
    running.stop()


@pytest.fixture
def fresh_database(tmp_path: Path) -> Path:
    return tmp_path / "fresh.sqlite3"
