"""The patient a resource is about, and the bounded collection the audit reads it from."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

import fhir_server.services.disclosure as disclosure_module
from fhir_server.model.json import dumps
from fhir_server.services.disclosure import Disclosure, patient_of
from fhir_server.storage.base import StoredResource


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ({"resourceType": "Patient", "id": "p1"}, "p1"),
        ({"resourceType": "Immunization", "patient": {"reference": "Patient/p2"}}, "p2"),
        ({"resourceType": "Observation", "subject": {"reference": "Patient/p3/_history/2"}}, "p3"),
        ({"resourceType": "Coverage", "beneficiary": {"reference": "http://x/fhir/Patient/p4"}}, "p4"),
        ({"resourceType": "Observation", "subject": {"reference": "Group/g1"}}, None),
        (
            {
                "resourceType": "Appointment",
                "participant": [
                    {"actor": {"reference": "Location/l"}},
                    {"actor": {"reference": "Patient/p5"}},
                ],
            },
            "p5",
        ),
        ({"resourceType": "Organization", "id": "o1"}, None),
        ({"resourceType": "Immunization", "patient": {"display": "no reference"}}, None),
    ],
)
def test_patient_of(resource: dict[str, Any], expected: str | None) -> None:
    assert patient_of(resource) == expected


def _stored(resource: dict[str, Any]) -> StoredResource:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    return StoredResource(
        resource["resourceType"], resource.get("id", "x"), 1, when, False, "PUT", dumps(resource)
    )


def test_distinct_patients_in_order_and_deletions_skipped() -> None:
    noted = Disclosure()
    noted.note([_stored({"resourceType": "Immunization", "id": "i", "patient": {"reference": "Patient/b"}})])
    noted.note_resource({"resourceType": "Patient", "id": "a"})
    noted.note([_stored({"resourceType": "Patient", "id": "b"})])
    deleted = StoredResource("Patient", "c", 2, datetime(2026, 1, 1, tzinfo=UTC), True, "DELETE", b"")
    noted.note([deleted])
    assert noted.patients() == ["b", "a"]
    assert not noted.incomplete


def test_the_collection_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(disclosure_module, "_MAX_NOTED", 2)
    noted = Disclosure()
    for i in range(3):
        noted.note_resource({"resourceType": "Patient", "id": f"p{i}"})
    assert noted.patients() == ["p0", "p1"] and noted.incomplete
