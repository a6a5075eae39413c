"""Opening a MongoDB deployment: timeouts, retryable writes, write concern, and a clear error when the
server cannot be reached (the CLI prints it and exits; no stack trace)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final
from urllib.parse import parse_qsl

from pymongo import MongoClient
from pymongo.errors import ConfigurationError, ConnectionFailure, OperationFailure, PyMongoError
from pymongo.uri_parser import parse_uri

from fhir_server.storage.base import StoreUnavailable, Summarizer
from fhir_server.storage.mongo.documents import Document
from fhir_server.storage.mongo.store import MongoStore
from fhir_server.types import Clock

DEFAULT_DATABASE: Final = "fhir"

# Defaults unless the URL sets them (URL options are the operator's word). Server selection is how long
# a request waits for a usable primary (an election takes ~10 s: docs/scaling.md); `w=majority` makes an
# acknowledged write survive the loss of the primary.
_DEFAULTS: Final[dict[str, Any]] = {
    "serverSelectionTimeoutMS": 5_000,
    "connectTimeoutMS": 5_000,
    "socketTimeoutMS": 30_000,
    "retryWrites": True,
    "retryReads": True,
    "w": "majority",
    "appname": "fhir-server",
}


def client_options(url: str, server_selection_timeout_ms: int | None = None) -> dict[str, Any]:
    """The keyword options for MongoClient: our defaults minus what the URL already says."""
    # The query string alone (parse_uri would resolve a mongodb+srv:// name in DNS just to read it).
    written = {key.lower() for key, _ in parse_qsl(url.partition("?")[2])}
    options = {key: value for key, value in _DEFAULTS.items() if key.lower() not in written}
    if server_selection_timeout_ms is not None and "serverselectiontimeoutms" not in written:
        options["serverSelectionTimeoutMS"] = server_selection_timeout_ms
    return options


def describe_server(client: MongoClient[Document]) -> tuple[str, bool]:
    """("replica set <name>" | "sharded cluster" | "standalone", whether transactions are available)."""
    try:
        hello = client.admin.command("hello")
    except OperationFailure:  # servers before 4.4.2 know the command by its old name
        hello = client.admin.command("isMaster")
    if hello.get("setName"):
        return f"replica set {hello['setName']}", True
    if hello.get("msg") == "isdbgrid":
        return "sharded cluster", True
    return "standalone", False


def open_mongo_store(
    url: str,
    clock: Clock,
    *,
    server_selection_timeout_ms: int | None = None,
    lock_timeout: float = 5.0,
    database: str | None = None,
    summarizers: Sequence[Summarizer] = (),
) -> MongoStore:
    """Connect, check the server answers, create the indexes. The database is `database`, else the
    URL's path, else "fhir". StoreUnavailable (with the hosts, never the credentials) when it cannot be
    reached or the URL is unusable."""
    try:
        parsed = parse_uri(url, validate=True, connect_timeout=1)
        hosts = (
            ", ".join(f"{host}:{port}" for host, port in parsed["nodelist"])
            or url.rsplit("@", maxsplit=1)[-1]
        )
        client: MongoClient[Document] = MongoClient(url, **client_options(url, server_selection_timeout_ms))
    except (ConfigurationError, ValueError) as exc:
        raise StoreUnavailable(f"The MongoDB URL is not usable: {exc}") from exc
    try:
        server, transactions = describe_server(client)
        database = database or client.get_default_database(default=DEFAULT_DATABASE).name
        return MongoStore(
            client,
            database,
            clock,
            server=server,
            supports_transactions=transactions,
            lock_timeout=lock_timeout,
            summarizers=summarizers,
        )
    except ConnectionFailure as exc:  # includes server selection timeouts
        client.close()
        raise StoreUnavailable(f"MongoDB at {hosts} is unreachable ({type(exc).__name__})") from exc
    except PyMongoError as exc:  # reached, but refused: authentication, an index built differently, ...
        client.close()
        detail = str(exc).split(", full error:")[0][:200]
        raise StoreUnavailable(
            f"MongoDB at {hosts} refused the start-up ({type(exc).__name__}: {detail})"
        ) from exc
