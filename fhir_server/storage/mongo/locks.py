"""Lock documents: what makes a unit of work's read-check-write atomic without a database-wide lock.

A unit of work locks each resource it reads or writes (`r:Type/id`), each search it runs for a
conditional interaction (`c:<digest of the request>`) and each bulk import checkpoint it reads or saves
(`k:<digest of its name>`), by inserting a document with that `_id` into `locks`: the unique `_id` lets
exactly one insert win, on a standalone server as on a replica set or a sharded cluster. Other units of
work wait (short sleeps) until the holder deletes it at the end of its unit of work, or until `timeout`
(then StoreUnavailable, HTTP 503). A holder that died leaves a lock that expires after `lease` seconds:
a waiter then takes it over (and a TTL index sweeps old ones).
"""

from __future__ import annotations

import hashlib
import random
import time
from datetime import UTC, datetime, timedelta

from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from fhir_server.search.request import SearchRequest
from fhir_server.storage.base import StoreUnavailable
from fhir_server.storage.mongo.documents import Document


def resource_lock(key: str) -> str:
    return f"r:{key}"


def checkpoint_lock(name: str) -> str:
    """A bulk import checkpoint; its name holds the file's path, kept out of `locks` by a digest too."""
    return "k:" + hashlib.sha256(name.encode()).hexdigest()


def condition_lock(request: SearchRequest) -> str:
    """Equal requests (same type, criteria, order, limit) name the same lock; the digest keeps the lock
    name short and free of the searched values (identifiers), which must not sit in another collection."""
    return "c:" + hashlib.sha256(repr(request).encode()).hexdigest()


class Locks:
    def __init__(self, collection: Collection[Document], *, timeout: float, lease: float = 30.0) -> None:
        self._collection = collection
        self._timeout = timeout
        self._lease = timedelta(seconds=lease)

    def acquire(self, name: str, owner: str) -> None:
        deadline = time.monotonic() + self._timeout
        while True:
            now = datetime.now(UTC)
            try:
                self._collection.insert_one({"_id": name, "owner": owner, "exp": now + self._lease})
                return
            except DuplicateKeyError:
                # Held: take it over only when its holder let the lease run out (it died).
                self._collection.delete_one({"_id": name, "exp": {"$lt": now}})
            if time.monotonic() >= deadline:
                raise StoreUnavailable("A resource stayed locked by another writer")
            time.sleep(random.uniform(0.001, 0.005))

    def release(self, names: list[str], owner: str) -> None:
        for start in range(0, len(names), 1000):  # a large unit of work: keep each command small
            self._collection.delete_many({"_id": {"$in": names[start : start + 1000]}, "owner": owner})
