"""AuditEvent construction and the batching writer: nothing recorded is lost at close."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from auth.scopes import ScopeSet
from auth.verify import Principal
from fhir_server.definitions.registry import Definitions
from fhir_server.search.extract import Extractor
from fhir_server.search.request import Criterion, ReferenceQuery, SearchRequest
from fhir_server.services.audit import AuditRecord, AuditTrail, audit_event, describe
from fhir_server.storage.memory import MemoryStore


class FixedClock:
    def now(self) -> datetime:
        return datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "Immunization/1", ("read", "R")),
        ("GET", "Immunization/1/_history/2", ("vread", "R")),
        ("GET", "Immunization/1/_history", ("history-instance", "R")),
        ("GET", "Immunization/_history", ("history-type", "R")),
        ("GET", "_history", ("history-system", "R")),
        ("GET", "Immunization", ("search-type", "E")),
        ("POST", "Immunization/_search", ("search-type", "E")),
        ("GET", "Patient/1/Immunization", ("search-type", "E")),
        ("GET", "", ("search-system", "E")),
        ("POST", "", ("transaction", "E")),
        ("POST", "Immunization", ("create", "C")),
        ("PUT", "Immunization/1", ("update", "U")),
        ("PATCH", "Immunization/1", ("patch", "U")),
        ("DELETE", "Immunization/1", ("delete", "D")),
        ("GET", "Patient/1/$everything", ("operation", "E")),
    ],
)
def test_describe(method: str, path: str, expected: tuple[str, str]) -> None:
    assert describe(method, path) == expected


def _parent() -> Principal:
    return Principal(
        subject="u-1",
        client_id="app",
        scopes=ScopeSet.parse("patient/*.rs"),
        issuer="http://x",
        token_id=None,
        expires_at=0,
        role="parent",
        patient="child-1",
        fhir_user="RelatedPerson/rp-1",
    )


def test_event_names_agent_patient_and_query() -> None:
    record = AuditRecord("GET", "Immunization", "patient=child-1", 200, _parent(), "10.0.0.7")
    event = audit_event(record, FixedClock().now(), "fhir-server", "a1")
    assert event["type"]["code"] == "rest" and event["action"] == "E" and event["outcome"] == "0"
    assert event["agent"][0]["who"] == {"reference": "RelatedPerson/rp-1"}
    assert event["agent"][0]["network"]["address"] == "10.0.0.7"
    assert event["agent"][1]["who"]["identifier"]["value"] == "app"
    whats = [e["what"]["reference"] for e in event["entity"] if "what" in e]
    assert whats == ["Patient/child-1"]
    assert any(e.get("query") == "cGF0aWVudD1jaGlsZC0x" for e in event["entity"])  # base64


def test_close_drains_the_queue(definitions: Definitions) -> None:
    clock = FixedClock()
    store = MemoryStore(clock)
    extractor = Extractor(definitions.search_params, ZoneInfo("Asia/Ho_Chi_Minh"))
    trail = AuditTrail(store, extractor, clock, "fhir-server")
    for i in range(50):
        trail.record(AuditRecord("GET", f"Immunization/{i}", "", 200, _parent(), "127.0.0.1"))
    trail.close()
    patient = Criterion("patient", "reference", None, (ReferenceQuery("Patient", "child-1", None),))
    found = store.search(SearchRequest("AuditEvent", (patient,), (), 100, 0), with_total=True)
    assert found.total == 50
    trail.record(AuditRecord("GET", "Immunization/x", "", 200, None, None))  # after close: dropped, no hang
