"""terminology/: the national vaccine CodeSystem and its ConceptMap to CVX are valid R4 and agree."""

from __future__ import annotations

from fhir_server.definitions.registry import Definitions
from fhir_server.model.validator import Validator
from tests.unit.schedules.cdsi_files import code_system, concept_map, cvx_map

BASE = "https://fhir.vn/"  # the project's placeholder base, as for the identifier systems (bench/population)


def _validator(definitions: Definitions) -> Validator:
    return Validator(definitions.validation, definitions.resource_types)


def test_code_system_is_valid_r4(definitions: Definitions) -> None:
    resource = code_system()
    assert _validator(definitions).validate(resource, expected_type="CodeSystem") is resource


def test_concept_map_is_valid_r4(definitions: Definitions) -> None:
    resource = concept_map()
    assert _validator(definitions).validate(resource, expected_type="ConceptMap") is resource


def test_code_system_codes_are_unique_counted_and_have_vietnamese_names() -> None:
    resource = code_system()
    codes = [c["code"] for c in resource["concept"]]
    assert len(codes) == len(set(codes)) == resource["count"]
    assert all(c.startswith("VN-") for c in codes)  # never mistaken for a CVX code in CDSi's <cvx> elements
    assert resource["url"].startswith(BASE)
    declared = {p["code"] for p in resource["property"]}
    for concept in resource["concept"]:
        assert [d["language"] for d in concept["designation"]] == ["vi"]
        assert {p["code"] for p in concept["property"]} <= declared
        program = next(p["valueCode"] for p in concept["property"] if p["code"] == "program")
        assert program in ("EPI", "service")


def test_concept_map_maps_every_national_code_once_to_a_known_cvx() -> None:
    resource = concept_map()
    assert resource["url"].startswith(BASE)
    assert resource["sourceUri"] == code_system()["url"]
    (group,) = resource["group"]
    assert group["target"] == "http://hl7.org/fhir/sid/cvx"
    mapped = [e["code"] for e in group["element"]]
    assert sorted(mapped) == sorted(c["code"] for c in code_system()["concept"])
    schedule = cvx_map()
    for element in group["element"]:
        (target,) = element["target"]
        assert target["equivalence"] in ("wider", "unmatched")
        if element["code"] in schedule and "code" in target and target["code"] in schedule:
            # a brand counts toward exactly the antigens of its CVX type
            assert schedule[element["code"]] == schedule[target["code"]], element["code"]


def test_epi_products_of_the_circulars_are_coded() -> None:
    epi = {
        c["code"]
        for c in code_system()["concept"]
        if any(p["code"] == "program" and p["valueCode"] == "EPI" for p in c["property"])
    }
    for code in ("VN-GENE-HBVAX", "VN-BCG", "VN-COMBE-FIVE", "VN-BOPV", "VN-IPV", "VN-ROTAVIN-M1", "VN-MVVAC",
                 "VN-MRVAC", "VN-DTP", "VN-TD", "VN-VAT", "VN-JEVAX"):  # fmt: skip
        assert code in epi
