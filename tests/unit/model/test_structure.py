"""Layer 2: what the R4B models catch, and where they are not used."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from fhir_server.definitions.registry import Definitions
from fhir_server.model.structure import StructureChecker, _choice_stem
from fhir_server.types import JsonResource

Read = Callable[[str], JsonResource]


@pytest.fixture(scope="module")
def checker(definitions: Definitions) -> StructureChecker:
    return StructureChecker(definitions.validation.json_schema)


def found(checker: StructureChecker, resource: JsonResource) -> list[tuple[str, tuple[str, ...]]]:
    return [(i.code, i.expression) for i in checker.check(resource, resource["resourceType"])]


@pytest.mark.parametrize(
    "resource_type", ["Patient", "Immunization", "ImmunizationRecommendation", "AdverseEvent"]
)
def test_registry_types_use_r4b(checker: StructureChecker, resource_type: str) -> None:
    assert checker.model_for(resource_type) is not None


@pytest.mark.parametrize("resource_type", ["Evidence", "MedicinalProduct", "EffectEvidenceSynthesis"])
def test_types_that_differ_in_r4b_are_left_to_the_schema(
    checker: StructureChecker, resource_type: str
) -> None:
    assert checker.model_for(resource_type) is None
    assert checker.check({"resourceType": resource_type}, resource_type) == []


def test_required_primitive_and_real_dates(checker: StructureChecker, example: Read) -> None:
    immunization = example("Immunization-example.json")
    del immunization["status"]
    assert found(checker, immunization) == [("required", ("Immunization.status",))]
    immunization["status"] = "completed"
    immunization["recorded"] = "2015-02-29"
    assert found(checker, immunization) == [("value", ("Immunization.recorded",))]


def test_nested_choice_and_required_backbone_element(checker: StructureChecker, example: Read) -> None:
    immunization = example("Immunization-example.json")
    immunization["protocolApplied"] = [{"series": "x"}]
    immunization["performer"] = [{"function": {"text": "x"}}]
    assert found(checker, immunization) == [
        ("required", ("Immunization.performer[0].actor",)),
        ("required", ("Immunization.protocolApplied[0].doseNumber",)),
    ]


def test_nested_choice_alone(checker: StructureChecker, example: Read) -> None:
    immunization = example("Immunization-example.json")
    immunization["protocolApplied"] = [{"doseNumberPositiveInt": 1, "doseNumberString": "1"}]
    assert found(checker, immunization) == [("structure", ("Immunization.protocolApplied[0].doseNumber",))]


def test_extra_elements_are_left_to_the_schema(checker: StructureChecker, example: Read) -> None:
    immunization = example("Immunization-example.json")
    immunization["foo"] = 1
    assert found(checker, immunization) == []


def test_contained_resource_of_a_type_r4b_lacks_skips_r4b(checker: StructureChecker, example: Read) -> None:
    immunization = example("Immunization-example.json")
    del immunization["status"]
    immunization["contained"] = [{"resourceType": "MedicinalProduct", "id": "m"}]
    assert found(checker, immunization) == []


def test_choice_stem() -> None:
    assert _choice_stem(["occurrenceDateTime", "occurrenceString"]) == "occurrence"
    assert _choice_stem(["valueString", "valueSampledData"]) == "value"
    assert _choice_stem(["doseNumberPositiveInt", "doseNumberString"]) == "doseNumber"


def test_recursion_error_in_r4b_becomes_an_issue(checker: StructureChecker, example: Read) -> None:
    patient = example("Patient-example.json")
    inner: JsonResource = {"url": "http://example.org/x", "valueString": "x"}
    for _ in range(600):  # 1200 levels: deeper than the R4B models can recurse
        inner = {"url": "http://example.org/x", "extension": [inner]}
    patient["extension"] = [inner]
    assert found(checker, patient) == [("too-costly", ("Patient",))]
    assert all(i.en and i.vi for i in checker.check(patient, "Patient"))
