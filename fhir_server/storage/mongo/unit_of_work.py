"""The MongoDB unit of work: writes are buffered and applied when the block ends without an error.

Isolation comes from lock documents (locks.py): every resource read or written, and every conditional
search, is locked until the end, so read-check-write sequences are atomic, as the contract asks, on any
deployment. Atomicity of the commit:
- on a replica set or a sharded cluster, the buffered writes are applied in one multi-document
  transaction (`with_transaction`, which retries transient errors);
- on a standalone server there are no transactions: each resource's new state is one compare-and-set
  (`update_one` on the version it had when it was locked), then its history entries. A single-resource
  write is therefore atomic; a multi-resource unit of work could be half applied by a crash, which is why
  the store says `supports_transactions = False` and services refuse transaction Bundles there.
Reads and searches inside the unit of work see its own buffered writes.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pymongo.client_session import ClientSession
from pymongo.errors import DuplicateKeyError, PyMongoError

from fhir_server.search.index import IndexValues
from fhir_server.search.matcher import matches
from fhir_server.search.request import SearchRequest
from fhir_server.search.sorting import sort_key
from fhir_server.storage.base import Method, StoredResource, Summaries, VersionConflict, columns_of
from fhir_server.storage.mongo.documents import (
    STORED_FIELDS,
    Document,
    body_binary,
    compartment,
    index_document,
    index_values,
    resource_key,
    to_stored,
    version_key,
)
from fhir_server.storage.mongo.locks import checkpoint_lock, condition_lock, resource_lock
from fhir_server.storage.mongo.summaries import PENDING, MongoSummaries
from fhir_server.storage.versioning import next_instant, stamp, to_us
from fhir_server.types import JsonResource

_log = logging.getLogger("fhir_server.storage.mongo")

if TYPE_CHECKING:
    from fhir_server.storage.mongo.store import MongoStore


@dataclass(slots=True)
class _State:
    """A resource as this unit of work sees it: `base` is the version in the database when it was
    locked (None: no document), the compare-and-set condition of the commit."""

    base: int | None
    seq: int | None
    current: StoredResource | None
    index: IndexValues | None  # of `current`; None when deleted
    pc: str | None = None  # the patient compartment (shard key): kept when the resource is deleted
    base_pc: str | None = None  # `pc` in the database: the commit's filter names it (a targeted update)
    touched: bool = False


class MongoUnitOfWork:
    def __init__(self, store: MongoStore) -> None:
        self._store = store
        self._owner = uuid.uuid4().hex
        self._locked: dict[str, None] = {}  # insertion-ordered set: O(1) "held already?"
        self._states: dict[str, _State] = {}
        self._versions: list[tuple[StoredResource, str | None]] = []  # new history entries, in order
        self._checkpoints: dict[str, bytes] = {}
        listed = frozenset(kind for s in store.summarizers for kind in s.listed)
        self._summaries = MongoSummaries(store.summaries, self._lock, listed)

    # -- locking -----------------------------------------------------------------------------------
    def _lock(self, name: str) -> None:
        if name not in self._locked:
            self._store.locks.acquire(name, self._owner)
            self._locked[name] = None

    def release(self) -> None:
        """Delete this unit of work's locks. If the server is gone meanwhile, they expire with their
        lease (locks.py) and the error that ended the unit of work is the one reported."""
        try:
            self._store.locks.release(list(self._locked), self._owner)
        except PyMongoError:
            _log.warning("locks left to expire", extra={"locks": len(self._locked)})
        self._locked = {}

    def _state(self, resource_type: str, id: str) -> _State:
        key = resource_key(resource_type, id)
        state = self._states.get(key)
        if state is None:
            self._lock(resource_lock(key))
            doc = self._store.resources.find_one({"_id": key}, {**STORED_FIELDS, "_idx": 1, "pc": 1})
            state = (
                _State(None, None, None, None)
                if doc is None
                else _State(
                    int(doc["v"]),
                    int(doc["seq"]),
                    to_stored(doc),
                    index_values(doc.get("_idx")),
                    doc.get("pc"),
                    doc.get("pc"),
                )
            )
            self._states[key] = state
        return state

    # -- the UnitOfWork protocol -------------------------------------------------------------------
    def read(self, resource_type: str, id: str) -> StoredResource | None:
        return self._state(resource_type, id).current

    def search_ids(self, request: SearchRequest, limit: int) -> list[str]:
        self._lock(condition_lock(request))
        limit = max(limit, 0)
        touched = {
            key: state
            for key, state in self._states.items()
            if state.touched and key.startswith(request.resource_type + "/")
        }
        if not touched:
            return self._store.matching_ids(request, limit)
        # Writes of this unit of work are not in the database yet: the database's matches minus the
        # resources written here, plus those written here that match, in the search's order.
        resolved = self._store.joins.resolved(request)
        found: list[tuple[tuple[object, ...], int, str]] = []
        for doc in self._store.matching_docs(request, limit + len(touched), exclude=list(touched)):
            index = index_values(doc.get("_idx"))
            found.append(
                (sort_key(index, doc["id"], int(doc["lu"]), request.sort), int(doc["seq"]), doc["id"])
            )
        for state in touched.values():
            stored = state.current
            if stored is None or stored.deleted or state.index is None or state.seq is None:
                continue
            lu = to_us(stored.last_updated)
            if matches(resolved, stored.id, lu, state.index):
                found.append((sort_key(state.index, stored.id, lu, request.sort), state.seq, stored.id))
        found.sort(key=lambda f: (f[0], f[1]))
        return [id for _, _, id in found[:limit]]

    def write(
        self,
        resource: JsonResource,
        index: IndexValues,
        *,
        method: Method,
        expected_version: int | None = None,
    ) -> StoredResource:
        resource_type, id = resource["resourceType"], resource["id"]
        state = self._state(resource_type, id)
        current = None if state.current is None else state.current.version
        if expected_version is not None and expected_version != current:
            raise VersionConflict(resource_type, id, expected_version, current)
        version = (current or 0) + 1
        previous = None if state.current is None else state.current.last_updated
        last_updated = next_instant(self._store.clock.now(), previous)
        body = stamp(resource, version, last_updated)
        stored = StoredResource(resource_type, id, version, last_updated, False, method, body)
        if state.seq is None:
            state.seq = self._store.next_position()
        state.current, state.index, state.touched = stored, index, True
        # Follows the patient reference: an Immunization moved to another child (a merge) moves with it.
        state.pc = compartment(resource_type, id, index)
        self._versions.append((stored, state.pc))
        self._summarize(resource_type, id, index)
        return stored

    def _summarize(self, resource_type: str, id: str, index: IndexValues | None) -> None:
        for summarizer in self._store.summarizers:
            if resource_type in summarizer.resource_types:
                summarizer(self._summaries, resource_type, id, None if index is None else columns_of(index))

    def delete(
        self, resource_type: str, id: str, *, expected_version: int | None = None
    ) -> StoredResource | None:
        state = self._state(resource_type, id)
        current = state.current
        if current is None or current.deleted:
            return None
        if expected_version is not None and expected_version != current.version:
            raise VersionConflict(resource_type, id, expected_version, current.version)
        version = current.version + 1
        last_updated = next_instant(self._store.clock.now(), current.last_updated)
        stored = StoredResource(resource_type, id, version, last_updated, True, "DELETE", b"")
        state.current, state.index, state.touched = stored, None, True
        self._versions.append((stored, state.pc))
        self._summarize(resource_type, id, None)
        return stored

    def reindex(self, resource_type: str, id: str, version: int, index: IndexValues) -> bool:
        state = self._state(resource_type, id)
        current = state.current
        if current is None or current.deleted or current.version != version:
            return False
        # Written by commit() like a write (compare-and-set on the version), without a history entry.
        state.index, state.touched = index, True
        state.pc = compartment(resource_type, id, index)
        return True

    def derived(self) -> Summaries | None:
        return self._summaries

    def save_checkpoint(self, name: str, value: bytes) -> None:
        self.lock_checkpoint(name)
        self._checkpoints[name] = value

    def lock_checkpoint(self, name: str) -> None:
        self._lock(checkpoint_lock(name))

    # -- commit ------------------------------------------------------------------------------------
    def commit(self) -> None:
        touched = any(s.touched for s in self._states.values())
        if not self._versions and not self._checkpoints and not touched and not self._summaries.changed:
            return
        first = self._store.next_history_sequences(len(self._versions)) if self._versions else 0
        history = [history_document(stored, first + n, pc) for n, (stored, pc) in enumerate(self._versions)]
        changed = [(key, state) for key, state in self._states.items() if state.touched]
        if self._store.supports_transactions:
            with self._store.client.start_session() as session:
                session.with_transaction(lambda s: self._apply(changed, history, s))
        elif self._summaries.changed:
            # No transaction: while this marker exists the derived rows are not trusted (a crash between
            # the resources and the rows leaves it, until `coverage rebuild`).
            marker = {"_id": f"{PENDING}{self._owner}"}
            self._store.summaries.insert_one(marker)
            self._apply(changed, history, None)
            self._store.summaries.delete_one(marker)
        else:
            self._apply(changed, history, None)

    def _apply(
        self, changed: list[tuple[str, _State]], history: list[Document], session: ClientSession | None
    ) -> None:
        resources = self._store.resources
        for key, state in changed:
            stored = state.current
            assert stored is not None and state.seq is not None  # touched states always have both
            doc = resource_document(key, stored, state.seq, state.index, state.pc)
            if state.base is None:
                try:
                    resources.insert_one(doc, session=session)
                except DuplicateKeyError as exc:  # created meanwhile by a writer that ignored the lock
                    raise VersionConflict(stored.resource_type, stored.id, 0, None) from exc
            elif (
                resources.replace_one(
                    {"_id": key, "v": state.base, "pc": state.base_pc}, doc, session=session
                ).matched_count
                != 1
            ):
                raise VersionConflict(stored.resource_type, stored.id, state.base, None)
        if history:
            self._store.history_collection.insert_many(history, ordered=True, session=session)
        self._summaries.apply(session)
        # Last: on a standalone server a crash before this line leaves the checkpoint behind the data,
        # so a resumed import re-writes those resources as new versions (never skips any).
        for name, value in self._checkpoints.items():
            self._store.checkpoints.replace_one(
                {"_id": name}, {"_id": name, "b": body_binary(value)}, upsert=True, session=session
            )


def resource_document(
    key: str, stored: StoredResource, seq: int, index: IndexValues | None, pc: str | None
) -> Document:
    return {
        "_id": key,
        "t": stored.resource_type,
        "id": stored.id,
        "v": stored.version,
        "lu": to_us(stored.last_updated),
        "del": stored.deleted,
        "m": stored.method,
        "b": body_binary(stored.body),
        "seq": seq,
        "pc": pc,
        "_idx": {} if index is None else index_document(index),
    }


def history_document(stored: StoredResource, sequence: int, pc: str | None) -> Document:
    return {
        "_id": version_key(stored.resource_type, stored.id, stored.version),
        "t": stored.resource_type,
        "id": stored.id,
        "v": stored.version,
        "lu": to_us(stored.last_updated),
        "del": stored.deleted,
        "m": stored.method,
        "b": body_binary(stored.body),
        "hs": sequence,
        "pc": pc,
    }
