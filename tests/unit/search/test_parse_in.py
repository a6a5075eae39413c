"""`:in` / `:not-in` on token parameters: the ValueSet's expansion, as the registry built it once, is one
value of the criterion whatever its size."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType
from zoneinfo import ZoneInfo

import pytest

from fhir_server.definitions.registry import CodeSet, Definitions, SearchParamRegistry
from fhir_server.model.outcome import FhirError
from fhir_server.search.parse import parse_search
from fhir_server.search.request import ChainQuery, ValueSetQuery

CVX = "http://hl7.org/fhir/sid/cvx"
VS = "https://fhir.vn/ValueSet/test"
EMPTY = "https://fhir.vn/ValueSet/empty"
BIG = "https://fhir.vn/ValueSet/big"
COMMUNE = "https://fhir.vn/CodeSystem/vn-commune"
SETS = {
    VS: CodeSet.of(VS, [(CVX, "08"), ("https://fhir.vn/CodeSystem/vn-vaccine", "VN-BCG")]),
    EMPTY: CodeSet.of(EMPTY, []),
    BIG: CodeSet.of(BIG, [(COMMUNE, f"{n:05}") for n in range(5000)]),
}


@pytest.fixture
def registry(definitions: Definitions) -> SearchParamRegistry:
    return replace(definitions.search_params, value_sets=MappingProxyType(SETS))


def parse(registry: SearchParamRegistry, name: str, value: str) -> tuple[str | None, tuple[object, ...]]:
    parsed = parse_search(
        "Immunization", [(name, value)], registry, strict=True, default_tz=ZoneInfo("Asia/Ho_Chi_Minh")
    )
    (criterion,) = parsed.request.criteria
    assert criterion.type == "token"
    return criterion.modifier, criterion.values


def test_in_is_one_value_holding_the_expansion(registry: SearchParamRegistry) -> None:
    modifier, values = parse(registry, "vaccine-code:in", VS)
    assert modifier is None
    assert values == (ValueSetQuery(SETS[VS]),)
    assert parse(registry, "vaccine-code:in", f"{VS}|0.1.0")[1] == values  # a version is ignored


def test_the_registry_set_is_shared_not_copied(registry: SearchParamRegistry) -> None:
    """Parse cost does not grow with the set: the value holds the registry's own CodeSet."""
    _, values = parse(registry, "vaccine-code:in", BIG)
    assert isinstance(values[0], ValueSetQuery) and values[0].codes is SETS[BIG] and len(SETS[BIG]) == 5000


def test_not_in_is_not_of_the_expansion(registry: SearchParamRegistry) -> None:
    modifier, values = parse(registry, "vaccine-code:not-in", BIG)
    assert modifier == "not" and values == (ValueSetQuery(SETS[BIG]),)


def test_an_empty_value_set_is_kept_empty(registry: SearchParamRegistry) -> None:
    _, values = parse(registry, "vaccine-code:in", EMPTY)
    assert values == (ValueSetQuery(SETS[EMPTY]),) and len(SETS[EMPTY]) == 0


def test_in_inside_a_chain(registry: SearchParamRegistry) -> None:
    (criterion,) = parse_search(
        "Immunization", [("patient.commune:not-in", BIG)], registry, strict=True, default_tz=ZoneInfo("UTC")
    ).request.criteria
    (chain,) = criterion.values
    assert isinstance(chain, ChainQuery) and chain.target_type == "Patient"
    assert chain.inner.param == "commune" and chain.inner.modifier == "not"
    assert chain.inner.values == (ValueSetQuery(SETS[BIG]),)


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


def test_a_code_set_groups_codes_by_system() -> None:
    codes = CodeSet.of("u", [("b", "1"), ("a", "2"), ("b", "3"), ("", "4"), ("a", "2")])
    assert codes.by_system == (("", ("4",)), ("a", ("2",)), ("b", ("1", "3")))  # sorted, no duplicates
    assert len(codes) == 4
    assert codes.contains("b", "3") and not codes.contains("a", "3") and not codes.contains("b", "4")
    # a member without a system is matched by a token without one, as `|code` is
    assert codes.contains(None, "4") and not codes.contains(None, "1") and not codes.contains("", "4")
    assert hash(codes) == hash(CodeSet.of("u", [("a", "2"), ("b", "3"), ("b", "1"), ("", "4")]))
