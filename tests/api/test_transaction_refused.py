"""A store that cannot commit several writes atomically (MongoDB without a replica set) refuses
transaction Bundles with a clear OperationOutcome instead of simulating them; batches still run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from fhir_server.app import SystemClock, build_services, create_app
from fhir_server.settings import Settings
from fhir_server.storage.memory import MemoryStore
from tests.api.conftest import patient
from tests.api.test_transaction import count, entry, post, transaction


class _NoTransactionsStore(MemoryStore):
    supports_transactions = False


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings, build_services(settings, store=_NoTransactionsStore(SystemClock())))
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


def test_a_transaction_is_refused_and_nothing_is_written(client: TestClient) -> None:
    response = post(
        client, transaction(entry("POST", "Patient", patient()), entry("POST", "Patient", patient()))
    )
    assert response.status_code == 422, response.text
    issue = response.json()["issue"][0]
    assert issue["code"] == "not-supported"
    assert issue["expression"] == ["Bundle.type"]
    assert "batch" in issue["diagnostics"]
    assert count(client, "Patient") == 0


def test_a_batch_still_runs(client: TestClient) -> None:
    response = post(client, transaction(entry("POST", "Patient", patient()), kind="batch"))
    assert response.status_code == 200, response.text
    assert response.json()["entry"][0]["response"]["status"] == "201 Created"
    assert count(client, "Patient") == 1
