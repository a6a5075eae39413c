"""Layer 3: JSON schema errors become one Issue each, at the element, without echoing values."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from fhir_server.definitions.registry import Definitions
from fhir_server.model.schema import SchemaChecker
from fhir_server.types import JsonResource

Read = Callable[[str], JsonResource]


@pytest.fixture(scope="module")
def checker(definitions: Definitions) -> SchemaChecker:
    return SchemaChecker(definitions.validation.json_schema)


def test_official_example_passes(checker: SchemaChecker, example: Read) -> None:
    assert checker.check(example("Patient-example.json"), "Patient") == []


def test_schema_is_strict_where_the_upstream_file_was_lax(checker: SchemaChecker, example: Read) -> None:
    patient = example("Patient-example.json")
    patient["multipleBirthInteger"] = 1.5  # integer: upstream said "number" with a pattern numbers ignore
    patient["name"][0]["given"] = []
    patient["contact"][0]["name"] = None
    found = {(i.code, i.expression) for i in checker.check(patient, "Patient")}
    assert found == {
        ("value", ("Patient.multipleBirthInteger",)),
        ("structure", ("Patient.name[0].given",)),
        ("structure", ("Patient.contact[0].name",)),
    }


def test_messages_name_the_type_and_not_the_value(checker: SchemaChecker, example: Read) -> None:
    immunization = example("Immunization-example.json")
    immunization["occurrenceDateTime"] = "2015-02-07T13:28:17"
    immunization["lotNumber"] = "   "  # whitespace is a string; only empty is not
    immunization["primarySource"] = "secret-value"
    issues = checker.check(immunization, "Immunization")
    by_where = {i.expression[0]: i for i in issues}
    assert set(by_where) == {"Immunization.occurrenceDateTime", "Immunization.primarySource"}
    assert "dateTime" in by_where["Immunization.occurrenceDateTime"].en
    assert "timezone" in by_where["Immunization.occurrenceDateTime"].en
    assert all("secret-value" not in i.en for i in issues)


def test_no_break_space_in_a_name_is_accepted(checker: SchemaChecker, example: Read) -> None:
    patient = example("Patient-example.json")
    patient["name"][0]["family"] = "Nguyễn\u00a0Thị"
    assert checker.check(patient, "Patient") == []


def test_unknown_contained_type(checker: SchemaChecker, example: Read) -> None:
    immunization = example("Immunization-example.json")
    immunization["contained"] = [{"resourceType": "Unicorn", "id": "u"}]
    issues = checker.check(immunization, "Immunization")
    assert [(i.code, i.expression) for i in issues] == [
        ("value", ("Immunization.contained[0].resourceType",))
    ]


def test_medplum_only_elements_are_gone(definitions: Definitions) -> None:
    definitions_ = definitions.validation.json_schema["definitions"]
    assert "Project" not in definitions_
    assert "project" not in definitions_["Meta"]["properties"]
    assert "status" not in definitions_["OperationOutcome"]["properties"]
