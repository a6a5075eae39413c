"""The loader's compartment registry: the five official R4 CompartmentDefinitions, frozen."""

from __future__ import annotations

import pytest

from fhir_server.definitions.loader import load_definitions
from fhir_server.definitions.registry import Definitions


@pytest.fixture(scope="module")
def definitions() -> Definitions:
    return load_definitions()


def test_the_five_compartments_are_loaded(definitions: Definitions) -> None:
    assert set(definitions.compartments.by_compartment) == {
        "Patient",
        "Encounter",
        "RelatedPerson",
        "Practitioner",
        "Device",
    }


def test_params_by_compartment_and_type(definitions: Definitions) -> None:
    compartments = definitions.compartments
    assert compartments.params("Patient", "Immunization") == ("patient",)
    assert compartments.params("Patient", "Observation") == ("subject", "performer")
    assert compartments.params("Encounter", "Encounter") == ("{def}",)
    assert compartments.params("Patient", "Organization") == ()  # listed without a param: not a member
    assert compartments.params("Organization", "Immunization") == ()  # not a compartment type


def test_every_param_is_a_reference_search_parameter_of_that_type(definitions: Definitions) -> None:
    for members in definitions.compartments.by_compartment.values():
        for resource_type, params in members.items():
            for code in params:
                if code == "{def}":
                    continue
                definition = definitions.search_params.get(resource_type, code)
                assert definition is not None, (resource_type, code)
                assert definition.type == "reference", (resource_type, code)


def test_registry_is_read_only(definitions: Definitions) -> None:
    with pytest.raises(TypeError):
        definitions.compartments.by_compartment["Patient"]["Immunization"] = ()  # type: ignore[index]


def test_element_flags_from_the_structure_definitions(definitions: Definitions) -> None:
    assert set(definitions.element_flags) == definitions.resource_types
    immunization = definitions.element_flags["Immunization"]
    assert immunization.mandatory == {"status", "vaccineCode", "patient", "occurrence[x]"}
    assert {"id", "meta", "implicitRules", "occurrence[x]", "patient"} <= immunization.summary
    assert "lotNumber" not in immunization.summary
    assert definitions.element_flags["Patient"].mandatory == frozenset()
    assert "birthDate" in definitions.element_flags["Patient"].summary
    with pytest.raises(TypeError):
        definitions.element_flags["Patient"] = immunization  # type: ignore[index]
