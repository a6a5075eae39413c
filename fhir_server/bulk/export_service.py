"""Bulk Data $export as the API sees it: kick-off, status (progress or manifest), cancel, and files.

Jobs are rows of the job table, run by the background worker (export_worker.py); this service only
records and reads them, so every request answers at once.

With the audit trail on, a completed job gets an AuditEvent of its own, besides the kick-off's: the
kick-off's agent, interaction and query (kept with the job, services.audit_requester), the job and what
it wrote, and one entity per patient whose resources are in its files (the first MAX_PATIENTS, then
their count, as every AuditEvent): the kick-off cannot name them, they are only known once written.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fhir_server.bulk.export_jobs import ACTIVE, Job, JobTable
from fhir_server.bulk.export_request import Level, parse_kickoff
from fhir_server.bulk.export_runner import ExportRunner, RunnerSettings
from fhir_server.bulk.export_worker import ExportWorker
from fhir_server.bulk.type_filter import TypeFilters
from fhir_server.definitions.registry import Definitions
from fhir_server.model.bundle import instant
from fhir_server.model.json import loads
from fhir_server.model.outcome import FhirError
from fhir_server.services.audit import MAX_PATIENTS, AuditTrail
from fhir_server.services.audit_requester import later_record
from fhir_server.services.crud import ResourceService
from fhir_server.storage.base import Store

_FILE = re.compile(r"[A-Za-z]{1,64}-[0-9]{1,6}\.ndjson")  # the names the runner writes, nothing else


@dataclass(frozen=True, slots=True)
class ExportSettings:
    directory: Path
    expiry: float = 3600.0  # seconds a finished job's files are kept
    page_size: int = 1000
    max_lines: int = 100_000
    lease: float = 30.0
    poll: float = 1.0
    default_timezone: str = "Asia/Ho_Chi_Minh"  # for dates without a zone in `_typeFilter` queries


@dataclass(frozen=True, slots=True)
class Status:
    done: bool
    progress: str = ""  # for X-Progress while running
    manifest: dict[str, Any] | None = None
    expires: datetime | None = None


class ExportService:
    def __init__(
        self,
        store: Store,
        resources: ResourceService,
        definitions: Definitions,
        settings: ExportSettings,
        clock: Callable[[], float] = time.time,
        *,
        audit: AuditTrail | None = None,
    ) -> None:
        self._audit = audit
        self._resources = resources
        self._definitions = definitions
        self._settings = settings
        self._clock = clock
        self.jobs = JobTable(settings.directory / "jobs.sqlite3")
        runner_settings = RunnerSettings(
            settings.directory, settings.page_size, settings.max_lines, settings.lease
        )
        self._filters = TypeFilters(definitions.search_params, ZoneInfo(settings.default_timezone))
        runner = ExportRunner(
            store,
            self.jobs,
            definitions.compartments,
            definitions.search_params,
            runner_settings,
            filters=self._filters,
            clock=clock,
            patients=audit is not None,
        )
        self.worker = ExportWorker(
            self.jobs,
            runner,
            runner_settings,
            expiry=settings.expiry,
            poll=settings.poll,
            clock=clock,
            on_finished=self._audit_finished,
        )

    def kickoff(
        self,
        level: Level,
        params: Sequence[tuple[str, str]],
        *,
        strict: bool,
        request_url: str,
        base_url: str,
        group_id: str | None = None,
        requester: dict[str, Any] | None = None,
    ) -> str:
        """`requester` (services.audit_requester.requester): who asked, for the finished job's AuditEvent."""
        group = loads(self._resources.read("Group", group_id).body) if group_id is not None else None
        request = parse_kickoff(
            level,
            params,
            strict=strict,
            known=self._definitions.resource_types,
            compartments=self._definitions.compartments,
            filters=self._filters,
            group=group,
        )
        now = self._clock()
        job = Job(
            id=uuid.uuid4().hex,
            status="pending",
            request=request_url,
            base_url=base_url,
            params={**request.to_json(), "requester": requester},
            transaction_time=instant(datetime.fromtimestamp(now, UTC)),
            created=now,
            completed=None,
            state=None,
            error=None,
        )
        self.jobs.create(job)
        self.worker.wake()
        return job.id

    def status(self, id: str) -> Status:
        job = self._job(id)
        if job.status in ACTIVE:
            state = job.state or {}
            types = job.params["types"]
            done_types = min(int(state.get("type", 0)), len(types))
            progress = f"{state.get('written', 0)} resources written; {done_types} of {len(types)} types done"
            return Status(done=False, progress=progress)
        if job.status == "failed":
            raise FhirError.of(
                500,
                "exception",
                f"The export failed ({job.error}); start a new one",
                f"Xuất dữ liệu thất bại ({job.error}); hãy bắt đầu lại",
            )
        completed = job.completed or job.created
        expires = datetime.fromtimestamp(completed + self._settings.expiry, UTC)
        return Status(done=True, manifest=self._manifest(job), expires=expires)

    def _manifest(self, job: Job) -> dict[str, Any]:
        files = f"{job.base_url}/$export-file/{job.id}"
        outputs = (job.state or {}).get("outputs", [])
        errors = (
            [{"type": "OperationOutcome", "url": f"{files}/OperationOutcome-1.ndjson"}]
            if job.params.get("ignored")
            else []
        )
        return {
            "transactionTime": job.transaction_time,
            "request": job.request,
            "requiresAccessToken": False,
            "output": [{"type": t, "url": f"{files}/{name}", "count": count} for t, name, count in outputs],
            "error": errors,
        }

    def _audit_finished(self, job: Job) -> None:
        asked = job.params.get("requester")
        done = self.jobs.get(job.id)
        if self._audit is None or not isinstance(asked, dict) or done is None:
            return
        state = done.state or {}
        named, count = self.jobs.patients(job.id, MAX_PATIENTS)
        files = len(state.get("outputs", []))
        work = (
            f"$export job {job.id}",
            f"completed: {state.get('written', 0)} resources in {files} file(s); {count} patients",
        )
        self._audit.record(later_record(asked, work, named, count))

    def cancel(self, id: str) -> None:
        self._job(id)
        self.jobs.cancel(id)
        self.worker.wake()

    def file(self, id: str, name: str) -> Path:
        job = self._job(id)
        path = self._settings.directory / job.id / name
        if job.status != "completed" or not _FILE.fullmatch(name) or not path.is_file():
            raise FhirError.of(
                404, "not-found", f"No export file {name!r} in this job", f"Không có tệp xuất {name!r}"
            )
        return path

    def _job(self, id: str) -> Job:
        job = self.jobs.get(id) if re.fullmatch(r"[0-9a-f]{32}", id) else None
        if job is None or job.status == "cancelled" or self._expired(job):
            raise FhirError.of(
                404,
                "not-found",
                "No such export job (unknown, cancelled or expired)",
                "Không có yêu cầu xuất dữ liệu này (không tồn tại, đã huỷ hoặc đã hết hạn)",
            )
        return job

    def _expired(self, job: Job) -> bool:
        return job.completed is not None and job.completed + self._settings.expiry < self._clock()

    def close(self) -> None:
        self.worker.stop()
        self.jobs.close()
