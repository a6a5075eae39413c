"""Compiled expressions: the fast path's shapes, its fallback, and the hand-written idioms."""

from __future__ import annotations

from typing import Any

import pytest
from fhirpathpy import compile as fhirpath_compile
from fhirpathpy.models import models

from fhir_server.search.expressions import compile_expression, reference_type


def values(expression: str, resource: dict[str, Any]) -> list[tuple[Any, str | None]]:
    evaluate, fast = compile_expression(expression, resource["resourceType"])
    assert fast
    return evaluate(resource)


def test_plain_paths_carry_the_element_type() -> None:
    patient = {"resourceType": "Patient", "name": [{"family": "Lê"}, {"family": "Lý"}], "birthDate": "2024"}
    assert values("Patient.name.family", patient) == [("Lê", "string"), ("Lý", "string")]
    assert values("Patient.birthDate", patient) == [("2024", "date")]
    assert values("Patient.name", patient)[0][1] == "HumanName"
    assert values("Patient.gender", patient) == []


def test_choice_elements_and_narrowing() -> None:
    shot = {"resourceType": "Immunization", "occurrenceDateTime": "2024-03-06"}
    assert values("Immunization.occurrence", shot) == [("2024-03-06", "dateTime")]
    assert values("(Immunization.occurrence as dateTime)", shot) == [("2024-03-06", "dateTime")]
    assert values("Immunization.occurrence.as(string)", shot) == []
    observation = {"resourceType": "Observation", "valueCodeableConcept": {"text": "dương tính"}}
    assert values("(Observation.value as CodeableConcept).text", observation) == [("dương tính", "string")]
    assert values("(Observation.value as Quantity)", observation) == []
    # DateTime and Time both end in "Time": the exact alternative is chosen
    timed = {"resourceType": "Observation", "valueTime": "10:00:00", "valueDateTime": "2024"}
    assert values("(Observation.value as dateTime)", timed) == [("2024", "dateTime")]


def test_uri_narrowing_prefers_the_exact_alternative() -> None:
    concept_map = {"resourceType": "ConceptMap", "sourceCanonical": "http://x/vs"}
    assert values("(ConceptMap.source as uri)", concept_map) == []
    assert values("(ConceptMap.source as canonical)", concept_map) == [("http://x/vs", "canonical")]


def test_where_filters() -> None:
    patient = {
        "resourceType": "Patient",
        "telecom": [{"system": "phone", "value": "1"}, {"system": "email", "value": "a@b"}],
    }
    assert [v["value"] for v, _ in values("Patient.telecom.where(system='email')", patient)] == ["a@b"]
    account = {
        "resourceType": "Account",
        "subject": [
            {"reference": "Patient/1"},
            {"reference": "Device/2"},
            {"reference": "#c"},
            {"type": "Patient"},
        ],
    }
    found = values("Account.subject.where(resolve() is Patient)", account)
    assert [v for v, _ in found] == [{"reference": "Patient/1"}, {"type": "Patient"}]


def test_unions_and_unprefixed_paths() -> None:
    plan = {"resourceType": "InsurancePlan", "name": "Bảo hiểm", "alias": ["BHYT"]}
    assert [v for v, _ in values("name | alias", plan)] == ["Bảo hiểm", "BHYT"]


@pytest.mark.parametrize(
    "patient",
    [
        {},
        {"deceasedBoolean": False},
        {"deceasedBoolean": True},
        {"deceasedDateTime": "2020-01-01"},
    ],
)
def test_deceased_idiom_agrees_with_fhirpathpy(patient: dict[str, Any]) -> None:
    expression = "Patient.deceased.exists() and Patient.deceased != false"
    resource = {"resourceType": "Patient", **patient}
    expected = fhirpath_compile(expression, models["r4"])(resource, None)
    assert [v for v, _ in values(expression, resource)] == expected


def test_other_shapes_fall_back_to_fhirpathpy() -> None:
    evaluate, fast = compile_expression("Patient.name.given.first()", "Patient")
    assert not fast
    assert evaluate({"resourceType": "Patient", "name": [{"given": ["An", "Bình"]}]}) == [("An", None)]


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ({"reference": "Patient/1"}, "Patient"),
        ({"reference": "Patient/1/_history/3"}, "Patient"),
        ({"reference": "https://registry.vn/fhir/Patient/1"}, "Patient"),
        ({"reference": "urn:uuid:1234"}, None),
        ({"reference": "#p1"}, None),
        ({"type": "Group", "identifier": {"value": "1"}}, "Group"),
        ("Patient/1", None),
    ],
)
def test_reference_type(reference: Any, expected: str | None) -> None:
    assert reference_type(reference) == expected
