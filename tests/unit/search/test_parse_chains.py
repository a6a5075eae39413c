"""Chained parameters and `_has` -> ChainQuery / HasQuery values, checked against the real registry."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from fhir_server.definitions.registry import SearchParamRegistry
from fhir_server.model.outcome import FhirError
from fhir_server.search.parse import ParsedSearch, parse_search
from fhir_server.search.request import (
    ChainQuery,
    Criterion,
    HasQuery,
    StringQuery,
    TokenQuery,
)
from tests.unit.search.conftest import VN

Parse = Callable[..., ParsedSearch]
CCCD = "https://cccd.gov.vn"
CVX = "http://hl7.org/fhir/sid/cvx"


@pytest.fixture
def parse(registry: SearchParamRegistry) -> Parse:
    def run(params: Sequence[tuple[str, str]], resource_type: str, strict: bool = False) -> ParsedSearch:
        return parse_search(resource_type, params, registry, strict=strict, default_tz=VN)

    return run


def only(parsed: ParsedSearch) -> Criterion:
    (criterion,) = parsed.request.criteria
    return criterion


def chains(criterion: Criterion) -> dict[str, Criterion]:
    assert criterion.type == "reference" and criterion.modifier is None
    found = {}
    for value in criterion.values:
        assert isinstance(value, ChainQuery)
        found[value.target_type] = value.inner
    return found


def test_chain_over_every_target_with_the_inner_parameter(parse: Parse) -> None:
    criterion = only(parse([("patient.identifier", f"{CCCD}|001,{CCCD}|002")], "Immunization", strict=True))
    assert criterion.param == "patient"
    inner = Criterion("identifier", "token", None, (TokenQuery(CCCD, "001"), TokenQuery(CCCD, "002")))
    # Immunization.patient targets Patient and Group; each has `identifier`: an OR, never an error.
    assert chains(criterion) == {"Patient": inner, "Group": inner}


def test_a_type_modifier_picks_one_target(parse: Parse) -> None:
    criterion = only(parse([("patient:Patient.name", "Nguyễn")], "Immunization", strict=True))
    assert chains(criterion) == {"Patient": Criterion("name", "string", None, (StringQuery("nguyen"),))}


def test_targets_without_the_inner_parameter_are_left_out(parse: Parse) -> None:
    criterion = only(parse([("subject.name", "x")], "Observation"))
    assert sorted(chains(criterion)) == ["Location", "Patient"]


def test_two_hops_and_inner_modifiers(parse: Parse) -> None:
    criterion = only(parse([("subject:Patient.organization.name:exact", "VNVC")], "Observation", strict=True))
    (hop,) = chains(criterion).values()
    assert chains(hop) == {"Organization": Criterion("name", "string", "exact", (StringQuery("VNVC"),))}
    missing = only(parse([("patient:Patient.birthdate:missing", "true")], "Immunization"))
    assert chains(missing)["Patient"].missing is True


def test_has(parse: Parse) -> None:
    criterion = only(parse([("_has:Immunization:patient:vaccine-code", f"{CVX}|08")], "Patient", strict=True))
    inner = Criterion("vaccine-code", "token", None, (TokenQuery(CVX, "08"),))
    assert criterion == Criterion("_has", "reference", None, (HasQuery("Immunization", "patient", inner),))


def test_nested_has_and_has_inside_a_chain(parse: Parse) -> None:
    name = "_has:Patient:organization:_has:Immunization:patient:vaccine-code"
    (value,) = only(parse([(name, "08")], "Organization", strict=True)).values
    assert isinstance(value, HasQuery) and value.inner.param == "_has"
    chained = only(parse([("patient:Patient._has:Immunization:patient:status", "completed")], "Immunization"))
    assert chains(chained)["Patient"].param == "_has"


@pytest.mark.parametrize(
    ("resource_type", "name"),
    [
        ("Immunization", "status.name"),  # not a reference
        ("Immunization", "patient.nope"),  # no target knows it
        ("Immunization", "patient:Organization.name"),  # not a target
        ("Immunization", "patient.name:nope"),  # bad inner modifier
        ("Patient", "_has:Immunization:nope:status"),
        ("Patient", "_has:Nope:patient:status"),
        ("Patient", "_has:Immunization:patient"),  # no inner parameter
        ("Organization", "_has:Immunization:patient:status"),  # patient never refers to an Organization
        ("Patient", "_has:Immunization:patient:nope"),
    ],
)
def test_unknown_parts_strict_is_400_lenient_is_ignored(parse: Parse, resource_type: str, name: str) -> None:
    lenient = parse([(name, "x"), ("_id", "a")], resource_type)
    assert lenient.ignored == (name,)
    assert [c.param for c in lenient.request.criteria] == ["_id"]
    with pytest.raises(FhirError) as caught:
        parse([(name, "x")], resource_type, strict=True)
    assert caught.value.status == 400
    assert caught.value.issues[0].vi


def test_a_malformed_inner_value_is_invalid_in_both_modes(parse: Parse) -> None:
    for strict in (False, True):
        with pytest.raises(FhirError) as caught:
            parse([("patient.birthdate", "notadate")], "Immunization", strict=strict)
        assert caught.value.issues[0].code == "invalid"
