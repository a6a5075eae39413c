"""Composite parameters: combinations per element (extraction), `a$b` values (parse), matching."""

from __future__ import annotations

from typing import Any

import pytest

from fhir_server.definitions.registry import SearchParamRegistry
from fhir_server.model.outcome import FhirError
from fhir_server.search.composite import MAX_COMBINATIONS
from fhir_server.search.extract import Extractor
from fhir_server.search.index import CompositeValue, QuantityValue, TokenValue
from fhir_server.search.matcher import matches
from fhir_server.search.parse import parse_search
from fhir_server.search.request import CompositeQuery, QuantityQuery, SearchRequest, StringQuery, TokenQuery
from tests.unit.search.conftest import VN

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


def blood_pressure(systolic: float = 120, diastolic: float = 80) -> dict[str, Any]:
    def component(code: str, value: float) -> dict[str, Any]:
        return {
            "code": {"coding": [{"system": LOINC, "code": code}]},
            "valueQuantity": {"value": value, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"},
        }

    return {
        "resourceType": "Observation",
        "id": "bp",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "85354-9"}], "text": "Blood pressure"},
        "component": [component("8480-6", systolic), component("8462-4", diastolic)],
    }


def composites(extractor: Extractor, resource: dict[str, Any], param: str) -> list[CompositeValue]:
    return [c for c in extractor.extract(resource).composites if c.param == param]


def test_components_of_one_element_stay_together(extractor: Extractor) -> None:
    found = composites(extractor, blood_pressure(), "component-code-value-quantity")
    pairs = {(c.parts[0].code, c.parts[1].value) for c in found}  # type: ignore[union-attr]
    assert pairs == {("8480-6", 120.0), ("8462-4", 80.0)}  # never 8480-6 with 80
    first = found[0].parts
    assert isinstance(first[0], TokenValue) and first[0].system == LOINC
    assert isinstance(first[1], QuantityValue) and (first[1].system, first[1].code) == (UCUM, "mm[Hg]")


def test_resource_level_and_combo_elements(extractor: Extractor) -> None:
    weight = {
        "resourceType": "Observation",
        "id": "w",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "29463-7"}, {"system": "urn:local", "code": "w"}]},
        "valueQuantity": {"value": 12.5, "system": UCUM, "code": "kg"},
    }
    found = composites(extractor, weight, "code-value-quantity")
    assert sorted(c.parts[0].code for c in found) == ["29463-7", "w"]  # type: ignore[union-attr]
    combo = composites(extractor, blood_pressure(), "combo-code-value-quantity")
    assert {c.parts[0].code for c in combo} == {"8480-6", "8462-4"}  # type: ignore[union-attr]
    # The resource has no value: no code-value-quantity combination at the resource level.
    assert composites(extractor, blood_pressure(), "code-value-quantity") == []


def test_combinations_are_bounded(extractor: Extractor) -> None:
    observation = blood_pressure()
    many = [{"system": LOINC, "code": str(n)} for n in range(MAX_COMBINATIONS + 10)]
    observation["component"][0]["code"]["coding"] = many
    found = composites(extractor, observation, "component-code-value-quantity")
    assert len(found) == MAX_COMBINATIONS + 1  # the first component's cap, plus the diastolic pair


def parse(registry: SearchParamRegistry, name: str, raw: str, strict: bool = True) -> SearchRequest:
    return parse_search("Observation", [(name, raw)], registry, strict=strict, default_tz=VN).request


def test_parse_splits_on_dollar_by_component_type(registry: SearchParamRegistry) -> None:
    request = parse(registry, "component-code-value-quantity", f"{LOINC}|8480-6$gt100|{UCUM}|mm[Hg]")
    (criterion,) = request.criteria
    assert criterion.type == "composite"
    (value,) = criterion.values
    assert isinstance(value, CompositeQuery)
    assert value.parts[0] == TokenQuery(LOINC, "8480-6")
    assert isinstance(value.parts[1], QuantityQuery) and value.parts[1].prefix == "gt"
    assert (value.parts[1].system, value.parts[1].code) == (UCUM, "mm[Hg]")
    escaped = parse(registry, "code-value-string", r"x$a\$b")
    assert escaped.criteria[0].values[0] == CompositeQuery((TokenQuery(None, "x"), StringQuery("a$b")))


@pytest.mark.parametrize("raw", ["8480-6", "8480-6$", "a$1$2", "8480-6$notanumber"])
def test_malformed_composites_are_400(registry: SearchParamRegistry, raw: str) -> None:
    with pytest.raises(FhirError) as caught:
        parse(registry, "component-code-value-quantity", raw, strict=False)
    assert caught.value.status == 400


def test_matcher_needs_one_combination_for_every_part(
    extractor: Extractor, registry: SearchParamRegistry
) -> None:
    index = extractor.extract(blood_pressure(systolic=150, diastolic=70))

    def found(raw: str) -> bool:
        return matches(parse(registry, "component-code-value-quantity", raw), "bp", 0, index)

    assert found(f"{LOINC}|8480-6$gt140")
    assert found("8462-4$lt80")
    assert not found("8480-6$lt80")  # 70 is the diastolic value, not the systolic one
    assert found("8480-6$lt80,8462-4$lt80")  # values are ORed
