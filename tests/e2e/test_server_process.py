"""Real HTTP: racing writers, restarts that keep the data, and the health endpoint."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import ServerProcess

pytestmark = pytest.mark.e2e

JSON = {"Content-Type": "application/fhir+json"}


def _patient(id: str, gender: str) -> dict[str, object]:
    return {"resourceType": "Patient", "id": id, "gender": gender, "birthDate": "2026-01-01"}


def _race(server: ServerProcess, id: str, headers: dict[str, str], writers: int) -> list[int]:
    barrier = threading.Barrier(writers)
    statuses: list[int] = []

    def write(n: int) -> None:
        with httpx.Client(timeout=10) as http:
            barrier.wait()
            gender = "male" if n % 2 else "female"
            response = http.put(f"{server.base}/Patient/{id}", json=_patient(id, gender), headers=headers)
            statuses.append(response.status_code)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> ServerProcess:
    running = ServerProcess(tmp_path_factory.mktemp("race") / "race.sqlite3", workers=2).start()
    yield running  # type: ignore[misc]
    running.stop()


def test_racing_if_match_updates_exactly_one_wins(two_workers: ServerProcess) -> None:
    httpx.put(f"{two_workers.base}/Patient/race", json=_patient("race", "female"), headers=JSON)
    statuses = _race(two_workers, "race", {**JSON, "If-Match": 'W/"1"'}, writers=8)
    assert sorted(statuses) == [200] + [412] * 7
    assert httpx.get(f"{two_workers.base}/Patient/race").json()["meta"]["versionId"] == "2"


def test_racing_updates_without_if_match_all_land(two_workers: ServerProcess) -> None:
    httpx.put(f"{two_workers.base}/Patient/many", json=_patient("many", "female"), headers=JSON)
    statuses = _race(two_workers, "many", JSON, writers=8)
    assert sorted(statuses) == [200] * 8
    history = httpx.get(f"{two_workers.base}/Patient/many/_history", params={"_count": 50}).json()
    assert history["total"] == 9
    assert sorted(int(e["resource"]["meta"]["versionId"]) for e in history["entry"]) == list(range(1, 10))


def test_data_survives_a_restart(fresh_database: Path) -> None:
    first = ServerProcess(fresh_database).start()
    try:
        httpx.put(f"{first.base}/Patient/kept", json=_patient("kept", "female"), headers=JSON)
    finally:
        first.stop()
    second = ServerProcess(fresh_database).start()
    try:
        response = httpx.get(f"{second.base}/Patient/kept")
        assert response.status_code == 200
        assert response.json()["gender"] == "female"
    finally:
        second.stop()


def test_health(server: ServerProcess) -> None:
    body = httpx.get(f"{server.root}/health").json()
    assert body["status"] == "ok"
    assert body["store"]["backend"] == "sqlite"


def test_twenty_racing_conditional_creates_make_one_patient(two_workers: ServerProcess) -> None:
    """Issue 3 item 7, over two server processes: 20 POSTs with the same If-None-Exist at once."""
    cccd = "https://fhir.vn/sid/cccd|079226000777"
    body = {
        **_patient("ignored", "female"),
        "identifier": [{"system": cccd.split("|", maxsplit=1)[0], "value": "079226000777"}],
    }
    del body["id"]
    barrier = threading.Barrier(20)
    results: list[tuple[int, str]] = []

    def create(_: int) -> None:
        with httpx.Client(timeout=30) as http:
            barrier.wait()
            response = http.post(
                f"{two_workers.base}/Patient",
                json=body,
                headers={**JSON, "If-None-Exist": f"identifier={cccd}"},
            )
            results.append((response.status_code, response.headers.get("location", "")))

    threads = [threading.Thread(target=create, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(status for status, _ in results) == [200] * 19 + [201]
    found = httpx.get(f"{two_workers.base}/Patient", params={"identifier": cccd, "_total": "accurate"}).json()
    assert found["total"] == 1
