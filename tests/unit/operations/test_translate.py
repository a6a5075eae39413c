"""ConceptMap/$translate over the shipped national maps."""

from __future__ import annotations

from typing import Any

import pytest

from fhir_server.definitions.loader import load_artifacts
from fhir_server.model.outcome import FhirError
from fhir_server.operations.translate import Translator

FORMER = "https://fhir.vn/CodeSystem/vn-commune-2004"
COMMUNE = "https://fhir.vn/CodeSystem/vn-commune"
COMMUNE_MAP = "https://fhir.vn/ConceptMap/vn-commune-2004-to-2025"


@pytest.fixture(scope="module")
def translator() -> Translator:
    return Translator(load_artifacts().terminology)


def _matches(answer: dict[str, Any]) -> list[tuple[str, str, str]]:
    out = []
    for p in answer["parameter"]:
        if p["name"] == "match":
            parts = {part["name"]: part for part in p["part"]}
            coding = parts["concept"]["valueCoding"]
            out.append((parts["equivalence"]["valueCode"], coding["system"], coding["code"]))
    return out


def _param(answer: dict[str, Any], name: str) -> Any:
    return next(p for p in answer["parameter"] if p["name"] == name)


def test_a_former_commune_to_the_one_it_became_part_of(translator: Translator) -> None:
    answer = translator.translate([("url", COMMUNE_MAP), ("system", FORMER), ("code", "00001")])
    assert _param(answer, "result") == {"name": "result", "valueBoolean": True}
    assert _matches(answer) == [("wider", COMMUNE, "00097")]
    match = _param(answer, "match")
    assert {"name": "source", "valueUri": COMMUNE_MAP} in match["part"]


def test_a_split_commune_lists_each_part_the_default_first(translator: Translator) -> None:
    answer = translator.translate([("system", FORMER), ("code", "26746")])  # no url: found by system
    assert _matches(answer) == [("inexact", COMMUNE, "26743"), ("inexact", COMMUNE, "26740")]
    assert _param(answer, "message")["valueString"].startswith("26743: ")


def test_reverse_names_the_former_communes_of_todays(translator: Translator) -> None:
    answer = translator.translate([("system", COMMUNE), ("code", "26743"), ("reverse", "true")])
    formers = {code: equivalence for equivalence, system, code in _matches(answer) if system == FORMER}
    assert formers["26746"] == "inexact"  # part of Nguyễn Thái Bình
    phuc_xa = translator.translate([("system", COMMUNE), ("code", "00097"), ("reverse", "true")])
    assert ("narrower", FORMER, "00001") in _matches(phuc_xa)  # the former Phúc Xá is part of Hồng Hà


def test_coding_and_value_set_inputs(translator: Translator) -> None:
    coded = translator.translate([("coding.system", FORMER), ("coding.code", "00001")])
    assert _matches(coded) == [("wider", COMMUNE, "00097")]
    to_communes = [("system", FORMER), ("code", "00001"), ("target", "https://fhir.vn/ValueSet/vn-commune")]
    assert _matches(translator.translate(to_communes)) == [("wider", COMMUNE, "00097")]
    elsewhere = [("system", FORMER), ("code", "00001"), ("target", "https://fhir.vn/ValueSet/vn-province")]
    assert _param(translator.translate(elsewhere), "result")["valueBoolean"] is False


def test_a_former_province_and_a_vaccine_product(translator: Translator) -> None:
    province = translator.translate(
        [("system", "https://fhir.vn/CodeSystem/vn-province-2004"), ("code", "74")]
    )
    assert _matches(province) == [("wider", "https://fhir.vn/CodeSystem/vn-province", "79")]
    product = [("system", "https://fhir.vn/CodeSystem/vn-vaccine"), ("code", "VN-QUINVAXEM")]
    vaccines = translator.translate([*product, ("targetsystem", "http://hl7.org/fhir/sid/cvx")])
    assert [system for _, system, _ in _matches(vaccines)] == ["http://hl7.org/fhir/sid/cvx"]


def test_no_match_is_a_result_not_an_error(translator: Translator) -> None:
    answer = translator.translate([("system", FORMER), ("code", "99999")])
    assert (
        _param(answer, "result")["valueBoolean"] is False
        and "no map" in _param(answer, "message")["valueString"]
    )


@pytest.mark.parametrize(
    ("params", "id", "status"),
    [
        ([("system", FORMER)], None, 400),  # code missing
        ([("system", FORMER), ("code", "00001"), ("reverse", "maybe")], None, 400),
        ([("url", "https://fhir.vn/ConceptMap/none"), ("system", FORMER), ("code", "1")], None, 404),
        ([("system", FORMER), ("code", "00001")], "no-such-map", 404),
        ([("codeableConcept", ""), ("system", FORMER), ("code", "00001")], None, 400),
    ],
)
def test_bad_requests(
    translator: Translator, params: list[tuple[str, str]], id: str | None, status: int
) -> None:
    with pytest.raises(FhirError) as caught:
        translator.translate(params, id)
    assert caught.value.status == status
