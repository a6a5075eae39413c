"""The $export job table: a small SQLite file of its own (`<export_dir>/jobs.sqlite3`), so jobs survive a
restart whatever the FHIR store is (SQLite, MongoDB, memory).

A job is `pending` until a worker claims it, `running` while one holds its lease (renewed with every page
written), then `completed` or `failed`; `cancelled` jobs are removed with their files by the worker. The
lease lets several server processes share the table: a job whose lease ran out (its process died) is
claimed again and resumes from its saved `state`.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

_SCHEMA = """CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    request TEXT NOT NULL,
    base_url TEXT NOT NULL,
    params BLOB NOT NULL,
    transaction_time TEXT NOT NULL,
    created REAL NOT NULL,
    completed REAL,
    owner TEXT,
    lease_until REAL NOT NULL DEFAULT 0,
    state BLOB,
    error TEXT
)"""
# The distinct patients whose resources a job has written, in the order first met, for its AuditEvent
# (the first ones are named, the rest counted). On disk, as a national export has millions.
_PATIENTS = """CREATE TABLE IF NOT EXISTS job_patients (
    job TEXT NOT NULL,
    patient TEXT NOT NULL,
    UNIQUE (job, patient)
)"""
_COLUMNS = "id, status, request, base_url, params, transaction_time, created, completed, state, error"
ACTIVE = ("pending", "running")


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    status: str
    request: str  # the kick-off URL, echoed in the manifest
    base_url: str  # for the file URLs in the manifest
    params: dict[str, Any]  # what to export (export_request.ExportRequest.to_json)
    transaction_time: str
    created: float
    completed: float | None
    state: dict[str, Any] | None  # the runner's resume point and finished files
    error: str | None


def _job(row: tuple[Any, ...]) -> Job:
    id, status, request, base_url, params, transaction_time, created, completed, state, error = row
    return Job(
        id,
        status,
        request,
        base_url,
        orjson.loads(params),
        transaction_time,
        created,
        completed,
        None if state is None else orjson.loads(state),
        error,
    )


class JobTable:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=5)
        self._conn.execute("PRAGMA journal_mode=WAL")
        # No fsync per saved page (it cost ~4 ms each): a process crash loses nothing, a power loss may
        # lose the last saves, and the runner then refuses a file shorter than its state (the job fails).
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute(_SCHEMA)
        self._conn.execute(_PATIENTS)
        self._lock = threading.Lock()  # one connection shared by the request handlers and the worker

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._conn.execute(sql, params)

    def create(self, job: Job) -> None:
        self._execute(
            f"INSERT INTO jobs ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                job.id,
                job.status,
                job.request,
                job.base_url,
                orjson.dumps(job.params),
                job.transaction_time,
                job.created,
                job.completed,
                None if job.state is None else orjson.dumps(job.state),
                job.error,
            ),
        )

    def get(self, id: str) -> Job | None:
        row = self._execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (id,)).fetchone()
        return None if row is None else _job(row)

    def claim(self, owner: str, now: float, lease: float) -> Job | None:
        """The oldest pending job, or running one whose lease ran out, now held by `owner`."""
        with self._lock:
            row = self._conn.execute(
                f"UPDATE jobs SET status = 'running', owner = ?, lease_until = ? WHERE id = ("
                "SELECT id FROM jobs WHERE status = 'pending' OR (status = 'running' AND lease_until < ?)"
                f" ORDER BY created LIMIT 1) RETURNING {_COLUMNS}",
                (owner, now + lease, now),
            ).fetchone()
        return None if row is None else _job(row)

    def save_state(self, id: str, owner: str, state: dict[str, Any], lease_until: float) -> bool:
        """Record progress and renew the lease; False when the job is no longer this owner's to run
        (cancelled, or claimed by another process after a stall)."""
        cursor = self._execute(
            "UPDATE jobs SET state = ?, lease_until = ? WHERE id = ? AND owner = ? AND status = 'running'",
            (orjson.dumps(state), lease_until, id, owner),
        )
        return cursor.rowcount == 1

    def finish(self, id: str, owner: str, status: str, now: float, error: str | None = None) -> bool:
        cursor = self._execute(
            "UPDATE jobs SET status = ?, completed = ?, error = ? WHERE id = ? AND owner = ?"
            " AND status = 'running'",
            (status, now, error, id, owner),
        )
        return cursor.rowcount == 1

    def release(self, id: str, owner: str) -> None:
        """Hand a running job back (graceful shutdown): the next worker resumes it without waiting."""
        self._execute(
            "UPDATE jobs SET status = 'pending', owner = NULL, lease_until = 0"
            " WHERE id = ? AND owner = ? AND status = 'running'",
            (id, owner),
        )

    def cancel(self, id: str) -> bool:
        """Mark a job cancelled (the worker removes it and its files); False if there is no such job."""
        cursor = self._execute(
            "UPDATE jobs SET status = 'cancelled' WHERE id = ? AND status != 'cancelled'", (id,)
        )
        return cursor.rowcount == 1

    def removable(self, now: float, expiry: float) -> list[str]:
        """Cancelled jobs and completed or failed ones older than `expiry` seconds."""
        rows = self._execute(
            "SELECT id FROM jobs WHERE status = 'cancelled' OR (status IN ('completed', 'failed')"
            " AND completed < ?)",
            (now - expiry,),
        ).fetchall()
        return [row[0] for row in rows]

    def add_patients(self, id: str, patients: Iterable[str]) -> None:
        """Note patients of job `id` (again after a resume: those already noted are ignored)."""
        rows = [(id, patient) for patient in patients]
        if not rows:
            return
        with self._lock:
            self._conn.execute("BEGIN")  # one commit for the page, not one per row
            try:
                self._conn.executemany(
                    "INSERT OR IGNORE INTO job_patients (job, patient) VALUES (?, ?)", rows
                )
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def patients(self, id: str, limit: int) -> tuple[list[str], int]:
        """The first `limit` patients of job `id` in the order first met, and how many there are."""
        first = self._execute(
            "SELECT patient FROM job_patients WHERE job = ? ORDER BY rowid LIMIT ?", (id, limit)
        ).fetchall()
        count = self._execute("SELECT count(*) FROM job_patients WHERE job = ?", (id,)).fetchone()[0]
        return [row[0] for row in first], int(count)

    def delete(self, id: str) -> None:
        self._execute("DELETE FROM jobs WHERE id = ?", (id,))
        self._execute("DELETE FROM job_patients WHERE job = ?", (id,))

    def close(self) -> None:
        with self._lock:
            self._conn.close()
