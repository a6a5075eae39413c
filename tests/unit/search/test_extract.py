"""Index extraction over the official R4 examples and Vietnamese records."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from fhirpathpy import compile as fhirpath_compile
from fhirpathpy.models import models

from fhir_server.definitions.registry import SearchParamRegistry
from fhir_server.model.json import Decimal as JsonDecimal
from fhir_server.model.json import loads
from fhir_server.search import convert
from fhir_server.search.convert import CURRENCY_SYSTEM, MAX_TEXT, SUFFIX_WORDS
from fhir_server.search.dates import DATE_MAX, date_range
from fhir_server.search.expressions import compile_expression, reference_type
from fhir_server.search.extract import MAX_ROWS, Extractor, _within
from fhir_server.search.index import (
    DateValue,
    IndexValues,
    NumberValue,
    QuantityValue,
    ReferenceValue,
    StringValue,
    TokenValue,
    UriValue,
)
from fhir_server.search.normalize import fold
from tests.unit.search.conftest import VN, example_names, read_example

PLUS7 = timezone(timedelta(hours=7))
EXAMPLES = example_names()


def us(*fields: int, tz: timezone = PLUS7) -> int:
    return (datetime(*fields, tzinfo=tz) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def rows(index: IndexValues, param: str) -> list[Any]:
    every = (
        *index.strings,
        *index.tokens,
        *index.dates,
        *index.references,
        *index.numbers,
        *index.quantities,
    )
    return [row for row in (*every, *index.uris) if row.param == param]


def folded(index: IndexValues, param: str) -> set[str]:
    return {row.normalized for row in index.strings if row.param == param}


# -- the official Immunization example ----------------------------------------------------------


def test_immunization_example(extractor: Extractor) -> None:
    index = extractor.extract(read_example("Immunization-example.json"))
    assert rows(index, "patient") == [ReferenceValue("patient", "Patient", "example", "Patient/example")]
    assert TokenValue("vaccine-code", "urn:oid:1.2.36.1.2001.1005.17", "FLUVAX") in rows(
        index, "vaccine-code"
    )
    assert TokenValue("vaccine-code", None, None, "fluvax (influenza)") in rows(index, "vaccine-code")
    # occurrenceDateTime "2013-01-10": the choice type is found, the whole day in the default zone
    assert rows(index, "date") == [DateValue("date", us(2013, 1, 10), us(2013, 1, 11))]
    assert rows(index, "status") == [TokenValue("status", None, "completed")]
    assert rows(index, "lot-number") == [StringValue("lot-number", "aajn11k", "AAJN11K")]
    assert rows(index, "location") == [ReferenceValue("location", "Location", "1", "Location/1")]
    assert rows(index, "manufacturer") == [
        ReferenceValue("manufacturer", "Organization", "hl7", "Organization/hl7")
    ]
    # both performers name the same practitioner: one row
    assert rows(index, "performer") == [
        ReferenceValue("performer", "Practitioner", "example", "Practitioner/example")
    ]
    assert TokenValue("reason-code", "http://snomed.info/sct", "429060002") in rows(index, "reason-code")
    assert TokenValue("identifier", "urn:ietf:rfc:3986", "urn:oid:1.3.6.1.4.1.21367.2005.3.7.1234") in rows(
        index, "identifier"
    )
    assert rows(index, "_id") == [] and rows(index, "_lastUpdated") == []  # the store answers those


def test_vietnamese_immunization(extractor: Extractor) -> None:
    index = extractor.extract(read_example("Immunization-vn.json"))
    assert rows(index, "date") == [DateValue("date", us(2024, 3, 6, 8, 30), us(2024, 3, 6, 8, 30, 1))]
    assert rows(index, "reaction-date") == [DateValue("reaction-date", us(2024, 3, 7), us(2024, 3, 8))]
    assert rows(index, "reaction") == [
        ReferenceValue("reaction", "Observation", "obs-1", "Observation/obs-1")
    ]
    assert rows(index, "target-disease") == [
        TokenValue("target-disease", "http://snomed.info/sct", "56717001")
    ]
    assert rows(index, "series") == [StringValue("series", "tiem chung mo rong", "Tiêm chủng mở rộng")]
    assert TokenValue("vaccine-code", "http://example.org/vn/vaccines", "BCG", "vac xin bcg") in rows(
        index, "vaccine-code"
    )


# -- patients -----------------------------------------------------------------------------------


def test_vietnamese_patient_names(extractor: Extractor) -> None:
    index = extractor.extract(read_example("Patient-vn.json"))
    names = folded(index, "name")
    assert {"nguyen", "thi", "thao", "nguyen thi thao", "thi thao"} <= names
    assert not any(name.startswith("uyen") for name in names)
    assert StringValue("name", "nguyen", "Nguyễn") in rows(index, "name")
    assert folded(index, "family") == {"nguyen"}
    assert folded(index, "given") == {"thi", "thao"}
    assert folded(index, "phonetic") == set()  # same expression as `name`: its rows serve both


def test_vietnamese_patient_other_parameters(extractor: Extractor) -> None:
    index = extractor.extract(read_example("Patient-vn.json"))
    assert rows(index, "identifier") == [
        TokenValue("identifier", "http://example.org/vn/cccd", "079123456789", "can cuoc cong dan")
    ]
    assert rows(index, "phone") == [TokenValue("phone", "phone", "0912345678")]
    assert rows(index, "email") == [TokenValue("email", "email", "thao@example.org")]
    assert len(rows(index, "telecom")) == 2
    assert rows(index, "gender") == [TokenValue("gender", None, "female")]
    assert rows(index, "active") == [TokenValue("active", None, "true")]
    assert rows(index, "deceased") == [TokenValue("deceased", None, "false")]
    assert rows(index, "birthdate") == [DateValue("birthdate", us(2024, 3, 5), us(2024, 3, 6))]
    assert {"12 duong le loi", "thanh pho ho chi minh", "quan 1", "vn"} <= folded(index, "address")
    assert folded(index, "address-city") == {"thanh pho ho chi minh"}
    # an absolute reference keeps its URL and is typed
    org = "http://registry.example.vn/fhir/Organization/org-1"
    assert rows(index, "organization") == [ReferenceValue("organization", "Organization", "org-1", org)]
    # "#gp" is a contained resource: not indexed; a logical reference gives a token row for :identifier
    assert rows(index, "general-practitioner") == [
        TokenValue("general-practitioner", "http://example.org/vn/cchn", "CCHN-42")
    ]
    assert rows(index, "_profile") == [
        UriValue("_profile", "http://example.org/fhir/StructureDefinition/vn-patient")
    ]
    assert rows(index, "_tag") == [TokenValue("_tag", "http://example.org/tags", "demo")]


def test_official_patient_example(extractor: Extractor) -> None:
    index = extractor.extract(read_example("Patient-example.json"))
    assert {"chalmers", "peter james chalmers", "chalmers peter james", "jim", "windsor"} <= folded(
        index, "name"
    )
    assert all(row.code for row in rows(index, "telecom"))  # a ContactPoint without value gives no row
    assert rows(index, "deceased") == [TokenValue("deceased", None, "false")]
    assert rows(index, "birthdate") == [DateValue("birthdate", *date_range("1974-12-25", VN))]


# -- choice types, numbers, quantities, periods ---------------------------------------------------


def test_choice_types_and_type_filters(extractor: Extractor) -> None:
    observation = extractor.extract(read_example("Observation-example.json"))
    assert rows(observation, "value-quantity") == [
        QuantityValue(
            "value-quantity",
            185.0,
            184.5,
            185.5,
            "http://unitsofmeasure.org",
            "[lb_av]",
            "lbs",
            83914.58845,
            "g",
        )
    ]
    assert rows(observation, "value-concept") == [] and rows(observation, "value-date") == []
    request = read_example("MedicationRequest-medrx0302.json")
    assert request["medicationReference"]["reference"].startswith("#")
    assert rows(extractor.extract(request), "medication") == []  # a contained resource is not indexed
    del request["medicationReference"]
    request["medicationReference"] = {"reference": "Medication/m1"}
    index = extractor.extract(request)
    assert rows(index, "medication") == [ReferenceValue("medication", "Medication", "m1", "Medication/m1")]
    assert rows(index, "code") == []  # `(MedicationRequest.medication as CodeableConcept)`
    del request["medicationReference"]
    request["medicationCodeableConcept"] = {"coding": [{"system": "http://snomed.info/sct", "code": "1"}]}
    index = extractor.extract(request)
    assert rows(index, "medication") == []
    assert rows(index, "code") == [TokenValue("code", "http://snomed.info/sct", "1")]


def test_numbers_keep_their_written_precision(extractor: Extractor) -> None:
    risk = extractor.extract(read_example("RiskAssessment-cardiac.json"))
    assert NumberValue("probability", 0.02, 0.015, 0.025) in rows(risk, "probability")
    charge = extractor.extract(read_example("ChargeItem-example.json"))
    assert rows(charge, "factor-override") == [NumberValue("factor-override", 0.8, 0.75, 0.85)]
    assert rows(charge, "price-override") == [
        QuantityValue("price-override", 40.0, 39.5, 40.5, CURRENCY_SYSTEM, "EUR", "EUR")
    ]


def test_decimal_literal_precision_from_the_json_layer(extractor: Extractor) -> None:
    charge = read_example("ChargeItem-example.json")
    charge["factorOverride"] = json_decimal("0.80")
    index = extractor.extract(charge)
    assert rows(index, "factor-override") == [NumberValue("factor-override", 0.8, 0.795, 0.805)]


def json_decimal(literal: str) -> float:
    value: float = loads(f'{{"v": {literal}}}')["v"]
    return value


def test_periods_are_ranges_and_open_ends_are_open(extractor: Extractor) -> None:
    encounter = read_example("Encounter-example.json")
    encounter["period"] = {"start": "2024-03-05T08:00:00+07:00", "end": "2024-03-05"}
    assert rows(extractor.extract(encounter), "date") == [
        DateValue("date", us(2024, 3, 5, 8), us(2024, 3, 6))
    ]
    encounter["period"] = {"start": "2024-03"}
    assert rows(extractor.extract(encounter), "date") == [DateValue("date", us(2024, 3, 1), DATE_MAX)]


def test_timing_events_and_invalid_dates(extractor: Extractor) -> None:
    plan = read_example("CarePlan-example.json")
    plan["activity"][0]["detail"].pop("scheduledPeriod", None)
    plan["activity"][0]["detail"]["scheduledTiming"] = {"event": ["2024-03-05", "2024-04-05"]}
    assert rows(extractor.extract(plan), "activity-date") == [
        DateValue("activity-date", us(2024, 3, 5), us(2024, 3, 6)),
        DateValue("activity-date", us(2024, 4, 5), us(2024, 4, 6)),
    ]
    request = read_example("MedicationRequest-medrx0302.json")
    request["authoredOn"] = "2024-02-30"  # validation would refuse it; extraction just skips it
    assert rows(extractor.extract(request), "authoredon") == []


def test_unknown_resource_type_gives_no_rows(extractor: Extractor) -> None:
    assert extractor.extract({"resourceType": "NotAType", "id": "x"}) == IndexValues()


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_extracts(extractor: Extractor, name: str) -> None:
    index = extractor.extract(read_example(name))
    assert index.tokens or index.references or index.strings


def test_only_known_expressions_need_fhirpathpy(extractor: Extractor) -> None:
    # Everything official takes the fast path except two expressions with no single path shape (Bundle
    # `message` has the same expression as `composition`, so its rows are stored once, under `composition`).
    assert sorted(extractor.slow_parameters()) == [("Bundle", "composition"), ("ConceptMap", "product")]


# -- the fast path agrees with fhirpathpy ---------------------------------------------------------

_RESOLVE = re.compile(r"\.where\(resolve\(\) is (\w+)\)")
# Deliberate differences: `(ConceptMap.source as uri)` means sourceUri only (fhirpathpy also returns
# sourceCanonical, canonical being a specialisation of uri); and `X.value as T` over a collection, which
# fhirpathpy refuses ("expected singleton") while the R4 definitions use it on repeating elements.
_SKIPPED = {"source-uri", "target-uri"}


def _slow(expression: str, resource: dict[str, Any]) -> list[Any]:
    """fhirpathpy, with `.where(resolve() is T)` (which it cannot evaluate) done by hand."""
    found: list[Any] = []
    for part in expression.split(" | "):
        wanted = _RESOLVE.search(part)
        values = fhirpath_compile(_RESOLVE.sub("", part), models["r4"])(resource, None)
        found += [v for v in values if not wanted or reference_type(v) == wanted.group(1)]
    return found


def _canonical(values: list[Any]) -> list[str]:
    return sorted(json.dumps(v, sort_keys=True, default=float) for v in values)


@pytest.mark.parametrize("name", EXAMPLES)
def test_fast_path_agrees_with_fhirpathpy(registry: SearchParamRegistry, name: str) -> None:
    resource = read_example(name)
    compared = 0
    for code, definition in registry.for_type(resource["resourceType"]).items():
        if not definition.expression or code in _SKIPPED or definition.type in ("composite", "special"):
            continue
        evaluate, fast = compile_expression(definition.expression, resource["resourceType"])
        if not fast:
            continue
        try:
            expected = _slow(definition.expression, resource)
        except Exception:  # fhirpathpy's singleton rule on `as`; see _SKIPPED
            continue
        assert _canonical([v for v, _ in evaluate(resource)]) == _canonical(expected), (
            code,
            definition.expression,
        )
        compared += 1
    assert compared > 10


# -- bounds: text length, name suffixes, rows per resource, numbers beyond a float ---------------------


def test_a_huge_name_gives_a_few_short_rows(extractor: Extractor) -> None:
    words = [f"Từ{n}" for n in range(8000)]  # ~50 KB of name.text: all suffixes took 383 MB
    index = extractor.extract({"resourceType": "Patient", "id": "p", "name": [{"text": " ".join(words)}]})
    names = rows(index, "name")
    assert len(names) == SUFFIX_WORDS  # the whole text and the suffixes from words 2 to 8
    assert all(len(row.normalized) <= MAX_TEXT and len(row.exact) <= MAX_TEXT for row in names)
    assert names[0] == StringValue(
        "name", " ".join(fold(w) for w in words)[:MAX_TEXT], " ".join(words)[:MAX_TEXT]
    )
    starts = {row.normalized.split()[0] for row in names}
    assert starts == {f"tu{n}" for n in range(SUFFIX_WORDS)}


def test_short_names_keep_every_suffix(extractor: Extractor) -> None:
    text = "Một Hai Ba Bốn Năm Sáu Bảy Tám Chín"  # 9 words: the 9th starts no row of its own
    index = extractor.extract({"resourceType": "Patient", "id": "p", "name": [{"text": text}]})
    assert [row.normalized for row in rows(index, "name")] == [
        " ".join(fold(text).split()[start:]) for start in range(SUFFIX_WORDS)
    ]


def test_long_texts_are_cut_after_folding(extractor: Extractor) -> None:
    family = "Đặng" * 100  # 400 characters
    concept = {"text": "Vắc xin " * 100}
    patient = {"resourceType": "Patient", "id": "p", "name": [{"family": family}]}
    assert rows(extractor.extract(patient), "family") == [
        StringValue("family", "dang" * 64, family[:MAX_TEXT])
    ]
    immunization = read_example("Immunization-example.json")
    immunization["vaccineCode"] = concept
    (display,) = [row.display for row in rows(extractor.extract(immunization), "vaccine-code")]
    assert display == fold(concept["text"])[:MAX_TEXT]


def test_rows_beyond_the_bound_are_dropped_fairly(extractor: Extractor) -> None:
    patient = {
        "resourceType": "Patient",
        "id": "p",
        "identifier": [{"system": "urn:x", "value": str(n)} for n in range(MAX_ROWS + 500)],
        "telecom": [{"system": "phone", "value": "0901"}],
        "birthDate": "2024-01-02",
        "name": [{"family": "Nguyễn"}],
    }
    index = extractor.extract(patient)
    total = sum(len(kind) for kind in (index.strings, index.tokens, index.dates, index.references))
    assert total == MAX_ROWS
    assert rows(index, "birthdate") == [DateValue("birthdate", us(2024, 1, 2), us(2024, 1, 3))]
    assert StringValue("family", "nguyen", "Nguyễn") in rows(index, "family")
    assert TokenValue("phone", "phone", "0901") in rows(index, "phone")
    identifiers = rows(index, "identifier")
    assert identifiers[0] == TokenValue("identifier", "urn:x", "0")  # the first ones are kept
    assert TokenValue("identifier", "urn:x", str(MAX_ROWS + 499)) not in identifiers


@pytest.mark.parametrize(
    ("sizes", "kept"),
    [
        ([3, 4], [3, 4]),
        ([20, 1, 0], [9, 1, 0]),
        ([20, 20], [5, 5]),
        ([2, 30, 7], [2, 4, 4]),
        ([11], [10]),
    ],
)
def test_row_budget_is_shared_fairly(sizes: list[int], kept: list[int]) -> None:
    result = _within(10, [list(range(n)) for n in sizes])
    assert [len(group) for group in result] == kept
    assert all(group == list(range(len(group))) for group in result)  # each keeps its first rows


def observation_with(value: Any) -> dict[str, Any]:
    observation = read_example("Observation-example.json")
    observation.pop("valueQuantity", None)
    observation["valueQuantity"] = {"value": value, "system": "http://unitsofmeasure.org", "code": "kg"}
    return observation


def test_a_number_beyond_a_float_is_skipped_not_refused(extractor: Extractor) -> None:
    index = extractor.extract(
        observation_with(JsonDecimal("1e999999999"))
    )  # orjson refuses it; others may not
    assert rows(index, "value-quantity") == []
    assert rows(index, "code")  # the rest of the resource is indexed
    tiny = extractor.extract(observation_with(json_decimal("1e-999999999")))
    assert rows(tiny, "value-quantity") == [
        QuantityValue("value-quantity", 0.0, 0.0, 0.0, "http://unitsofmeasure.org", "kg", None, 0.0, "g")
    ]


def test_one_failing_value_leaves_its_siblings_indexed(
    extractor: Extractor, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = convert.number_range

    def failing(literal: str) -> tuple[float, float, float]:
        if literal == "0.5":
            raise ArithmeticError("a converter bug")
        return real(literal)

    monkeypatch.setattr(convert, "number_range", failing)
    risk = read_example("RiskAssessment-cardiac.json")
    risk["prediction"] = [{"probabilityDecimal": json_decimal(v)} for v in ("0.5", "0.25")]
    assert rows(extractor.extract(risk), "probability") == [NumberValue("probability", 0.25, 0.245, 0.255)]
