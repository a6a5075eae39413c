"""`:in` / `:not-in` on token parameters: the ValueSet is expanded at parse time into an OR of codes."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType
from zoneinfo import ZoneInfo

import pytest

from fhir_server.definitions.registry import Definitions, SearchParamRegistry
from fhir_server.model.outcome import FhirError
from fhir_server.search.parse import parse_search
from fhir_server.search.request import TokenQuery

CVX = "http://hl7.org/fhir/sid/cvx"
VS = "https://fhir.vn/ValueSet/test"
EMPTY = "https://fhir.vn/ValueSet/empty"


@pytest.fixture
def registry(definitions: Definitions) -> SearchParamRegistry:
    sets = {VS: ((CVX, "08"), ("https://fhir.vn/CodeSystem/vn-vaccine", "VN-BCG")), EMPTY: ()}
    return replace(definitions.search_params, value_sets=MappingProxyType(sets))


def parse(registry: SearchParamRegistry, name: str, value: str) -> tuple[str | None, tuple[object, ...]]:
    parsed = parse_search(
        "Immunization", [(name, value)], registry, strict=True, default_tz=ZoneInfo("Asia/Ho_Chi_Minh")
    )
    (criterion,) = parsed.request.criteria
    assert criterion.type == "token"
    return criterion.modifier, criterion.values


def test_in_is_an_or_of_the_expansion(registry: SearchParamRegistry) -> None:
    modifier, values = parse(registry, "vaccine-code:in", VS)
    assert modifier is None
    assert values == (TokenQuery(CVX, "08"), TokenQuery("https://fhir.vn/CodeSystem/vn-vaccine", "VN-BCG"))
    assert parse(registry, "vaccine-code:in", f"{VS}|0.1.0")[1] == values  # a version is ignored


def test_not_in_is_not_of_the_expansion(registry: SearchParamRegistry) -> None:
    modifier, values = parse(registry, "vaccine-code:not-in", VS)
    assert modifier == "not" and len(values) == 2


def test_an_empty_value_set_matches_no_code(registry: SearchParamRegistry) -> None:
    _, values = parse(registry, "vaccine-code:in", EMPTY)
    assert len(values) == 1 and isinstance(values[0], TokenQuery) and values[0].system is not None


def test_an_unknown_value_set_is_a_400_in_both_modes(registry: SearchParamRegistry) -> None:
    for strict in (True, False):
        with pytest.raises(FhirError) as caught:
            parse_search(
                "Immunization",
                [("vaccine-code:in", "https://x/none")],
                registry,
                strict=strict,
                default_tz=ZoneInfo("UTC"),
            )
        assert caught.value.status == 400


def test_in_is_refused_on_other_types(registry: SearchParamRegistry) -> None:
    with pytest.raises(FhirError) as caught:
        parse_search("Immunization", [("date:in", VS)], registry, strict=True, default_tz=ZoneInfo("UTC"))
    assert caught.value.status == 400
