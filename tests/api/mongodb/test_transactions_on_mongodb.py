"""Transaction Bundles on MongoDB: run atomically on a replica set or sharded cluster, refused (422
not-supported, never simulated) where the server has no transactions: a standalone server, mongomock."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.api.conftest import patient
from tests.api.test_transaction import count, entry, post, transaction


def test_a_transaction_runs_only_where_mongodb_has_transactions(client: TestClient) -> None:
    supported = client.get("/health").json()["store"]["transactions"]
    response = post(
        client, transaction(entry("POST", "Patient", patient()), entry("POST", "Patient", patient()))
    )
    if supported:
        assert response.status_code == 200, response.text
        assert count(client, "Patient") == 2
    else:
        assert response.status_code == 422, response.text
        assert response.json()["issue"][0]["code"] == "not-supported"
        assert count(client, "Patient") == 0


def test_a_batch_runs_on_every_deployment(client: TestClient) -> None:
    response = post(client, transaction(entry("POST", "Patient", patient()), kind="batch"))
    assert response.status_code == 200, response.text
    assert count(client, "Patient") == 1
