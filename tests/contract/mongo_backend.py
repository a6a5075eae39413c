"""The Mongo backend under test: a real server when FHIR_TEST_MONGODB_URL is set, else mongomock.

mongomock is an in-process imitation of pymongo: a run against it checks our translation (documents,
filters, pipelines, the unit of work's locking and compare-and-set) against mongomock's reading of the
MongoDB query language, not MongoDB itself (no real indexes, no transactions, no sessions, no wire
protocol). A run with FHIR_TEST_MONGODB_URL pointing at a replica set adds all of that.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence

from fhir_server.storage.base import Summarizer
from fhir_server.storage.mongo import MongoStore, open_mongo_store
from fhir_server.types import Clock

REAL_URL = os.environ.get("FHIR_TEST_MONGODB_URL") or None


def describe() -> str:
    if REAL_URL:
        return "mongo backend: a real MongoDB server (FHIR_TEST_MONGODB_URL)"
    return (
        "mongo backend: mongomock, NOT MongoDB — checks our query translation and unit of work, not the "
        "server (set FHIR_TEST_MONGODB_URL=mongodb://... to run the same suites against a real one)"
    )


def open_mongo(clock: Clock, summarizers: Sequence[Summarizer] = ()) -> MongoStore:
    """A store on a fresh database (dropped by `drop`)."""
    database = f"fhir_test_{uuid.uuid4().hex[:12]}"
    if REAL_URL:
        return open_mongo_store(REAL_URL, clock, database=database, summarizers=summarizers)
    import mongomock

    return MongoStore(
        mongomock.MongoClient(),
        database,
        clock,
        server="mongomock",
        supports_transactions=False,
        summarizers=summarizers,
    )


def drop(store: MongoStore) -> None:
    """Drop the test's database on a real server (its own client: the store may be closed already)."""
    if REAL_URL:
        from pymongo import MongoClient

        with MongoClient(REAL_URL, serverSelectionTimeoutMS=5000) as client:
            client.drop_database(store.database_name)
