"""Connection hygiene: defaults that the URL can override, and a clear error when MongoDB is unreachable."""

from __future__ import annotations

import time

import pytest

from fhir_server.storage.base import StoreUnavailable
from fhir_server.storage.factory import open_store
from fhir_server.storage.mongo.connection import client_options
from tests.contract.conftest import FakeClock

# Nothing listens on port 1: connections are refused at once, server selection gives up at its timeout.
UNREACHABLE = "mongodb://user:secret@127.0.0.1:1/fhir"


def test_defaults_retryable_writes_majority_and_timeouts() -> None:
    options = client_options("mongodb://h1,h2/fhir?replicaSet=rs0")
    assert options["retryWrites"] is True and options["w"] == "majority"
    assert options["serverSelectionTimeoutMS"] == 5_000 and options["socketTimeoutMS"] == 30_000


def test_the_url_wins_over_defaults_and_settings() -> None:
    options = client_options(
        "mongodb://h1/fhir?serverSelectionTimeoutMS=900&w=1", server_selection_timeout_ms=7
    )
    assert "serverSelectionTimeoutMS" not in options and "w" not in options
    assert client_options("mongodb://h1/fhir", server_selection_timeout_ms=7)["serverSelectionTimeoutMS"] == 7


def test_unreachable_server_is_a_store_unavailable_naming_hosts_not_credentials() -> None:
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as raised:
        open_store(UNREACHABLE, FakeClock(), mongodb_timeout_ms=300)
    assert time.monotonic() - started < 10  # bounded by the timeout, not a hang
    message = str(raised.value)
    assert "127.0.0.1:1" in message and "unreachable" in message
    assert "secret" not in message and "user" not in message


def test_malformed_mongodb_url_is_a_store_unavailable() -> None:
    with pytest.raises(StoreUnavailable, match="not usable"):
        open_store("mongodb://h1:notaport/fhir", FakeClock())


def test_a_server_that_answers_but_refuses_is_reported_as_such(monkeypatch: pytest.MonkeyPatch) -> None:
    from pymongo.errors import OperationFailure

    from fhir_server.storage.mongo import connection

    def refuse(client: object) -> tuple[str, bool]:
        raise OperationFailure("Authentication failed.", code=18)

    monkeypatch.setattr(connection, "describe_server", refuse)
    with pytest.raises(StoreUnavailable) as raised:
        open_store("mongodb://user:secret@127.0.0.1:1/fhir", FakeClock())
    message = str(raised.value)
    assert "refused the start-up" in message and "Authentication failed" in message
    assert "secret" not in message
