"""The Validator as a whole: official examples pass, each kind of broken resource fails where it should."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fhir_server.definitions.registry import Definitions
from fhir_server.model.json import dumps, loads
from fhir_server.model.outcome import FhirError
from fhir_server.model.validator import Validator
from fhir_server.types import JsonResource

EXAMPLES = Path(__file__).resolve().parents[2] / "data" / "examples"
OFFICIAL = sorted(p.name for p in EXAMPLES.glob("*.json"))
Mutation = Callable[[JsonResource], Any]
Read = Callable[[str], JsonResource]


def rejected(validator: Validator, resource: object, expected_type: str | None = None) -> FhirError:
    with pytest.raises(FhirError) as caught:
        validator.validate(resource, expected_type=expected_type)
    return caught.value


def expressions(error: FhirError) -> set[str]:
    return {e for issue in error.issues for e in issue.expression}


def test_the_vendored_examples_are_the_four_registry_types() -> None:
    prefixes = {name.split("-")[0] for name in OFFICIAL}
    assert prefixes == {"Patient", "Immunization", "ImmunizationRecommendation", "AdverseEvent"}
    assert len(OFFICIAL) >= 29


@pytest.mark.parametrize("name", OFFICIAL)
def test_every_official_example_is_accepted_unchanged(validator: Validator, example: Read, name: str) -> None:
    resource = example(name)
    before = copy.deepcopy(resource)
    result = validator.validate(resource, expected_type=resource["resourceType"])
    assert result is resource
    assert result == before


def _drop(key: str) -> Mutation:
    return lambda r: r.pop(key)


def _set(key: str, value: Any) -> Mutation:
    return lambda r: r.__setitem__(key, value)


def _case(mutate: Mutation, status: int, code: str, where: str, name: str) -> Any:
    return pytest.param(mutate, (status, code, where), id=name)


def _dose_number(value: object) -> Mutation:
    return lambda r: r["protocolApplied"][0].__setitem__("doseNumberPositiveInt", value)


IMMUNIZATION_CASES: list[Any] = [
    # mutation, then the status, issue code and expression it must produce
    _case(_set("primarySource", "yes"), 400, "value", "Immunization.primarySource", "boolean-as-string"),
    _case(
        lambda r: r["doseQuantity"].__setitem__("value", "5"),
        400,
        "value",
        "Immunization.doseQuantity.value",
        "decimal-as-string",
    ),
    _case(_set("lotNumber", 123), 400, "value", "Immunization.lotNumber", "string-as-number"),
    _case(_set("foo", 1), 400, "structure", "Immunization.foo", "unknown-element"),
    _case(
        lambda r: r["vaccineCode"].__setitem__("foo", 1),
        400,
        "structure",
        "Immunization.vaccineCode.foo",
        "unknown-nested-element",
    ),
    _case(
        _set("occurrenceDateTime", "2013-13-45"), 400, "value", "Immunization.occurrenceDateTime", "month-13"
    ),
    _case(
        _set("occurrenceDateTime", "2015-02-30"), 400, "value", "Immunization.occurrenceDateTime", "feb-30"
    ),
    _case(
        _set("expirationDate", "2015-02-29"), 400, "value", "Immunization.expirationDate", "feb-29-no-leap"
    ),
    _case(
        _set("occurrenceDateTime", "2015-02-07T13:28:17"),
        400,
        "value",
        "Immunization.occurrenceDateTime",
        "time-without-timezone",
    ),
    _case(_drop("status"), 400, "required", "Immunization.status", "missing-status"),
    _case(_drop("occurrenceDateTime"), 400, "required", "Immunization.occurrence", "missing-occurrence"),
    _case(
        _set("occurrenceString", "last week"), 400, "structure", "Immunization.occurrence", "two-occurrences"
    ),
    _case(_drop("patient"), 400, "required", "Immunization.patient", "missing-patient"),
    _case(_set("status", "done"), 422, "code-invalid", "Immunization.status", "status-not-in-value-set"),
    _case(_set("note", []), 400, "structure", "Immunization.note", "empty-array"),
    _case(_set("site", {}), 400, "structure", "Immunization.site", "empty-object"),
    _case(_set("note", [None]), 400, "structure", "Immunization.note[0]", "null-in-array"),
    _case(_set("lotNumber", None), 400, "value", "Immunization.lotNumber", "null-primitive"),
    _case(
        _set("patient", {"reference": "Practitioner/1"}),
        422,
        "invalid",
        "Immunization.patient",
        "wrong-target",
    ),
    _case(
        _set("patient", {"reference": "Patient 1"}),
        400,
        "value",
        "Immunization.patient.reference",
        "malformed-reference",
    ),
    _case(_set("id", "bad id!"), 400, "value", "Immunization.id", "id-with-space"),
    _case(_set("id", "a" * 65), 400, "value", "Immunization.id", "id-65-chars"),
    _case(
        _dose_number(0),
        400,
        "value",
        "Immunization.protocolApplied[0].doseNumberPositiveInt",
        "positive-int-0",
    ),
    _case(
        _dose_number(1.5), 400, "value", "Immunization.protocolApplied[0].doseNumberPositiveInt", "int-1.5"
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), IMMUNIZATION_CASES)
def test_broken_immunization_is_rejected_at_the_element(
    validator: Validator, example: Read, mutate: Mutation, expected: tuple[int, str, str]
) -> None:
    status, code, where = expected
    resource = example("Immunization-protocol.json")
    mutate(resource)
    error = rejected(validator, resource, "Immunization")
    assert error.status == status
    assert (code, where) in {(i.code, e) for i in error.issues for e in i.expression}
    assert all(i.en and i.vi for i in error.issues)


def test_wrong_resource_type_for_the_url(validator: Validator, example: Read) -> None:
    error = rejected(validator, example("Immunization-example.json"), "Patient")
    assert error.status == 400
    assert [(i.code, i.expression) for i in error.issues] == [("invalid", ("resourceType",))]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        pytest.param([], "structure", id="array"),
        pytest.param("Patient", "structure", id="string"),
        pytest.param({"id": "x"}, "required", id="no-resourceType"),
        pytest.param({"resourceType": 7}, "required", id="resourceType-not-a-string"),
        pytest.param({"resourceType": "Unicorn"}, "not-supported", id="unknown-type"),
    ],
)
def test_envelope_errors(validator: Validator, body: object, code: str) -> None:
    error = rejected(validator, body)
    assert error.status == 400
    assert error.issues[0].code == code


def test_unsupported_type_of_a_narrower_server(definitions: Definitions, example: Read) -> None:
    narrow = Validator(definitions.validation, frozenset({"Patient", "Immunization"}))
    error = rejected(narrow, example("AdverseEvent-example.json"))
    assert (error.status, error.issues[0].code) == (400, "not-supported")


def test_unknown_resource_type_in_the_constructor_is_refused(definitions: Definitions) -> None:
    with pytest.raises(ValueError, match="Unicorn"):
        Validator(definitions.validation, frozenset({"Patient", "Unicorn"}))


def test_id_of_64_characters_is_accepted(validator: Validator, example: Read) -> None:
    resource = example("Patient-example.json")
    resource["id"] = "A-." + "9" * 61
    assert validator.validate(resource) is resource


def test_all_schema_issues_come_at_once(validator: Validator, example: Read) -> None:
    resource = example("Immunization-example.json")
    resource["primarySource"] = "yes"
    resource["note"] = []
    resource["vaccineCode"]["foo"] = 1
    error = rejected(validator, resource)
    assert {
        "Immunization.primarySource",
        "Immunization.note",
        "Immunization.vaccineCode.foo",
    } <= expressions(error)


def test_schema_and_structure_issues_are_reported_together_without_duplicates(
    validator: Validator, example: Read
) -> None:
    resource = example("Immunization-example.json")
    resource["occurrenceDateTime"] = "2013-13-45"  # both the schema and R4B object; one issue
    resource["site"] = {}
    error = rejected(validator, resource)
    found = [e for i in error.issues for e in i.expression]
    assert found.count("Immunization.occurrenceDateTime") == 1
    assert "Immunization.site" in found


def test_bad_gender_is_a_binding_error(validator: Validator, example: Read) -> None:
    resource = example("Patient-example.json")
    resource["gender"] = "mal"
    error = rejected(validator, resource, "Patient")
    assert error.status == 422
    assert [(i.code, i.expression) for i in error.issues] == [("code-invalid", ("Patient.gender",))]
    assert "female" in error.issues[0].en


def test_layer_order_structure_before_bindings(validator: Validator, example: Read) -> None:
    resource = example("Immunization-example.json")
    resource["status"] = "done"  # 422 on its own
    resource["lotNumber"] = 5  # 400 wins: the first failing layer is reported
    error = rejected(validator, resource)
    assert error.status == 400
    assert expressions(error) == {"Immunization.lotNumber"}


def test_decimals_kept_as_written_are_validated_and_returned_unchanged(validator: Validator) -> None:
    body = (EXAMPLES / "Immunization-example.json").read_text().replace('"value": 5', '"value": 5.50')
    resource = loads(body)
    assert repr(resource["doseQuantity"]["value"]) == "5.50"
    assert validator.validate(resource) is resource
    assert repr(resource["doseQuantity"]["value"]) == "5.50"


def test_decimal_subclass_does_not_hide_errors(validator: Validator) -> None:
    body = (EXAMPLES / "Immunization-example.json").read_text().replace('"value": 5', '"value": 5.50')
    resource = loads(body)
    resource["primarySource"] = "yes"
    assert expressions(rejected(validator, resource)) == {"Immunization.primarySource"}


def _nested_extensions(levels: int, innermost: JsonResource) -> JsonResource:
    """`levels` extensions each holding the next, the last holding `innermost`'s value[x]."""
    inner: JsonResource = {"url": "http://example.org/x", **innermost}
    for _ in range(levels - 1):
        inner = {"url": "http://example.org/x", "extension": [inner]}
    return inner


def test_nesting_up_to_64_levels_is_accepted(validator: Validator, example: Read) -> None:
    resource = example("Patient-example.json")
    # Patient is level 1, each extension adds an array and an object: the 31st extension is at level 63
    # and its Coding at 64.
    coding = {"valueCoding": {"system": "http://example.org/cs", "code": "a"}}
    resource["extension"] = [_nested_extensions(31, coding)]
    assert validator.validate(resource) is resource


@pytest.mark.parametrize("levels", [32, 200, 2000])
def test_deeper_nesting_is_refused_where_it_crosses_the_bound(
    validator: Validator, example: Read, levels: int
) -> None:
    resource = example("Patient-example.json")
    resource["extension"] = [_nested_extensions(levels, {"valueString": "x"})]
    error = rejected(validator, resource, "Patient")
    assert error.status == 400
    assert [(i.code, i.expression) for i in error.issues] == [
        ("too-costly", ("Patient" + ".extension[0]" * 32,))
    ]
    assert all(i.en and i.vi for i in error.issues)


def test_a_huge_integer_in_an_integer_element_is_out_of_range(validator: Validator) -> None:
    body = (EXAMPLES / "Immunization-protocol.json").read_text()
    for big in ("2147483648", "123456789012345678901234567890"):
        resource = loads(body.replace('"doseNumberPositiveInt": 1', f'"doseNumberPositiveInt": {big}'))
        assert resource["protocolApplied"][0]["doseNumberPositiveInt"] == int(big)
        error = rejected(validator, resource)
        assert error.status == 400
        assert [(i.code, i.expression) for i in error.issues] == [
            ("value", ("Immunization.protocolApplied[0].doseNumberPositiveInt",))
        ]


@pytest.mark.parametrize(
    "literal", ["123456789012345678901234567890", "0.1234567890123456789", "-1.2345678901234567890e-30"]
)
def test_decimals_beyond_a_double_are_accepted_and_kept(validator: Validator, literal: str) -> None:
    body = (EXAMPLES / "Immunization-example.json").read_text().replace('"value": 5', f'"value": {literal}')
    # With and without a decimal that only the literal-preserving parser keeps (a different path).
    decimal = '"extension": [{"url": "http://example.org/x", "valueDecimal": 1.50}], "id"'
    for text in (body, body.replace('"id"', decimal, 1)):
        resource = loads(text)
        assert validator.validate(resource) is resource
        assert f'"value":{literal}'.encode() in dumps(resource)
