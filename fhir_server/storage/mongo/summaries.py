"""Derived rows (storage/base.py `Summaries`) in the `summaries` collection, for one unit of work.

Changes are buffered and applied by the unit of work's commit, with its resources (in its transaction on a
replica set). Reads see the buffer. Isolation comes from lock documents like everything else here
(locks.py): a row's key is locked before it is read or written; a group of a kind the summarizers list
(`Summarizer.listed`) is locked before it is listed and whenever one of its rows is written, so two units
of work deriving from writes about the same child (two doses of one patient) run one after the other and
neither loses the other's row. Groups of other kinds are never locked: the coverage child rows are
grouped by station, and locking a station would serialize (and could deadlock) every import batch and
REST write about its children.

Document: `{_id: "<kind>|<key>", k: kind, key, g: group, v: value}`; index (k, g).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from pymongo.client_session import ClientSession
from pymongo.collection import Collection

from fhir_server.storage.base import SummaryRow
from fhir_server.storage.mongo.documents import Document, body_binary

_CHUNK = 500  # groups per `$in`
# Without transactions (a standalone server) a commit writes resources, then rows: a document with this
# prefix marks one in flight, and rows are not trusted while one exists (a crash leaves it behind).
PENDING = "~pending:"
_PENDING_IDS = {"$regex": "^" + re.escape(PENDING)}
Row = tuple[str, bytes] | None  # (group, value), None: deleted in this unit of work


def _id(kind: str, key: str) -> str:
    return f"{kind}|{key}"


def _key_lock(kind: str, key: str) -> str:
    return f"s:{kind}|{key}"


def _group_lock(kind: str, group: str) -> str:
    return f"g:{kind}|{group}"


class MongoSummaries:
    def __init__(
        self, collection: Collection[Document], lock: Callable[[str], None], listed: frozenset[str]
    ) -> None:
        self._collection = collection
        self._lock = lock
        self._listed = listed
        self._buffer: dict[tuple[str, str], Row] = {}
        self._cleared: set[str] = set()

    def summary(self, kind: str, key: str) -> tuple[str, bytes] | None:
        self._lock(_key_lock(kind, key))
        if (kind, key) in self._buffer:
            return self._buffer[(kind, key)]
        if kind in self._cleared:
            return None
        doc = self._collection.find_one({"_id": _id(kind, key)})
        return None if doc is None else (str(doc["g"]), bytes(doc["v"]))

    def summaries(self, kind: str, group: str) -> list[SummaryRow]:
        if kind not in self._listed:  # its writers take no group lock: a listing could miss a row
            raise ValueError(f"summary kind {kind!r} is listed but no Summarizer declares it in `listed`")
        self._lock(_group_lock(kind, group))
        out: dict[str, SummaryRow] = {}
        if kind not in self._cleared:
            for doc in self._collection.find({"k": kind, "g": group}):
                out[str(doc["key"])] = (str(doc["key"]), group, bytes(doc["v"]))
        for (row_kind, key), row in self._buffer.items():
            if row_kind != kind:
                continue
            if row is None or row[0] != group:
                out.pop(key, None)
            else:
                out[key] = (key, group, row[1])
        return sorted(out.values())

    def put_summary(self, kind: str, key: str, group: str, value: bytes) -> None:
        if kind in self._cleared:  # a rebuild: millions of rows, no lock per row (see clear_summaries)
            self._buffer[(kind, key)] = (group, value)
            return
        old = self.summary(kind, key)
        if kind in self._listed:
            self._lock(_group_lock(kind, group))
            if old is not None and old[0] != group:
                self._lock(_group_lock(kind, old[0]))
        self._buffer[(kind, key)] = (group, value)

    def delete_summary(self, kind: str, key: str) -> None:
        old = self.summary(kind, key)
        if old is not None:
            if kind in self._listed:
                self._lock(_group_lock(kind, old[0]))
            self._buffer[(kind, key)] = None

    def clear_summaries(self, kind: str) -> None:
        """Before a rebuild. Nothing excludes other writers here (SQLite's rebuild holds the one writer
        lock): on MongoDB `coverage rebuild` runs with the servers stopped (docs/indicators.md), and the
        rows it writes take no locks. Also forgets every commit left pending by a crash (see
        unit_of_work.py): the rows are rebuilt whole."""
        self._cleared.add(kind)
        self._buffer = {k: v for k, v in self._buffer.items() if k[0] != kind}

    @property
    def changed(self) -> bool:
        return bool(self._buffer or self._cleared)

    def apply(self, session: ClientSession | None) -> None:
        for kind in sorted(self._cleared):
            self._collection.delete_many({"k": kind}, session=session)
        if self._cleared:
            self._collection.delete_many({"_id": _PENDING_IDS}, session=session)
        # One round trip per row: `bulk_write` would be one per thousand, but mongomock (the test double
        # here) cannot run pymongo 4's ReplaceOne, and a path the tests cannot run is not shipped.
        for (kind, key), row in self._buffer.items():
            if row is None:
                self._collection.delete_one({"_id": _id(kind, key)}, session=session)
            else:
                doc = {"_id": _id(kind, key), "k": kind, "key": key, "g": row[0], "v": body_binary(row[1])}
                self._collection.replace_one({"_id": doc["_id"]}, doc, upsert=True, session=session)


def pending(collection: Collection[Document]) -> bool:
    return collection.find_one({"_id": _PENDING_IDS}, {"_id": 1}) is not None


def read_rows(collection: Collection[Document], kind: str, groups: Sequence[str]) -> list[SummaryRow]:
    out: list[SummaryRow] = []
    unique = sorted(set(groups))
    for start in range(0, len(unique), _CHUNK):
        query = {"k": kind, "g": {"$in": unique[start : start + _CHUNK]}}
        out += [(str(d["key"]), str(d["g"]), bytes(d["v"])) for d in collection.find(query)]
    return out
