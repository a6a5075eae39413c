"""The background thread that runs $export jobs inside the server process.

At start-up it picks up pending jobs and running ones whose lease ran out (their process stopped), so jobs
survive a restart; a graceful stop hands the current job back (`pending`) so the next start resumes it at
once. Between jobs it removes cancelled jobs and expired ones with their files. One job at a time: the
export reads the store as fast as the disk allows, and the server's requests keep the other core.
"""

from __future__ import annotations

import logging
import shutil
import threading
import uuid
from collections.abc import Callable

from fhir_server.bulk.export_jobs import Job, JobTable
from fhir_server.bulk.export_runner import ExportRunner, RunnerSettings

log = logging.getLogger("fhir_server.bulk.export")


class ExportWorker:
    def __init__(
        self,
        jobs: JobTable,
        runner: ExportRunner,
        settings: RunnerSettings,
        *,
        expiry: float,
        poll: float = 1.0,
        clock: Callable[[], float],
        on_finished: Callable[[Job], None] = lambda job: None,
    ) -> None:
        self._on_finished = on_finished  # after a job completed (its AuditEvent)
        self._jobs = jobs
        self._runner = runner
        self._settings = settings
        self._expiry = expiry
        self._poll = poll
        self._clock = clock
        self._owner = uuid.uuid4().hex  # this process's name in the job table's leases
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="export-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self) -> None:
        """A job was submitted or cancelled: look now rather than at the next poll."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.step()
            except Exception as exc:  # the thread must survive a bad job or a full disk
                log.error("export worker error", extra={"error": type(exc).__name__})
                busy = False
            if not busy:
                self._wake.wait(self._poll)
                self._wake.clear()

    def step(self) -> bool:
        """Remove what is due, then run (or continue) one job. True when a job was run."""
        self.sweep()
        job = self._jobs.claim(self._owner, self._clock(), self._settings.lease)
        if job is None:
            return False
        log.info("export job started", extra={"job": job.id})
        try:
            finished = self._runner.run(job, self._owner, self._stop)
        except Exception as exc:
            log.error("export job failed", extra={"job": job.id, "error": type(exc).__name__})
            self._jobs.finish(job.id, self._owner, "failed", self._clock(), type(exc).__name__)
            return True
        if finished:
            try:
                self._on_finished(job)
            except Exception as exc:  # the job is done and its files served whatever happens here
                log.error("export job follow-up failed", extra={"job": job.id, "error": type(exc).__name__})
        elif self._stop.is_set():
            self._jobs.release(job.id, self._owner)
        log.info("export job stopped", extra={"job": job.id, "finished": finished})
        return True

    def sweep(self) -> None:
        for id in self._jobs.removable(self._clock(), self._expiry):
            shutil.rmtree(self._settings.directory / id, ignore_errors=True)
            self._jobs.delete(id)
