"""How far the import of one file got, saved in the store in the same commit as the resources.

Why in the store and not in a sidecar file: a sidecar is written after the store's commit, so a crash
between the two leaves it one batch behind and the resumed run writes that batch again (a second
version of each resource). Saved inside the unit of work, the checkpoint commits or rolls back with the
batch it describes. The rejects file is the one thing outside the store: it is flushed to disk before
the commit and truncated on resume to the size the checkpoint recorded, so rejects are written once too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path

import orjson


@dataclass(frozen=True, slots=True)
class Checkpoint:
    size: int  # the file's size and modification time when its import began: a changed file starts over
    mtime_ns: int
    position: int = 0  # resume position (sources.Item.end of the last item committed)
    read: int = 0
    stored: int = 0
    rejected: int = 0
    rejects_bytes: int = 0  # length of the rejects file at the commit
    done: bool = False

    def to_bytes(self) -> bytes:
        return orjson.dumps(asdict(self))

    @staticmethod
    def from_bytes(value: bytes) -> Checkpoint:
        return Checkpoint(**orjson.loads(value))

    def same_file(self, other: Checkpoint) -> bool:
        return (self.size, self.mtime_ns) == (other.size, other.mtime_ns)


def checkpoint_name(path: Path) -> str:
    return f"import:{path.resolve()}"


def fresh(path: Path) -> Checkpoint:
    stat = path.stat()
    return Checkpoint(size=stat.st_size, mtime_ns=stat.st_mtime_ns)


def advanced(
    checkpoint: Checkpoint, *, position: int, read: int, stored: int, rejected: int, rejects_bytes: int
) -> Checkpoint:
    return replace(
        checkpoint,
        position=position,
        read=checkpoint.read + read,
        stored=checkpoint.stored + stored,
        rejected=checkpoint.rejected + rejected,
        rejects_bytes=rejects_bytes,
    )
