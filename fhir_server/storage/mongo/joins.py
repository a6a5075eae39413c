"""Chains and `_has` on MongoDB: the other type's matches are found first and their ids passed on as
an `$in` (query.py), since MongoDB has no correlated subquery and `$lookup` would join sharded
collections through the router. Beyond MAX_JOIN_IDS intermediate ids the search is refused (400
too-costly) rather than shipping a huge `$in` to every shard."""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from pymongo.collection import Collection

from fhir_server.model.outcome import FhirError
from fhir_server.search.request import (
    ChainQuery,
    Criterion,
    HasQuery,
    QueryValue,
    ReferenceQuery,
    SearchRequest,
    TokenQuery,
)
from fhir_server.storage.mongo.documents import Document
from fhir_server.storage.mongo.query import request_filter

MAX_JOIN_IDS: Final = 10_000


class Joins:
    """The `Lookup` of query.py, over the `resources` collection (read from the primary)."""

    def __init__(self, resources: Collection[Document]) -> None:
        self.resources = resources

    def ids(self, request: SearchRequest) -> list[str]:
        docs = list(self.resources.find(request_filter(request, self), {"id": 1}).limit(MAX_JOIN_IDS + 1))
        return [doc["id"] for doc in _capped(docs, request)]

    def referred(self, request: SearchRequest, reference_param: str, target_type: str) -> list[str]:
        docs = list(self.resources.find(request_filter(request, self), {"_idx.r": 1}).limit(MAX_JOIN_IDS + 1))
        return [
            row["ti"]
            for doc in _capped(docs, request)
            for row in doc.get("_idx", {}).get("r", ())
            if row["p"] == reference_param and row["tt"] == target_type and row["ti"] is not None
        ]

    def resolved(self, request: SearchRequest) -> SearchRequest:
        """`request` with chains and `_has` replaced by the ids they stand for (for search.matcher)."""
        resource_type = request.resource_type
        return replace(
            request,
            criteria=tuple(self._resolve(resource_type, c) for c in request.criteria),
            alternatives=tuple(
                tuple(self._resolve(resource_type, c) for c in group) for group in request.alternatives
            ),
        )

    def _resolve(self, resource_type: str, criterion: Criterion) -> Criterion:
        if not any(isinstance(v, ChainQuery | HasQuery) for v in criterion.values):
            return criterion
        values: list[QueryValue] = []
        for value in criterion.values:
            if isinstance(value, ChainQuery):
                found = self.ids(SearchRequest(value.target_type, (value.inner,)))
                values += [ReferenceQuery(value.target_type, id, None) for id in found]
            elif isinstance(value, HasQuery):
                inner = SearchRequest(value.referring_type, (value.inner,))
                values += [
                    TokenQuery(None, id) for id in self.referred(inner, value.reference_param, resource_type)
                ]
            else:
                values.append(value)
        if criterion.param == "_has":
            return Criterion("_id", "token", None, tuple(dict.fromkeys(values)))
        return Criterion(
            criterion.param, criterion.type, criterion.modifier, tuple(values), criterion.missing
        )


def _capped(docs: list[Document], request: SearchRequest) -> list[Document]:
    if len(docs) > MAX_JOIN_IDS:
        raise FhirError.of(
            400,
            "too-costly",
            f"A chained or _has search on {request.resource_type} matches more than {MAX_JOIN_IDS} resources;"
            " narrow it",
            f"Tìm kiếm nối chuỗi hoặc _has trên {request.resource_type} khớp hơn {MAX_JOIN_IDS} tài nguyên;"
            " hãy thu hẹp điều kiện",
            request.criteria[0].param if request.criteria else None,
        )
    return docs
