"""The API suites re-run on the MongoDB backend: the same test functions, the `client` fixture here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from fhir_server.app import SystemClock, build_services, create_app
from fhir_server.settings import Settings
from tests.contract.mongo_backend import drop, open_mongo


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """As `serve` configures a mongodb:// deployment: reads and writes in the threadpool. (The URL stays
    the parent's SQLite file: `client` below brings its own Mongo store, and the two tests that build an
    app from `settings` themselves run on that file, as they do in tests/api.)"""
    return settings.model_copy(update={"offload_reads": True, "offload_writes": True})


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    store = open_mongo(SystemClock())
    app = create_app(settings, build_services(settings, store=store))
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client
    drop(store)
