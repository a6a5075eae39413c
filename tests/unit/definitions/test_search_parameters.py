"""The SearchParameter registry: official R4 definitions split per resource type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from fhir_server.definitions.registry import Definitions, SearchParamDef, SearchParamRegistry
from fhir_server.definitions.search_parameters import build_search_registry, expression_for, split_top_level

CONFORMANCE = Path(__file__).resolve().parents[3] / "conformance"
TYPES = frozenset({"Patient", "Practitioner", "Immunization", "Bundle", "MedicationRequest", "Observation"})


@pytest.fixture(scope="module")
def official() -> dict[str, Any]:
    bundle: dict[str, Any] = orjson.loads((CONFORMANCE / "search-parameters.json").read_bytes())
    return bundle


@pytest.fixture(scope="module")
def small(official: dict[str, Any]) -> SearchParamRegistry:
    return build_search_registry(official, TYPES)


def sp(code: str, kind: str, bases: list[str], expression: str | None = None, **extra: Any) -> dict[str, Any]:
    resource = {"resourceType": "SearchParameter", "url": f"http://x/{code}", "code": code, "type": kind}
    resource |= {"base": bases, **({"expression": expression} if expression else {}), **extra}
    return {"resource": resource}


def test_the_vendored_bundle_is_the_whole_official_set_trimmed(official: dict[str, Any]) -> None:
    resources = [e["resource"] for e in official["entry"]]
    assert len(resources) == 1375
    assert all(r["resourceType"] == "SearchParameter" for r in resources)
    assert not any("text" in r or "description" in r or "contact" in r for r in resources)
    assert {"code", "base", "type", "url"} <= set(resources[0])


def test_multi_base_expressions_are_split(small: SearchParamRegistry) -> None:
    assert small.get("Patient", "name") == SearchParamDef(
        "name",
        "Patient",
        "string",
        "Patient.name",
        "http://hl7.org/fhir/SearchParameter/Patient-name",
        index_code="name",
    )
    assert small.get("Patient", "family") is not None
    assert small.get("Practitioner", "family").expression == "Practitioner.name.family"  # type: ignore[union-attr]
    assert small.get("Patient", "phone").expression == "Patient.telecom.where(system='phone')"  # type: ignore[union-attr]
    code = small.get("MedicationRequest", "code")
    assert code is not None and code.expression == "(MedicationRequest.medication as CodeableConcept)"
    date = small.get("Immunization", "date")
    assert date is not None and date.expression == "Immunization.occurrence" and date.type == "date"
    patient = small.get("Immunization", "patient")
    assert patient is not None and patient.targets == ("Patient", "Group")


def test_several_branches_for_one_base_are_kept_together(small: SearchParamRegistry) -> None:
    quantity = small.get("Observation", "value-quantity")
    assert quantity is not None
    assert quantity.expression == "(Observation.value as Quantity) | (Observation.value as SampledData)"


def test_resource_level_parameters_apply_to_every_type(small: SearchParamRegistry) -> None:
    for resource_type in TYPES:
        tag = small.get(resource_type, "_tag")
        assert tag is not None and tag.expression == f"{resource_type}.meta.tag" and tag.type == "token"
        assert small.get(resource_type, "_profile").expression == f"{resource_type}.meta.profile"  # type: ignore[union-attr]
        for code in ("_id", "_lastUpdated", "_security", "_source", "_content"):
            assert small.get(resource_type, code) is not None
    assert small.get("Patient", "_text") is not None
    assert small.get("Bundle", "_text") is None  # not a DomainResource


def test_composite_components_are_kept(small: SearchParamRegistry) -> None:
    combo = small.get("Observation", "code-value-quantity")
    assert combo is not None and combo.type == "composite"
    assert [expression for _, expression in combo.components] == ["code", "value.as(Quantity)"]


def test_types_outside_the_known_set_are_left_out(small: SearchParamRegistry) -> None:
    assert set(small.by_type) == TYPES
    assert small.for_type("Location") == {}


def test_later_definitions_override_earlier_ones() -> None:
    bundle = {
        "entry": [
            sp("name", "string", ["Patient"], "Patient.name"),
            sp("name", "token", ["Patient"], "Patient.x"),
        ]
    }
    registry = build_search_registry(bundle, frozenset({"Patient"}))
    assert registry.get("Patient", "name").type == "token"  # type: ignore[union-attr]


def test_an_unknown_parameter_type_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown type"):
        build_search_registry({"entry": [sp("x", "fuzzy", ["Patient"], "Patient.x")]}, frozenset({"Patient"}))


def test_non_search_parameters_are_ignored() -> None:
    registry = build_search_registry(
        {"entry": [{"resource": {"resourceType": "Patient"}}]}, frozenset({"Patient"})
    )
    assert registry.for_type("Patient") == {}


@pytest.mark.parametrize(
    ("expression", "base", "bases", "expected"),
    [
        (
            "Patient.name | Practitioner.name",
            "Practitioner",
            ["Patient", "Practitioner"],
            "Practitioner.name",
        ),
        (
            "(A.value as X) | (B.value as Y) | (A.value as Z)",
            "A",
            ["A", "B"],
            "(A.value as X) | (A.value as Z)",
        ),
        ("name | alias", "InsurancePlan", ["InsurancePlan"], "name | alias"),
        ("A.x", "B", ["A", "B"], None),
        (None, "A", ["A"], None),
    ],
)
def test_expression_for(expression: str | None, base: str, bases: list[str], expected: str | None) -> None:
    assert expression_for(expression, base, bases) == expected


def test_split_top_level_respects_parentheses_and_quotes() -> None:
    assert split_top_level("a.where(b = 'x|y') | (c as D) | e", "|") == [
        "a.where(b = 'x|y')",
        "(c as D)",
        "e",
    ]
    assert split_top_level("A.b.where(system='a.b').c", ".") == ["A", "b", "where(system='a.b')", "c"]


def test_the_loader_builds_the_registry_for_every_resource_type(definitions: Definitions) -> None:
    registry = definitions.search_params
    assert len(registry.by_type) == len(definitions.resource_types)
    assert {"patient", "vaccine-code", "date", "status", "lot-number"} <= set(
        registry.for_type("Immunization")
    )
    assert {"patient", "vaccine-type", "target-disease", "date", "status"} <= set(
        registry.for_type("ImmunizationRecommendation")
    )
    assert {"subject", "date", "event", "seriousness"} <= set(registry.for_type("AdverseEvent"))
    assert {"name", "family", "given", "identifier", "birthdate"} <= set(registry.for_type("Patient"))


def test_parameters_with_one_expression_share_their_rows(small: SearchParamRegistry) -> None:
    name, phonetic, family = (small.get("Patient", code) for code in ("name", "phonetic", "family"))
    assert name is not None and phonetic is not None and family is not None
    assert name.expression == phonetic.expression
    assert (name.index_code, phonetic.index_code, family.index_code) == ("name", "name", "family")
