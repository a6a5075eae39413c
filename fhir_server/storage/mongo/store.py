"""The MongoDB backend (DESIGN.md §5): the scale-out path behind the same storage contract.

Collections: `resources` (current version + body + `_idx`), `history` (every version), `locks`
(unit-of-work isolation, locks.py), `counters` (creation positions and the history sequence, handed
out in blocks so that the counter document is not written once per create), `checkpoints` (bulk
import progress, written in a unit of work's commit) and `summaries` (derived rows, summaries.py).
Reads need no lock.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any, Final, ParamSpec, TypeVar

from pymongo import ASCENDING, DESCENDING, MongoClient, ReadPreference, ReturnDocument
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import PyMongoError

from fhir_server.search.request import (
    SearchRequest,
)
from fhir_server.storage.base import (
    ColumnValue,
    HistoryPage,
    HistoryQuery,
    SearchPage,
    StoredResource,
    StoreUnavailable,
    Summarizer,
    SummaryRow,
    UnitOfWork,
    index_columns,
    summary_marker,
)
from fhir_server.storage.mongo.documents import (
    STORED_FIELDS,
    Document,
    body_binary,
    index_values,
    resource_key,
    to_stored,
    version_key,
)
from fhir_server.storage.mongo.filters import Condition
from fhir_server.storage.mongo.indexes import ensure_indexes
from fhir_server.storage.mongo.joins import Joins
from fhir_server.storage.mongo.locks import Locks
from fhir_server.storage.mongo.query import (
    after_point,
    redacted,
    request_filter,
    sort_fields,
    sort_pipeline,
    sort_point_of,
)
from fhir_server.storage.mongo.summaries import pending, read_rows
from fhir_server.storage.mongo.unit_of_work import MongoUnitOfWork
from fhir_server.storage.versioning import (
    decode_cursor,
    decode_position,
    decode_sort_cursor,
    encode_cursor,
    encode_position,
    encode_sort_cursor,
    to_us,
)
from fhir_server.types import Clock

_explain = logging.getLogger("fhir_server.explain")

P = ParamSpec("P")
T = TypeVar("T")


def _served(method: Callable[P, T]) -> Callable[P, T]:
    """A driver error (server gone, election in progress past the timeout) is StoreUnavailable, which
    clients see as a 503 OperationOutcome; the exception's type is kept, its text (hosts) is not shown."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(*args, **kwargs)
        except PyMongoError as exc:
            raise StoreUnavailable(f"MongoDB failed: {type(exc).__name__}") from exc

    return wrapper


_EXACT_COUNT_UP_TO: Final = 100_000
_BLOCK: Final = 32  # creation positions reserved per counter update


class MongoStore:
    def __init__(
        self,
        client: MongoClient[Document],
        database: str,
        clock: Clock,
        *,
        server: str,
        supports_transactions: bool,
        lock_timeout: float = 5.0,
        summarizers: Sequence[Summarizer] = (),
    ) -> None:
        """`server` describes the deployment for /health ("replica set rs0", "standalone", "mongomock");
        `supports_transactions` is true on a replica set or a sharded cluster."""
        self.client = client
        self.clock = clock
        self.server = server
        self.supports_transactions = supports_transactions
        self._db: Database[Document] = client[database]
        # Units of work read from the primary whatever the URL says: a conditional create must see the
        # write of the unit of work that held the lock before it. Client reads (read, vread, history,
        # search pages) follow the URL's readPreference, so secondaries can serve them if asked.
        self.resources: Collection[Document] = self._db["resources"].with_options(
            read_preference=ReadPreference.PRIMARY
        )
        self.history_collection: Collection[Document] = self._db["history"]
        self._reader: Collection[Document] = self._db["resources"]
        self._counters: Collection[Document] = self._db["counters"]
        # Bulk import progress (UnitOfWork.save_checkpoint), read from the primary like units of work.
        self.checkpoints: Collection[Document] = self._db["checkpoints"].with_options(
            read_preference=ReadPreference.PRIMARY
        )
        # Derived rows (summaries.py), kept by `summarizers` in every unit of work.
        self.summarizers = tuple(summarizers)
        self.summaries: Collection[Document] = self._db["summaries"].with_options(
            read_preference=ReadPreference.PRIMARY
        )
        self.locks = Locks(self._db["locks"], timeout=lock_timeout)
        self.joins = Joins(self.resources)
        self._open = threading.local()  # `uow`: the unit of work this thread has open, if any
        self._positions = threading.Lock()
        self._next_position = 0
        self._position_limit = 0
        ensure_indexes(self._db)
        self._reconcile_markers()

    def _reconcile_markers(self) -> None:
        """A kind no installed summarizer keeps loses its "complete" marker (this process's writes would
        leave its rows behind); a kept kind gets one while no resource it derives from exists yet (its rows
        are trivially complete). Otherwise `fhir-server coverage rebuild` marks it. Not atomic: processes
        of one deployment are expected to run one version (an old process without the summarizer writing
        while a new one opens an empty store could leave a wrong marker); rows of kinds no longer kept (a
        `VERSION` bump) stay in `summaries`: nothing reads or clears them."""
        kept = {kind for s in self.summarizers for kind in s.kinds}
        for doc in self.checkpoints.find({"_id": {"$regex": "^summary:"}}, {"_id": 1}):
            if str(doc["_id"]).removeprefix("summary:") not in kept:
                self.checkpoints.delete_one({"_id": doc["_id"]})
        for summarizer in self.summarizers:
            if self.resources.find_one({"t": {"$in": sorted(summarizer.resource_types)}}, {"_id": 1}) is None:
                for kind in summarizer.kinds:
                    marker = {"_id": summary_marker(kind), "b": body_binary(b"1")}
                    self.checkpoints.replace_one({"_id": marker["_id"]}, marker, upsert=True)

    @property
    def database_name(self) -> str:
        return self._db.name

    # -- sequences ---------------------------------------------------------------------------------
    def _reserve(self, name: str, count: int) -> int:
        """The first of `count` fresh numbers of counter `name` (numbers start at 1)."""
        doc = self._counters.find_one_and_update(
            {"_id": name}, {"$inc": {"n": count}}, upsert=True, return_document=ReturnDocument.AFTER
        )
        assert doc is not None  # upserted
        return int(doc["n"]) - count + 1

    def next_position(self) -> int:
        """A creation position (the unsorted search order and cursor), increasing within this process."""
        with self._positions:
            if self._next_position >= self._position_limit:
                self._next_position = self._reserve("resources", _BLOCK)
                self._position_limit = self._next_position + _BLOCK
            self._next_position += 1
            return self._next_position - 1

    def next_history_sequences(self, count: int) -> int:
        return self._reserve("history", count)

    # -- writes ------------------------------------------------------------------------------------
    @contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        uow = MongoUnitOfWork(self)
        outer = getattr(self._open, "uow", None)
        self._open.uow = uow
        try:
            yield uow
            # Reached only when the block did not raise: a failed unit of work writes nothing.
            uow.commit()
        except PyMongoError as exc:
            raise StoreUnavailable(f"MongoDB failed: {type(exc).__name__}") from exc
        finally:
            self._open.uow = outer
            uow.release()

    # -- reads -------------------------------------------------------------------------------------
    @_served
    def read(self, resource_type: str, id: str) -> StoredResource | None:
        doc = self._reader.find_one({"_id": resource_key(resource_type, id)}, STORED_FIELDS)
        return None if doc is None else to_stored(doc)

    @_served
    def vread(self, resource_type: str, id: str, version: int) -> StoredResource | None:
        doc = self.history_collection.find_one({"_id": version_key(resource_type, id, version)})
        return None if doc is None else to_stored(doc)

    @_served
    def summary_rows(self, kind: str, groups: Sequence[str]) -> list[SummaryRow] | None:
        kept = any(kind in s.kinds for s in self.summarizers)
        if not kept or self.checkpoints.find_one({"_id": summary_marker(kind)}, {"_id": 1}) is None:
            return None
        if not self.supports_transactions and pending(self.summaries):
            return None  # a commit is writing rows, or crashed doing so (unit_of_work.py)
        return read_rows(self.summaries, kind, groups)

    def checkpoint(self, name: str) -> bytes | None:
        """Read inside a unit of work of this thread (the importer checks, before committing a batch, that
        no other import of the file committed since it resumed), the checkpoint is locked by that unit of
        work first: what SQLite's single writer gives, so two imports of one file never both commit."""
        uow: MongoUnitOfWork | None = getattr(self._open, "uow", None)
        if uow is not None:
            uow.lock_checkpoint(name)
        doc = self.checkpoints.find_one({"_id": name})
        return None if doc is None else bytes(doc["b"])

    @_served
    def history(self, query: HistoryQuery) -> HistoryPage:
        condition: Condition = {}
        if query.resource_type is not None:
            condition["t"] = query.resource_type
        if query.id is not None:
            condition["id"] = query.id
        if query.since is not None:
            condition["lu"] = {"$gte": to_us(query.since)}
        total = self.history_collection.count_documents(condition)
        below = decode_cursor(query.cursor)
        if below is not None:
            condition["hs"] = {"$lt": below}
        count = max(query.count, 0)
        docs = list(self.history_collection.find(condition).sort("hs", DESCENDING).limit(count + 1))
        page = docs[:count]
        more = len(docs) > count and bool(page)
        return HistoryPage(
            entries=[to_stored(doc) for doc in page],
            total=total,
            next_cursor=encode_cursor(int(page[-1]["hs"])) if more else None,
        )

    @_served
    def search(self, request: SearchRequest, *, with_total: bool, explain: bool = False) -> SearchPage:
        condition = request_filter(request, self.joins)
        count = max(request.count, 0)
        docs = self._page(request, condition, count + 1, explain)
        shown = docs[:count]
        more = len(docs) > len(shown) and bool(shown)
        total = self._reader.count_documents(condition) if with_total else None
        next_cursor = None
        if more:
            last = shown[-1]
            next_cursor = (
                encode_sort_cursor(sort_point_of(last, request.sort), int(last["seq"]))
                if request.sort
                else encode_position(int(last["seq"]))
            )
        return SearchPage(resources=[to_stored(doc) for doc in shown], total=total, next_cursor=next_cursor)

    def column_values(self, request: SearchRequest, params: tuple[str, ...]) -> list[ColumnValue]:
        wanted = frozenset(params)
        out: list[ColumnValue] = []
        for doc in self._reader.find(request_filter(request, self.joins), {"id": 1, "_idx": 1}):
            index = index_values(doc.get("_idx"))
            out += [(doc["id"], param, value) for param, value in index_columns(index) if param in wanted]
        return out

    def _page(
        self, request: SearchRequest, condition: Condition, limit: int, explain: bool
    ) -> list[Document]:
        offset = max(request.offset, 0)
        if not request.sort:
            after = decode_position(request.cursor)
            if after is not None:
                condition = {"$and": [condition, {"seq": {"$gt": after}}]}
            if explain:
                self._log_plan(request, condition, None)
            if limit <= 0:
                return []
            return list(
                self._reader.find(condition, STORED_FIELDS).sort("seq", ASCENDING).skip(offset).limit(limit)
            )
        # Keyset on (sort values, creation position), as the memory oracle: writes between pages shift
        # nothing.
        sorted_after = decode_sort_cursor(request.cursor, request.sort)
        stages, order = sort_pipeline(request)
        pipeline: list[dict[str, Any]] = [{"$match": condition}, *stages]
        if sorted_after is not None:
            pipeline.append({"$match": after_point(request.sort, *sorted_after)})
        pipeline += [{"$sort": order}, {"$skip": offset}]
        if explain:
            self._log_plan(request, condition, pipeline)
        if limit <= 0:
            return []
        pipeline += [{"$limit": limit}, {"$project": {**STORED_FIELDS, **sort_fields(request.sort)}}]
        return list(self._reader.aggregate(pipeline, allowDiskUse=True))

    def _log_plan(
        self, request: SearchRequest, condition: Condition, pipeline: list[dict[str, Any]] | None
    ) -> None:
        """The compiled filter (and pipeline) with every value replaced by "?", and the winning plan's
        stages and index names, which carry no values either."""
        if not _explain.isEnabledFor(logging.INFO):
            return
        try:
            plan = self.resources.find(condition).explain()["queryPlanner"]["winningPlan"]
            summary = _plan_summary(plan)
        except (NotImplementedError, AttributeError, KeyError, PyMongoError):
            summary = [f"no query plan from {self.server}"]
        _explain.info(
            "search explained",
            extra={
                "backend": "mongodb",
                "resource_type": request.resource_type,
                "filter": redacted(condition),
                "pipeline": None if pipeline is None else redacted(pipeline[1:]),
                "plan": summary,
            },
        )

    # -- for the unit of work ----------------------------------------------------------------------
    def matching_ids(self, request: SearchRequest, limit: int) -> list[str]:
        return [doc["id"] for doc in self.matching_docs(request, limit, exclude=[])]

    def matching_docs(self, request: SearchRequest, limit: int, exclude: list[str]) -> list[Document]:
        """Matches in search order with what sorting needs (`id`, `seq`, `lu`, `_idx`)."""
        condition = request_filter(request, self.joins)
        if exclude:
            condition = {"$and": [condition, {"_id": {"$nin": exclude}}]}
        if limit <= 0:
            return []
        fields = {"id": 1, "seq": 1, "lu": 1, "_idx": 1}
        if not request.sort:
            return list(self.resources.find(condition, fields).sort("seq", ASCENDING).limit(limit))
        stages, order = sort_pipeline(request)
        pipeline = [{"$match": condition}, *stages, {"$sort": order}, {"$limit": limit}, {"$project": fields}]
        return list(self.resources.aggregate(pipeline, allowDiskUse=True))

    # -- operations --------------------------------------------------------------------------------
    def health(self) -> dict[str, object]:
        """Round-trips to the server (a ping), so an unreachable server shows as unhealthy (503)."""
        with suppress(NotImplementedError):  # mongomock answers no commands
            self.client.admin.command("ping")
        # Counting the live resources scans them: exact on small databases only, else the collection's
        # metadata count (deleted resources included), so that a health probe stays a millisecond.
        estimate = self.resources.estimated_document_count()
        exact = estimate <= _EXACT_COUNT_UP_TO
        return {
            "backend": "mongodb",
            "server": self.server,
            "database": self._db.name,
            "transactions": self.supports_transactions,
            "resources": self.resources.count_documents({"del": False}) if exact else estimate,
            "resources_exact": exact,
        }

    def close(self) -> None:
        self.client.close()


def _plan_summary(plan: dict[str, Any]) -> list[str]:
    """`["FETCH", "IXSCAN idx_token"]`: each stage and its index name, outermost first, along the first
    input (on a sharded cluster: the first shard's plan, after SHARD_MERGE / SINGLE_SHARD)."""
    stages: list[str] = []
    node: dict[str, Any] | None = plan
    while node is not None:
        stage = str(node.get("stage", "?"))
        stages.append(f"{stage} {node['indexName']}" if "indexName" in node else stage)
        if node.get("shards"):
            node = node["shards"][0].get("winningPlan")
            continue
        inputs = node.get("inputStages") or ([node["inputStage"]] if "inputStage" in node else [])
        node = inputs[0] if inputs else None
    return stages


__all__ = ["MongoStore", "StoreUnavailable"]
