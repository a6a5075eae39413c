"""`Patient/[id]/$everything?start=&end=` (services.everything, services.care_dates): the care date range
keeps the resources whose care date overlaps it, and those without a care date; bad dates are a 400
that names the parameter."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.security_world import World, immunization, observation, world

__all__ = ["world"]  # the fixture

EVERYTHING = "/fhir/Patient/child-1/$everything"
UNDATED = {("Patient", "child-1"), ("Observation", "obs-vital-1"), ("Observation", "obs-lab-1")}


def _types_and_ids(bundle: dict[str, Any], mode: str = "match") -> set[tuple[str, str]]:
    """The matches (or, with mode="include", the supporting resources the page brought)."""
    entries = [e for e in bundle.get("entry", []) if e["search"]["mode"] == mode]
    return {(e["resource"]["resourceType"], e["resource"]["id"]) for e in entries}


@pytest.fixture
def dated(world: World) -> World:
    """child-1 also gets care on other dates: a dose in 2024, an encounter across new year 2024, a
    weight in 2023 and a condition from June 2025 (its dose imm-1 is on 2025-03-02, its forecast today)."""
    world.put(immunization("imm-2024", "child-1", occurrenceDateTime="2024-06-10T09:00:00+07:00"))
    world.put(
        {
            "resourceType": "Encounter",
            "id": "enc-span",
            "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
            "subject": {"reference": "Patient/child-1"},
            "period": {"start": "2023-12-20", "end": "2024-01-05"},
        }
    )
    world.put({**observation("obs-2023", "child-1", "vital-signs"), "effectiveDateTime": "2023-05-01"})
    world.put(
        {
            "resourceType": "Condition",
            "id": "cond-2025",
            "subject": {"reference": "Patient/child-1"},
            "code": {"text": "eczema"},
            "onsetDateTime": "2025-06-01",
        }
    )
    return world


def _everything(world: World, query: str) -> dict[str, Any]:
    found = world.client.get(f"{EVERYTHING}?{query}", headers=world.nurse("clinic-a"))
    assert found.status_code == 200, found.text
    bundle: dict[str, Any] = found.json()
    return bundle


def test_a_year_keeps_its_care_and_the_undated(dated: World) -> None:
    assert _types_and_ids(_everything(dated, "start=2024&end=2024")) == UNDATED | {
        ("Immunization", "imm-2024"),
        ("Encounter", "enc-span"),  # its period overlaps 2024
    }


def test_start_alone_and_end_alone(dated: World) -> None:
    after = _types_and_ids(_everything(dated, "start=2025-03-02"))
    assert after == UNDATED | {
        ("Immunization", "imm-1"),  # 2025-03-02T08:30+07:00: the start day is in the range
        ("Condition", "cond-2025"),
        ("ImmunizationRecommendation", "rec-child-1"),
    }
    before = _types_and_ids(_everything(dated, "end=2025-03-01"))
    assert before == UNDATED | {
        ("Immunization", "imm-2024"),
        ("Encounter", "enc-span"),
        ("Observation", "obs-2023"),
    }
    everything = _types_and_ids(_everything(dated, ""))
    assert everything == after | before  # no care date falls in neither


def test_the_range_combines_with_type_and_since(dated: World) -> None:
    typed = _everything(dated, "start=2024-01&end=2025-12&_type=Immunization,Observation")
    assert _types_and_ids(typed) == {
        ("Immunization", "imm-2024"),
        ("Immunization", "imm-1"),
        ("Observation", "obs-vital-1"),
        ("Observation", "obs-lab-1"),
    }
    later = _everything(dated, "start=2024&_since=2999-01-01T00:00:00%2B07:00")
    assert "entry" not in later


def test_pages_keep_the_range(dated: World) -> None:
    nurse = dated.nurse("clinic-a")
    page = _everything(dated, "start=2024&end=2024&_count=2")
    seen = _types_and_ids(page)
    pages = 1
    while next_url := next((x["url"] for x in page["link"] if x["relation"] == "next"), None):
        assert "start=2024" in next_url and "end=2024" in next_url
        page = dated.client.get(next_url, headers=nurse).json()
        seen |= _types_and_ids(page)
        pages += 1
    assert pages == 3
    assert seen == UNDATED | {("Immunization", "imm-2024"), ("Encounter", "enc-span")}


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("start=2024-13", "start"),
        ("end=2024-02-30", "end"),
        ("start=yesterday", "start"),
        ("start=2024-01-01T00:00:00Z", "start"),  # a date, not a dateTime
        ("end=ge2024", "end"),
        ("start=2024&start=2025", "start"),
        ("start=2025&end=2024-12-31", "start"),  # start after end
        ("_since=2024-01-01", "_since"),  # an instant needs a time and a zone
        ("_since=2024-01-01T00:00:00", "_since"),
        ("_since=soon", "_since"),
    ],
)
def test_bad_dates_are_a_400_naming_the_parameter(world: World, query: str, name: str) -> None:
    refused = world.client.get(f"{EVERYTHING}?{query}", headers=world.nurse("clinic-a"))
    assert refused.status_code == 400, refused.text
    outcome = refused.json()
    assert outcome["resourceType"] == "OperationOutcome"
    issue = outcome["issue"][0]
    assert issue["code"] == "invalid" and issue["expression"] == [name]
    assert name in issue["diagnostics"] and name in issue["details"]["text"]  # English and Vietnamese


def test_the_operation_definition_declares_start_and_end(world: World) -> None:
    definition = world.client.get("/fhir/OperationDefinition/Patient-everything", headers=world.admin).json()
    declared = {p["name"]: p["type"] for p in definition["parameter"] if p["use"] == "in"}
    assert declared == {
        "start": "date",
        "end": "date",
        "_since": "instant",
        "_type": "string",
        "_count": "integer",
    }
