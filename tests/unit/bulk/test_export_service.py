"""Export jobs driven step by step (no thread): resume after a stop, splitting, expiry, cancel."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import orjson
import pytest

from auth.scopes import ScopeSet
from auth.verify import Principal
from fhir_server.app import build_services
from fhir_server.bulk.export_service import ExportService, ExportSettings
from fhir_server.definitions.loader import load_definitions
from fhir_server.model.outcome import FhirError
from fhir_server.search.request import SearchRequest
from fhir_server.services.audit import AuditTrail
from fhir_server.services.audit_requester import requester
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


def test_a_resumed_job_names_each_patient_once_in_its_audit_event(services: Services, tmp_path: Path) -> None:
    """A job stopped after its first page and finished by another process: its patients are noted page by
    page in the job table (a page written again notes them again, harmlessly), and the AuditEvent of the
    finished job names the seven and the kick-off's agent, then the job's rows go with the job."""
    clock = Clock()
    trail = AuditTrail(services.store, services.extractor, services.clock, "test")
    settings = ExportSettings(tmp_path / "exports", page_size=2, max_lines=3, expiry=60)
    definitions = load_definitions()
    first = ExportService(services.store, services.resources, definitions, settings, clock, audit=trail)
    principal = Principal(
        "u-1", "app-1", ScopeSet(), "iss", None, 0, role="manager", fhir_user="Practitioner/m1"
    )
    asked = requester(principal, "GET", "$export", "_type=Patient", "10.0.0.7")
    job = first.kickoff(
        "system", [("_type", "Patient")], strict=True, request_url="u", base_url="b", requester=asked
    )
    claimed = first.jobs.claim("owner-1", clock(), 30)
    assert claimed is not None
    stop = threading.Event()
    stop.set()
    assert first.worker._runner.run(claimed, "owner-1", stop) is False
    assert first.jobs.patients(job, 50) == (["p1", "p2"], 2)
    second = ExportService(services.store, services.resources, definitions, settings, clock, audit=trail)
    clock.now += 31
    assert second.worker.step() is True
    trail.flush()
    events = [
        orjson.loads(r.body)
        for r in services.store.search(SearchRequest("AuditEvent"), with_total=False).resources
    ]
    assert len(events) == 1
    event = events[0]
    named = [e["what"]["reference"] for e in event["entity"] if e["type"]["code"] == "1"]
    assert named == [f"Patient/p{n}" for n in range(1, 8)]
    assert event["agent"][0]["who"] == {"reference": "Practitioner/m1"}
    assert event["agent"][0]["network"]["address"] == "10.0.0.7"
    work = next(e for e in event["entity"] if "name" in e)
    assert work == {
        "type": work["type"],
        "name": f"$export job {job}",
        "description": "completed: 7 resources in 3 file(s); 7 patients",
    }
    trail.close()
    clock.now += 61
    second.worker.sweep()
    assert second.jobs.patients(job, 50) == ([], 0)


def test_without_an_audit_trail_no_patients_are_noted(services: Services, tmp_path: Path) -> None:
    export = service(services, tmp_path, Clock())
    job = export.kickoff("system", [("_type", "Patient")], strict=True, request_url="u", base_url="b")
    assert export.worker.step()
    assert export.status(job).done
    assert export.jobs.patients(job, 50) == ([], 0)
