"""Runs one $export job: for each type, pages of stored bodies appended to NDJSON files, with the resume
point saved after every page, so that a job continues where it stopped after a restart.

Memory stays bounded whatever the data size: the store is read in keyset pages (`SearchPage.next_cursor`,
in creation order) of `page_size` resources, and each body is written as stored, never parsed. Patient
and Group exports walk the patients `PATIENT_PAGE` at a time and fetch each type's resources in their
compartments (any of the type's Patient compartment parameters) with one OR-ed reference criterion.

With `patients` on (the audit trail is), the patients of the resources written (services.disclosure's
`patient_of`, the audit's own rule) are noted in the job table page by page, for the AuditEvent of the
finished job: this parses each body once (~1 µs for an Immunization), and a resumed page notes its
patients again, harmlessly.

Files are split at `max_lines` resources. After a crash the current file is truncated to the length the
saved state recorded before writing resumes, so no line is written twice. A resource changed while the
job runs may be exported in its newer version (there is no snapshot); one that refers to patients of two
different pages of a Patient export is written once per page.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from fhir_server.bulk.export_jobs import Job, JobTable
from fhir_server.bulk.export_request import ExportRequest
from fhir_server.bulk.type_filter import TypeFilters
from fhir_server.definitions.registry import CompartmentRegistry, SearchParamRegistry
from fhir_server.model.json import dumps
from fhir_server.model.outcome import Issue, operation_outcome
from fhir_server.search.request import Criterion, DateQuery, ReferenceQuery, SearchRequest, TokenQuery
from fhir_server.services.disclosure import patient_of
from fhir_server.storage.base import Store, StoredResource
from fhir_server.storage.versioning import to_us

PATIENT_PAGE = 100
Page = tuple[list[bytes], str | None]  # bodies, and where the next page starts (None: type finished)


@dataclass(frozen=True, slots=True)
class RunnerSettings:
    directory: Path  # one sub-directory per job
    page_size: int = 1000
    max_lines: int = 100_000  # resources per file
    lease: float = 30.0  # seconds a claimed job stays this process's without a saved page


def file_name(resource_type: str, part: int) -> str:
    return f"{resource_type}-{part}.ndjson"


def initial_state() -> dict[str, Any]:
    # "type": index in the request's types; "cursor": where that type resumes; part/lines/bytes: the file
    # being written; outputs: finished files; written: resources so far (for X-Progress).
    return {"type": 0, "cursor": None, "part": 1, "lines": 0, "bytes": 0, "outputs": [], "written": 0}


class ExportRunner:
    def __init__(
        self,
        store: Store,
        jobs: JobTable,
        compartments: CompartmentRegistry,
        search_params: SearchParamRegistry,
        settings: RunnerSettings,
        *,
        filters: TypeFilters,
        clock: Callable[[], float],
        patients: bool = False,
    ) -> None:
        self._filters = filters
        self._patients_noted = patients
        self._store = store
        self._jobs = jobs
        self._compartments = compartments
        self._search_params = search_params
        self._settings = settings
        self._clock = clock  # seconds since the epoch, like time.time

    def run(self, job: Job, owner: str, stop: threading.Event) -> bool:
        """Run `job` (claimed by `owner`) until done, cancelled or `stop` is set. True when finished."""
        request = ExportRequest.from_json(job.params)
        state = job.state or initial_state()
        directory = self._settings.directory / job.id
        directory.mkdir(parents=True, exist_ok=True)
        while state["type"] < len(request.types):
            resource_type = request.types[state["type"]]
            out = _open_part(directory / file_name(resource_type, state["part"]), state["bytes"])
            try:
                for bodies, cursor in self._pages(request, resource_type, state["cursor"]):
                    out = self._write(bodies, resource_type, state, out, directory)
                    if self._patients_noted:
                        self._jobs.add_patients(job.id, _patients_of(bodies))
                    state["cursor"] = cursor
                    state["bytes"] = out.tell()
                    if cursor is None:
                        self._close_type(resource_type, state, out, directory)
                    if not self._save(job, owner, state) or stop.is_set():
                        return False
                    if cursor is None:
                        break
            finally:
                out.close()
        if request.ignored:
            _write_warning(directory / "OperationOutcome-1.ndjson", request.ignored)
        return self._jobs.finish(job.id, owner, "completed", self._clock())

    def _save(self, job: Job, owner: str, state: dict[str, Any]) -> bool:
        return self._jobs.save_state(job.id, owner, state, self._clock() + self._settings.lease)

    def _write(
        self, bodies: list[bytes], resource_type: str, state: dict[str, Any], out: BinaryIO, directory: Path
    ) -> BinaryIO:
        max_lines = self._settings.max_lines
        for body in bodies:
            if state["lines"] >= max_lines:
                out.close()
                state["outputs"].append(
                    [resource_type, file_name(resource_type, state["part"]), state["lines"]]
                )
                state["part"] += 1
                state["lines"] = 0
                out = _open_part(directory / file_name(resource_type, state["part"]), 0)
            out.write(body + b"\n")
            state["lines"] += 1
            state["written"] += 1
        out.flush()
        return out

    @staticmethod
    def _close_type(resource_type: str, state: dict[str, Any], out: BinaryIO, directory: Path) -> None:
        """The type is done: keep its last file if it has lines, and move on to the next type."""
        out.close()
        if state["lines"]:
            state["outputs"].append([resource_type, file_name(resource_type, state["part"]), state["lines"]])
        else:
            (directory / file_name(resource_type, state["part"])).unlink(missing_ok=True)
        state.update(type=state["type"] + 1, cursor=None, part=1, lines=0, bytes=0)

    # -- reading -----------------------------------------------------------------------------------

    def _pages(self, request: ExportRequest, resource_type: str, cursor: str | None) -> Iterator[Page]:
        since = _since_criteria(request.since)
        query = request.type_filter(resource_type)
        if query is not None:  # checked at kick-off; parsed again here, where the criteria are used
            since = (*since, *self._filters.criteria(resource_type, query))
        if request.level == "system":
            yield from self._search_pages(SearchRequest(resource_type, since), cursor)
            return
        if cursor is None and self._empty(resource_type, since):
            # Nothing of this type (since `_since`): skip walking every patient page for it, which
            # matters when the Patient compartment has 60-odd types and most are empty.
            yield [], None
            return
        while True:
            ids, next_outer = self._patients(request, cursor)
            bodies = self._compartment_bodies(request, resource_type, ids, since) if ids else []
            yield bodies, next_outer
            if next_outer is None:
                return
            cursor = next_outer

    def _empty(self, resource_type: str, since: tuple[Criterion, ...]) -> bool:
        probe = SearchRequest(resource_type, since, count=1)
        return not self._store.search(probe, with_total=False).resources

    def _search_pages(self, request: SearchRequest, cursor: str | None) -> Iterator[Page]:
        while True:
            paged = SearchRequest(
                request.resource_type, request.criteria, count=self._settings.page_size, cursor=cursor
            )
            page = self._store.search(paged, with_total=False)
            cursor = page.next_cursor
            yield [r.body for r in page.resources], cursor
            if cursor is None:
                return

    def _patients(self, request: ExportRequest, cursor: str | None) -> tuple[list[str], str | None]:
        """One page of the patients whose compartments are exported, and where the next page starts."""
        if request.level == "group":
            start = int(cursor or 0)
            end = start + PATIENT_PAGE
            return list(request.members[start:end]), (str(end) if end < len(request.members) else None)
        page = self._store.search(
            SearchRequest("Patient", count=PATIENT_PAGE, cursor=cursor), with_total=False
        )
        return [r.id for r in page.resources], page.next_cursor

    def _compartment_bodies(
        self, request: ExportRequest, resource_type: str, ids: list[str], since: tuple[Criterion, ...]
    ) -> list[bytes]:
        if resource_type == "Patient":
            by_id = Criterion("_id", "token", None, tuple(TokenQuery(None, id) for id in ids))
            alternatives = [by_id]
        else:
            alternatives = [
                Criterion(self._stored_code(resource_type, param), "reference", None, refs)
                for param in self._compartments.params("Patient", resource_type)
                for refs in [tuple(ReferenceQuery("Patient", id, None) for id in ids)]
            ]
        seen: set[str] = set()
        bodies: list[bytes] = []
        for alternative in alternatives:
            search = SearchRequest(resource_type, (alternative, *since))
            for found in self._resources(search):
                if found.id not in seen:
                    seen.add(found.id)
                    bodies.append(found.body)
        return bodies

    def _resources(self, request: SearchRequest) -> Iterator[StoredResource]:
        cursor: str | None = None
        while True:
            paged = SearchRequest(
                request.resource_type, request.criteria, count=self._settings.page_size, cursor=cursor
            )
            page = self._store.search(paged, with_total=False)
            yield from page.resources
            cursor = page.next_cursor
            if cursor is None:
                return

    def _stored_code(self, resource_type: str, param: str) -> str:
        definition = self._search_params.get(resource_type, param)
        return (definition.index_code or param) if definition else param


def _patients_of(bodies: list[bytes]) -> list[str]:
    """The distinct patients the bodies are about, in order (a Patient is about itself)."""
    found: dict[str, None] = {}
    for body in bodies:
        resource = orjson.loads(body)  # not model.json.loads: only references are read, never a number
        patient = patient_of(resource) if isinstance(resource, dict) else None
        if patient:
            found[patient] = None
    return list(found)


def _since_criteria(since: str | None) -> tuple[Criterion, ...]:
    if since is None:
        return ()
    moment = to_us(datetime.fromisoformat(since))
    return (Criterion("_lastUpdated", "date", None, (DateQuery("ge", moment, moment + 1),)),)


def _open_part(path: Path, length: int) -> BinaryIO:
    """The file being written, cut back to `length` (what the saved state counts) and positioned there."""
    if length == 0:
        return path.open("wb")
    if path.stat().st_size < length:  # the file lost data its saved state counts (a power loss)
        raise RuntimeError("an export file is shorter than its saved state")
    out = path.open("r+b")
    out.truncate(length)
    out.seek(length)
    return out


def _write_warning(path: Path, ignored: tuple[str, ...]) -> None:
    issues = [
        Issue(
            "not-supported",
            f"The $export parameter {name} is not supported yet and was ignored",
            f"Chưa hỗ trợ tham số {name} của $export; tham số đã bị bỏ qua",
            (name,),
            "warning",
        )
        for name in ignored
    ]
    path.write_bytes(dumps(operation_outcome(issues)) + b"\n")
