"""Export jobs driven step by step (no thread): resume after a stop, splitting, expiry, cancel."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import orjson
import pytest

from fhir_server.app import build_services
from fhir_server.bulk.export_service import ExportService, ExportSettings
from fhir_server.definitions.loader import load_definitions
from fhir_server.model.outcome import FhirError
from fhir_server.services.container import Services
from fhir_server.settings import Settings
from tests.unit.bulk.test_importer import patient


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def services(tmp_path: Path) -> Services:
    built = build_services(
        Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}", forecast_upkeep=False)
    )
    for n in range(1, 8):
        built.resources.update("Patient", f"p{n}", patient(n))
    return built


def service(services: Services, tmp_path: Path, clock: Clock, **settings: Any) -> ExportService:
    return ExportService(
        services.store,
        services.resources,
        load_definitions(),
        ExportSettings(tmp_path / "exports", **settings),
        clock,
    )


def lines(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_a_stopped_job_resumes_in_a_new_process_without_writing_a_line_twice(
    services: Services, tmp_path: Path
) -> None:
    clock = Clock()
    first = service(services, tmp_path, clock, page_size=2, max_lines=3)
    job = first.kickoff("system", [("_type", "Patient")], strict=True, request_url="u", base_url="http://b")
    claimed = first.jobs.claim("owner-1", clock(), 30)
    assert claimed is not None
    stop = threading.Event()
    stop.set()  # stop after the first page, as a shutdown would
    runner = first.worker._runner
    assert runner.run(claimed, "owner-1", stop) is False
    assert not first.status(job).done
    # The first process dies without releasing: the lease must run out before another takes over.
    second = service(services, tmp_path, clock, page_size=2, max_lines=3)
    assert second.worker.step() is False
    clock.now += 31
    assert second.worker.step() is True
    status = second.status(job)
    assert status.done and status.manifest is not None
    outputs = status.manifest["output"]
    assert [(o["type"], o["count"]) for o in outputs] == [("Patient", 3), ("Patient", 3), ("Patient", 1)]
    exported = [r["id"] for o in outputs for r in lines(second.file(job, o["url"].rsplit("/", 1)[1]))]
    assert exported == [f"p{n}" for n in range(1, 8)]


def test_finished_files_expire_and_cancelled_jobs_disappear(services: Services, tmp_path: Path) -> None:
    clock = Clock()
    export = service(services, tmp_path, clock, expiry=60)
    job = export.kickoff("system", [("_type", "Patient")], strict=False, request_url="u", base_url="b")
    assert export.worker.step()
    assert export.status(job).done
    directory = tmp_path / "exports" / job
    assert (directory / "Patient-1.ndjson").is_file()
    clock.now += 61
    with pytest.raises(FhirError) as expired:
        export.status(job)
    assert expired.value.status == 404
    export.worker.sweep()
    assert not directory.exists() and export.jobs.get(job) is None

    other = export.kickoff("system", [], strict=False, request_url="u", base_url="b")
    export.cancel(other)
    with pytest.raises(FhirError):
        export.status(other)
    assert export.worker.step() is False  # nothing to run: the cancelled job was swept
    assert export.jobs.get(other) is None


class RecordingStore:
    """Delegates to a real store and records the page size of every search."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.counts: list[int] = []
        self.types: list[str] = []

    def search(self, request: Any, **kw: Any) -> Any:
        self.counts.append(request.count)
        self.types.append(request.resource_type)
        return self._inner.search(request, **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@pytest.mark.parametrize("level", ["system", "patient"])
def test_the_store_is_read_in_bounded_pages_and_empty_types_cost_one_probe(
    services: Services, tmp_path: Path, level: str
) -> None:
    recording = RecordingStore(services.store)
    clock = Clock()
    export = ExportService(
        recording,  # type: ignore[arg-type]
        services.resources,
        load_definitions(),
        ExportSettings(tmp_path / "exports", page_size=3),
        clock,
    )
    job = export.kickoff(level, [], strict=True, request_url="u", base_url="b")  # type: ignore[arg-type]
    assert export.worker.step()
    manifest = export.status(job).manifest
    assert manifest is not None
    assert {o["type"] for o in manifest["output"]} == {"Patient"}
    assert sum(o["count"] for o in manifest["output"]) == 7
    assert max(recording.counts) <= 100  # pages of 3 resources, patient pages of 100 ids
    assert recording.types.count("Immunization") == 1  # an empty type: one probe, no walk
