"""`fhir-server import`: NDJSON and Bundle files into the store, validated and indexed like PUT.

The parent reads items in chunks and hands them to a pool of worker processes (parse, validate, extract:
the CPU work, on every core), keeps a bounded number of chunks in flight, and takes the results back in
file order. It is the single writer: every `batch_size` resources it commits one unit of work holding the
resources (`write(..., method="PUT")`: ids are kept, a resource is created or gets a new version) and the
file's checkpoint. Re-running the same command resumes after the last commit without writing anything
twice (checkpoint.py says why). Memory stays flat: items are read lazily and at most
`chunk_size * in_flight + batch_size` of them are held at once.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import BinaryIO, TypeVar

import orjson

from fhir_server.bulk.checker import Accepted, Checked, Checker, Rejected, check_chunk, start_worker
from fhir_server.bulk.checkpoint import Checkpoint, advanced, checkpoint_name, fresh
from fhir_server.bulk.progress import Progress
from fhir_server.bulk.sources import Item, kind_of, read_items
from fhir_server.bulk.transfer import unpack_index
from fhir_server.storage.base import Store, StoredResource

log = logging.getLogger("fhir_server.bulk.import")
T = TypeVar("T")


@dataclass(slots=True)
class FileSummary:
    path: Path
    read: int = 0
    stored: int = 0
    rejected: int = 0
    rejects_file: Path | None = None
    skipped: bool = False  # imported completely by an earlier run


@dataclass(slots=True)
class ImportSummary:
    files: list[FileSummary] = field(default_factory=list)

    @property
    def read(self) -> int:
        return sum(f.read for f in self.files)

    @property
    def stored(self) -> int:
        return sum(f.stored for f in self.files)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)


@dataclass(frozen=True, slots=True)
class ImportOptions:
    workers: int = 0  # processes checking resources; 0: check in this process (tests, tiny files)
    batch_size: int = 500  # resources per unit of work
    chunk_size: int = 200  # items per task sent to a worker
    rejects_dir: Path | None = None  # default: next to each input file
    default_timezone: str = "Asia/Ho_Chi_Minh"


class ImportConflict(Exception):
    """Another import of the same file committed since this one read the checkpoint."""


class _InlineExecutor(Executor):
    """The pool's interface, checking in the calling process."""

    def __init__(self, default_timezone: str) -> None:
        self._checker = Checker(default_timezone)

    def submit(self, fn: Callable[..., T], /, *args: object, **kwargs: object) -> Future[T]:
        future: Future[T] = Future()
        future.set_result(self._checker.check_all(args[0]))  # type: ignore[arg-type]
        return future


# Called with each committed batch's stored versions (the CLI refreshes the children's recommendations).
AfterBatch = Callable[[Sequence[StoredResource]], None]


class Importer:
    def __init__(
        self,
        store: Store,
        options: ImportOptions,
        progress: Progress | None = None,
        after_batch: AfterBatch | None = None,
    ) -> None:
        self._store = store
        self._options = options
        self._progress = progress
        self._after_batch = after_batch

    def run(self, paths: Sequence[Path]) -> ImportSummary:
        summary = ImportSummary()
        with self._executor() as executor:
            for path in paths:
                summary.files.append(self.import_file(path, executor))
        return summary

    def _executor(self) -> Executor:
        if self._options.workers <= 0:
            return _InlineExecutor(self._options.default_timezone)
        # forkserver: workers start from a clean process, never a fork of one holding threads and locks.
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        return ProcessPoolExecutor(
            self._options.workers,
            mp_context=multiprocessing.get_context(method),
            initializer=start_worker,
            initargs=(self._options.default_timezone,),
        )

    def rejects_path(self, path: Path) -> Path:
        directory = self._options.rejects_dir or path.parent
        return directory / f"{path.name}.rejects.ndjson"

    def import_file(self, path: Path, executor: Executor) -> FileSummary:
        name = checkpoint_name(path)
        start = fresh(path)
        saved = self._store.checkpoint(name)
        checkpoint = start
        if saved is not None:
            previous = Checkpoint.from_bytes(saved)
            if previous.same_file(start):
                checkpoint = previous
            else:
                log.warning("file changed since its last import; importing it from the start")
        rejects = self.rejects_path(path)
        summary = FileSummary(path, rejects_file=rejects)
        if checkpoint.done:
            return _counted(summary, checkpoint, skipped=True)
        if checkpoint.position:
            log.info("resuming import", extra={"file": path.name, "position": checkpoint.position})
        rejects.parent.mkdir(parents=True, exist_ok=True)
        with rejects.open("ab") as out:
            out.truncate(checkpoint.rejects_bytes)  # drop rejects written after the last commit
            out.seek(checkpoint.rejects_bytes)
            checkpoint = self._import(path, executor, checkpoint, out, saved)
        if checkpoint.rejected == 0:
            rejects.unlink(missing_ok=True)
            summary.rejects_file = None
        return _counted(summary, checkpoint, skipped=False)

    def _import(
        self, path: Path, executor: Executor, checkpoint: Checkpoint, out: BinaryIO, saved: bytes | None
    ) -> Checkpoint:
        options = self._options
        name = checkpoint_name(path)
        in_flight: deque[tuple[int, Future[list[Checked]]]] = deque()
        pending: list[Accepted] = []
        rejects: list[bytes] = []
        read = 0
        position = checkpoint.position
        if self._progress:
            self._progress.begin(path.name, checkpoint.read)
        field_name = "entry" if kind_of(path) == "bundle" else "line"

        def commit(done: bool) -> None:
            nonlocal checkpoint, pending, rejects, read, saved
            if rejects:
                out.write(b"".join(rejects))
                out.flush()
                os.fsync(out.fileno())  # on disk before the checkpoint that counts them commits
            checkpoint = advanced(
                checkpoint,
                position=position,
                read=read,
                stored=len(pending),
                rejected=len(rejects),
                rejects_bytes=out.tell(),
            )
            if done:
                checkpoint = replace(checkpoint, done=True)
            value = checkpoint.to_bytes()
            with self._store.unit_of_work() as uow:
                # Read under the writer lock: another import of the same file would have moved it.
                if self._store.checkpoint(name) != saved:
                    raise ImportConflict(
                        f"another import of {path.name} committed meanwhile; nothing written"
                    )
                written = [
                    uow.write(accepted.resource, unpack_index(accepted.index), method="PUT")
                    for accepted in pending
                ]
                uow.save_checkpoint(name, value)
            saved = value
            if self._after_batch and written:
                self._after_batch(written)
            pending, rejects, read = [], [], 0
            if self._progress:
                self._progress.update(checkpoint.read, checkpoint.stored, checkpoint.rejected, final=done)

        def take(end: int, future: Future[list[Checked]]) -> None:
            nonlocal read, position
            for result in future.result():
                read += 1
                if isinstance(result, Accepted):
                    pending.append(result)
                else:
                    rejects.append(_reject_line(path, field_name, result))
            position = end
            if len(pending) >= options.batch_size:
                commit(done=False)

        for chunk in _chunks(read_items(path, checkpoint.position), options.chunk_size):
            in_flight.append((chunk[-1].end, executor.submit(check_chunk, chunk)))
            if len(in_flight) > max(options.workers, 1) * 2:
                take(*in_flight.popleft())
        while in_flight:
            take(*in_flight.popleft())
        commit(done=True)
        return checkpoint


def _counted(summary: FileSummary, checkpoint: Checkpoint, *, skipped: bool) -> FileSummary:
    summary.read, summary.stored, summary.rejected = checkpoint.read, checkpoint.stored, checkpoint.rejected
    summary.skipped = skipped
    return summary


def _chunks(items: Iterator[Item], size: int) -> Iterator[list[Item]]:
    while chunk := list(islice(items, size)):
        yield chunk


def _reject_line(path: Path, field_name: str, rejected: Rejected) -> bytes:
    record = {"file": str(path), field_name: rejected.number, "status": rejected.status}
    return orjson.dumps({**record, "outcome": rejected.outcome}) + b"\n"
