"""Real processes: a SQLite file written by an older server (schema v1: no composite rows, no canonical
units) is re-indexed by `fhir-server reindex`, then a real server finds its Observation by UCUM conversion
and by composite; a second run re-indexes again, and `--type` of an unknown type is refused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.contract.test_contract_sqlite_schema_v4 import QUERIES, old_file
from tests.e2e.server import ServerProcess

pytestmark = pytest.mark.e2e


def reindex(database: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "fhir_server", "reindex", "--database-url", f"sqlite:///{database}"]
    return subprocess.run([*command, *extra], capture_output=True, text=True, timeout=180, check=False)


def ids(server: ServerProcess, query: str) -> list[str]:
    name, value = query.split("=", 1)
    response = httpx.get(f"{server.base}/Observation", params={name: value}, timeout=10)
    assert response.status_code == 200, response.text
    return [entry["resource"]["id"] for entry in response.json().get("entry", [])]


def test_an_old_file_is_searchable_after_the_reindex_command(tmp_path: Path) -> None:
    database = tmp_path / "old.sqlite3"
    old_file(database)
    done = reindex(database, "--type", "Observation", "--batch-size", "10")
    assert done.returncode == 0, done.stderr
    assert "Observation: 1 re-indexed" in done.stderr
    assert "re-indexed 1 resources of 1 types; skipped 0" in done.stderr
    assert "5500" not in done.stderr and "glucose" not in done.stderr  # no values from the resources
    server = ServerProcess(database).start()
    try:
        assert [ids(server, query) for query in QUERIES] == [["glucose"], ["glucose"]]
    finally:
        server.stop()
    again = reindex(database)  # every type; a finished run starts over
    assert again.returncode == 0, again.stderr
    assert "re-indexed 1 resources of 1 types; skipped 0" in again.stderr
    refused = reindex(database, "--type", "Nope")
    assert refused.returncode == 2 and "unknown resource type: Nope" in refused.stderr
