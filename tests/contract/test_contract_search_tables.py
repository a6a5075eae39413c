"""The search correctness tables of tests/unit/search/test_matcher.py (extraction + parsing + matching),
re-run unchanged through every backend: the same test functions, with a `search` fixture that writes
the table's resources into a fresh store and asks the store instead of the in-memory matcher."""

# ruff: noqa: F401 (the imported test functions are collected, not called)
from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from fhir_server.definitions.registry import Definitions
from fhir_server.search.extract import Extractor
from fhir_server.search.parse import parse_search
from fhir_server.storage.base import Store
from fhir_server.storage.factory import open_store
from fhir_server.types import JsonResource
from tests.contract import mongo_backend
from tests.contract.conftest import FakeClock, store_url
from tests.unit.search.conftest import VN
from tests.unit.search.test_matcher import (
    Search,
    test_dates,
    test_dates_on_immunizations,
    test_identifier_and_phone,
    test_long_texts,
    test_numbers,
    test_profile_and_tag,
    test_quantities,
    test_reference_by_identifier_and_by_absolute_url,
    test_references,
    test_security_and_source,
    test_token_without_value_on_the_resource_matches_not,
    test_tokens,
    test_vietnamese_names,
)


@pytest.fixture(scope="module")
def table_extractor(definitions: Definitions) -> Extractor:
    return Extractor(definitions.search_params, VN)


@pytest.fixture
def search(
    backend: str, definitions: Definitions, table_extractor: Extractor, tmp_path: Path
) -> Iterator[Search]:
    """`search("name=thao", resources)` -> the ids the backend finds, in creation order."""
    registry, extractor = definitions.search_params, table_extractor
    opened: list[Store] = []
    numbers = itertools.count()

    def open_fresh() -> Store:
        clock = FakeClock()
        if backend == "mongodb":
            store: Store = mongo_backend.open_mongo(clock)
        else:
            store = open_store(store_url(backend, tmp_path / str(next(numbers))), clock)
        opened.append(store)
        return store

    def run(query: str, resources: Sequence[JsonResource], stamp: int = 0) -> list[str]:
        del stamp  # the store stamps lastUpdated itself; no table depends on it
        params = [(name, value) for name, _, value in (part.partition("=") for part in query.split("&"))]
        resource_type = resources[0]["resourceType"]
        request = parse_search(resource_type, params, registry, strict=True, default_tz=VN).request
        store = open_fresh()
        with store.unit_of_work() as uow:
            for resource in resources:
                uow.write(resource, extractor.extract(resource), method="PUT")
        page = store.search(replace(request, count=1000), with_total=True)
        found = [r.id for r in page.resources]
        assert page.total == len(found)
        return found

    yield run
    for store in opened:
        if backend == "mongodb":
            mongo_backend.drop(store)  # type: ignore[arg-type]
        store.close()
