"""Real processes: `fhir-server import` of a population file, then $export of it over real HTTP, and a
restart of the server between kick-off and download."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import orjson
import pytest

from bench.population import generate
from tests.e2e.server import ServerProcess

pytestmark = pytest.mark.e2e


def test_imported_population_comes_back_whole_through_export(tmp_path: Path) -> None:
    source = tmp_path / "population.ndjson"
    resources = list(generate(5, seed=7))
    source.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in resources))
    database = tmp_path / "bulk.sqlite3"
    command = [
        sys.executable,
        "-m",
        "fhir_server",
        "import",
        str(source),
        "--database-url",
        f"sqlite:///{database}",
    ]
    done = subprocess.run(
        [*command, "--workers", "2"], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    total = len(resources)
    assert f"total: read {total} = stored {total} + rejected 0" in done.stdout
    children = sum(r["resourceType"] == "Patient" for r in resources)
    assert f"recommendations: {children} children refreshed, 0 not" in done.stdout

    server = ServerProcess(database).start()
    try:
        with httpx.Client(timeout=10) as http:
            kickoff = http.get(f"{server.base}/$export", headers={"Prefer": "respond-async"})
            assert kickoff.status_code == 202
            location = kickoff.headers["content-location"]
            server.stop()  # the job is pending or half done: a restart must finish it
            server.start()
            deadline = time.monotonic() + 60
            status = http.get(location)
            while status.status_code == 202 and time.monotonic() < deadline:
                time.sleep(0.2)
                status = http.get(location)
            assert status.status_code == 200, status.text
            exported: Counter[str] = Counter()
            for output in status.json()["output"]:
                lines = http.get(output["url"]).content.splitlines()
                assert len(lines) == output["count"]
                exported.update(orjson.loads(line)["resourceType"] for line in lines)
    finally:
        server.stop()
    # what was imported, and each child's recommendation the import computed
    assert exported == Counter(r["resourceType"] for r in resources) + Counter(
        {"ImmunizationRecommendation": children}
    )
