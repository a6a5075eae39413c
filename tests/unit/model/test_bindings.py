"""Layer 4: required bindings (resource, backbone and data type elements) and references."""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType

import pytest

from fhir_server.definitions.registry import Definitions, ValidationDefinitions
from fhir_server.model.bindings import BindingChecker
from fhir_server.model.outcome import Issue
from fhir_server.types import JsonResource

Read = Callable[[str], JsonResource]


@pytest.fixture(scope="module")
def checker(definitions: Definitions) -> BindingChecker:
    return BindingChecker(definitions.validation)


def invalid(checker: BindingChecker, resource: JsonResource) -> list[tuple[str, tuple[str, ...]]]:
    findings = checker.check(resource, resource["resourceType"])
    assert not findings.malformed
    return [(i.code, i.expression) for i in findings.invalid]


def malformed(checker: BindingChecker, resource: JsonResource) -> list[Issue]:
    return checker.check(resource, resource["resourceType"]).malformed


def test_the_tables_hold_the_registry_bindings(definitions: Definitions) -> None:
    bindings = definitions.validation.required_bindings
    assert bindings["Immunization"]["Immunization.status"] == {"completed", "entered-in-error", "not-done"}
    assert bindings["Patient"]["Patient.gender"] == {"male", "female", "other", "unknown"}
    assert "Patient.link.type" in bindings["Patient"]
    assert bindings["HumanName"]["HumanName.use"] >= {"official", "usual", "maiden"}
    assert (
        "ImmunizationRecommendation.patient"
        in definitions.validation.reference_targets["ImmunizationRecommendation"]
    )


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        pytest.param(
            lambda r: r["name"][0].__setitem__("use", "nickname!"), "Patient.name[0].use", id="HumanName.use"
        ),
        pytest.param(
            lambda r: r["telecom"][1].__setitem__("system", "telegram"),
            "Patient.telecom[1].system",
            id="ContactPoint",
        ),
        pytest.param(
            lambda r: r["address"][0].__setitem__("use", "holiday"), "Patient.address[0].use", id="Address"
        ),
        pytest.param(
            lambda r: r["identifier"][0].__setitem__("use", "primary"),
            "Patient.identifier[0].use",
            id="Identifier",
        ),
        pytest.param(
            lambda r: r["contact"][0].__setitem__("gender", "f"),
            "Patient.contact[0].gender",
            id="backbone-element",
        ),
        pytest.param(
            lambda r: r["text"].__setitem__("status", "made-up"), "Patient.text.status", id="Narrative"
        ),
    ],
)
def test_data_type_and_backbone_bindings(
    checker: BindingChecker, example: Read, mutate: Callable[[JsonResource], object], where: str
) -> None:
    patient = example("Patient-example.json")
    assert invalid(checker, patient) == []
    mutate(patient)
    assert invalid(checker, patient) == [("code-invalid", (where,))]


def test_link_type_inside_backbone(checker: BindingChecker, example: Read) -> None:
    patient = example("Patient-example.json")
    patient["link"] = [{"other": {"reference": "Patient/pat2"}, "type": "duplicate"}]
    assert invalid(checker, patient) == [("code-invalid", ("Patient.link[0].type",))]


def test_quantity_comparator(checker: BindingChecker, example: Read) -> None:
    immunization = example("Immunization-example.json")
    immunization["doseQuantity"]["comparator"] = "~"
    assert invalid(checker, immunization) == [("code-invalid", ("Immunization.doseQuantity.comparator",))]


def test_codeable_concept_binding_needs_one_coding_from_the_value_set(
    checker: BindingChecker, example: Read
) -> None:
    event = example("AdverseEvent-example.json")
    system = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
    event["severity"] = {
        "coding": [{"system": "http://example.org", "code": "x"}, {"system": system, "code": "mild"}]
    }
    assert invalid(checker, event) == []
    event["severity"] = {"coding": [{"system": system, "code": "deadly"}]}
    assert invalid(checker, event) == [("code-invalid", ("AdverseEvent.severity",))]
    event["severity"] = {"text": "mild"}
    assert invalid(checker, event) == [("code-invalid", ("AdverseEvent.severity",))]


def test_contained_resources_are_checked_too(checker: BindingChecker, example: Read) -> None:
    immunization = example("Immunization-example.json")
    immunization["contained"] = [{"resourceType": "Patient", "id": "p1", "gender": "mal"}]
    immunization["patient"] = {"reference": "#p1"}
    assert invalid(checker, immunization) == [("code-invalid", ("Immunization.contained[0].gender",))]


def test_local_reference_target_type_and_existence(checker: BindingChecker, example: Read) -> None:
    immunization = example("Immunization-example.json")
    immunization["contained"] = [{"resourceType": "Practitioner", "id": "pr1"}]
    immunization["patient"] = {"reference": "#pr1"}
    assert invalid(checker, immunization) == [("invalid", ("Immunization.patient",))]
    immunization["patient"] = {"reference": "#nobody"}
    assert invalid(checker, immunization) == [("invalid", ("Immunization.patient.reference",))]


@pytest.mark.parametrize(
    "reference",
    [
        "Patient/example",
        "Patient/example/_history/2",
        "https://fhir.example.vn/fhir/Patient/123",
        "urn:uuid:9d2f2c4e-7b1a-4c1e-9a59-3f0c2a1d8e77",
        "Patient?identifier=http://example.vn/cccd|079123456789",
    ],
)
def test_well_formed_references_to_the_right_type(
    checker: BindingChecker, example: Read, reference: str
) -> None:
    immunization = example("Immunization-example.json")
    immunization["patient"] = {"reference": reference}
    assert invalid(checker, immunization) == []


@pytest.mark.parametrize(
    "reference", ["Patient 1", "patient/1", "Unicorn/1", "Patient/", "1", "urn:uuid:nope"]
)
def test_malformed_references_are_400(checker: BindingChecker, example: Read, reference: str) -> None:
    immunization = example("Immunization-example.json")
    immunization["performer"][0]["actor"] = {"reference": reference}
    issues = malformed(checker, immunization)
    assert [i.expression for i in issues] == [("Immunization.performer[0].actor.reference",)]
    assert issues[0].vi


def test_reference_type_element_is_checked(checker: BindingChecker, example: Read) -> None:
    immunization = example("Immunization-example.json")
    immunization["patient"] = {"type": "Group", "identifier": {"value": "x"}}
    assert invalid(checker, immunization) == [("invalid", ("Immunization.patient",))]
    immunization["patient"] = {"reference": "Patient/1", "type": "Practitioner"}
    assert invalid(checker, immunization) == [("invalid", ("Immunization.patient.type",))]


def test_data_type_reference_targets(checker: BindingChecker, example: Read) -> None:
    immunization = example("Immunization-example.json")
    immunization["note"] = [{"text": "x", "authorReference": {"reference": "Location/1"}}]
    assert invalid(checker, immunization) == [("invalid", ("Immunization.note[0].authorReference",))]


def test_bundle_entries_are_walked(checker: BindingChecker) -> None:
    bundle: JsonResource = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": {"resourceType": "Patient", "gender": "mal"}}],
    }
    assert invalid(checker, bundle) == [("code-invalid", ("Bundle.entry[0].resource.gender",))]


def test_a_table_path_unknown_to_the_schema_is_refused(definitions: Definitions) -> None:
    broken = ValidationDefinitions(
        json_schema=definitions.validation.json_schema,
        required_bindings=MappingProxyType({"Patient": MappingProxyType({"Patient.nope": frozenset({"x"})})}),
        reference_targets=MappingProxyType({}),
    )
    with pytest.raises(ValueError, match=r"Patient\.nope"):
        BindingChecker(broken)
