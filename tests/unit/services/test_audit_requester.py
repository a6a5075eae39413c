"""An AuditEvent recorded after its request (services.audit_requester): the kick-off's caller survives a
trip through JSON (the job table), and the event names the given patients, then counts them all."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from auth.scopes import ScopeSet
from auth.verify import Principal
from fhir_server.services.audit import audit_event
from fhir_server.services.audit_requester import later_record, requester

WHEN = datetime(2026, 11, 27, 3, 4, 5, tzinfo=UTC)
MANAGER = Principal(
    "u-9", "app-9", ScopeSet.parse("user/*.rs"), "http://iss", "jti", 99, role="manager", area="79",
    fhir_user="Practitioner/m9", organization="Organization/o9",
)  # fmt: skip


def _event(asked: dict[str, Any], named: list[str], count: int) -> dict[str, Any]:
    stored = orjson.loads(orjson.dumps(asked))  # as the job table keeps it
    record = later_record(stored, ("$export job j1", "completed"), named, count)
    return audit_event(record, WHEN, "fhir-server", "e-1")


def test_the_callers_agent_and_the_kickoff_query_are_kept() -> None:
    asked = requester(MANAGER, "POST", "Patient/$export", "_type=Immunization", "10.1.2.3")
    event = _event(asked, ["p1"], 1)
    agent = event["agent"][0]
    assert agent["who"] == {"reference": "Practitioner/m9"} and agent["altId"] == "u-9"
    assert agent["type"] == {"text": "manager"} and agent["network"]["address"] == "10.1.2.3"
    assert event["agent"][1]["who"]["identifier"]["value"] == "app-9"
    assert event["subtype"] == [{"system": "http://hl7.org/fhir/restful-interaction", "code": "operation"}]
    assert event["action"] == "E" and event["outcome"] == "0"
    entities = event["entity"]
    assert {"type": entities[0]["type"], "query": "X3R5cGU9SW1tdW5pemF0aW9u", "description": "$export"} in [
        {k: e.get(k) for k in ("type", "query", "description")} for e in entities
    ]


def test_named_patients_then_the_count_of_all() -> None:
    event = _event(requester(MANAGER, "GET", "$export", "", None), [f"p{i}" for i in range(50)], 1234)
    entities = event["entity"]
    named = [e["what"]["reference"] for e in entities if "what" in e]
    assert named == [f"Patient/p{i}" for i in range(50)]
    counts = [d["valueString"] for e in entities for d in e.get("detail", [])]
    assert counts == ["1234"]


def test_without_a_token_the_agent_is_anonymous() -> None:
    event = _event(requester(None, "GET", "$export", "", "127.0.0.1"), [], 0)
    assert event["agent"][0]["who"] == {"display": "anonymous"}
    assert [e for e in event["entity"] if e["type"]["code"] == "1"] == []
