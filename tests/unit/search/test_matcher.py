"""The in-memory matcher (the oracle): extraction + parsing + matching, table by table."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from fhir_server.definitions.registry import SearchParamRegistry
from fhir_server.model.json import loads
from fhir_server.search.dates import date_range
from fhir_server.search.extract import Extractor
from fhir_server.search.index import IndexValues, ReferenceValue, UriValue
from fhir_server.search.matcher import matches, matching_ids
from fhir_server.search.parse import parse_search
from fhir_server.search.request import Criterion, ReferenceQuery, SearchRequest, UriQuery
from fhir_server.types import JsonResource
from tests.unit.search.conftest import VN, read_example

Search = Callable[..., list[str]]


@pytest.fixture
def search(registry: SearchParamRegistry, extractor: Extractor) -> Search:
    """`search("name=thao", resources)` -> the ids that match, in order."""

    def run(query: str, resources: Sequence[JsonResource], stamp: int = 0) -> list[str]:
        params = [(name, value) for name, _, value in (part.partition("=") for part in query.split("&"))]
        resource_type = resources[0]["resourceType"]
        request = parse_search(resource_type, params, registry, strict=True, default_tz=VN).request
        indexed = [(r["id"], stamp, extractor.extract(r)) for r in resources]
        return matching_ids(request, indexed)

    return run


def patient(id: str, family: str | None = None, *given: str, **extra: Any) -> JsonResource:
    name: dict[str, Any] = {"given": list(given)} if given else {}
    if family:
        name["family"] = family
    return {"resourceType": "Patient", "id": id, "name": [name], **extra}


# -- Vietnamese names (DESIGN.md §6, issue 3) --------------------------------------------------------

PEOPLE = [
    read_example("Patient-vn.json"),  # Nguyễn Thị Thảo
    patient("plain", "Nguyen", "Van", "An"),  # written without accents
    patient("dang", "Đặng", "Văn", "Hùng"),
    patient("hoang", "Hoàng", "Thảo"),
    patient("one-given", "Trần", "Thị Thảo"),  # middle and given name in one element
    patient("text-only", name=[{"text": "Lê Hữu Ước"}]),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("name=nguyen thi thao", ["vn-1"]),
        ("name=Nguyễn Thị Thảo", ["vn-1"]),
        ("name=NGUYEN", ["vn-1", "plain"]),
        ("name=nguy", ["vn-1", "plain"]),
        ("name=thao", ["vn-1", "hoang", "one-given"]),
        ("name=thi thao", ["vn-1", "one-given"]),
        ("name=uyen", []),  # inside a word, never the start of one
        ("name=dang", ["dang"]),
        ("name=Đặng văn", ["dang"]),
        ("name=hung dang", ["dang"]),  # given-family order works too
        ("name=uoc", ["text-only"]),
        ("name:exact=Nguyễn", ["vn-1"]),  # not "Nguyen"
        ("name:exact=Nguyen", ["plain"]),
        ("name:exact=nguyễn", []),
        ("name:contains=uyen", ["vn-1", "plain"]),
        ("name:contains=HU", ["dang", "text-only"]),
        ("family=nguyen", ["vn-1", "plain"]),
        ("given=thao", ["vn-1", "hoang"]),  # `given` keeps whole values: "Thị Thảo" starts with "thi"
        ("given=thi", ["vn-1", "one-given"]),
        ("name=thao&family=hoang", ["hoang"]),
        ("name=dang,hoang", ["dang", "hoang"]),
    ],
)
def test_vietnamese_names(search: Search, query: str, expected: list[str]) -> None:
    assert search(query, PEOPLE) == expected


# -- tokens ----------------------------------------------------------------------------------------

SHOTS = [
    read_example("Immunization-example.json"),  # FLUVAX, 2013-01-10, Patient/example
    read_example("Immunization-vn.json"),  # BCG, 2024-03-06T08:30+07:00, Patient/vn-1
    read_example("Immunization-historical.json"),
    read_example("Immunization-protocol.json"),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("vaccine-code=FLUVAX", ["example"]),
        ("vaccine-code=urn:oid:1.2.36.1.2001.1005.17|FLUVAX", ["example"]),
        ("vaccine-code=http://other|FLUVAX", []),
        ("vaccine-code=|FLUVAX", []),
        ("vaccine-code=http://example.org/vn/vaccines|", ["vn-imm-1"]),
        ("vaccine-code=BCG,FLUVAX", ["example", "vn-imm-1"]),
        ("vaccine-code:text=vac xin", ["vn-imm-1"]),
        ("vaccine-code:text=lao", ["vn-imm-1"]),
        ("status=completed&vaccine-code=BCG", ["vn-imm-1"]),
        ("vaccine-code:not=BCG", ["example", "historical", "protocol"]),
        ("target-disease:missing=false", ["vn-imm-1", "protocol"]),
        ("target-disease:missing=true", ["example", "historical"]),
        ("_id=example,protocol", ["example", "protocol"]),
    ],
)
def test_tokens(search: Search, query: str, expected: list[str]) -> None:
    assert search(query, SHOTS) == expected


def test_token_without_value_on_the_resource_matches_not(search: Search) -> None:
    # :not includes resources that do not have the parameter at all
    assert search(
        "gender:not=male", [patient("a", gender="male"), patient("b"), patient("c", gender="other")]
    ) == [
        "b",
        "c",
    ]


def test_identifier_and_phone(search: Search) -> None:
    assert search("identifier=http://example.org/vn/cccd|079123456789", PEOPLE) == ["vn-1"]
    assert search("identifier:text=can cuoc", PEOPLE) == ["vn-1"]
    assert search("phone=0912345678", PEOPLE) == ["vn-1"]
    assert search("telecom=email|thao@example.org", PEOPLE) == ["vn-1"]


# -- references --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("patient=Patient/example", ["example", "historical", "protocol"]),
        ("patient=example", ["example", "historical", "protocol"]),
        ("patient:Patient=vn-1", ["vn-imm-1"]),
        ("patient=Patient/vn-1", ["vn-imm-1"]),
        ("patient=Group/vn-1", []),
        ("performer=Practitioner/example", ["example", "protocol"]),
        ("reaction=Observation/obs-1", ["vn-imm-1"]),
        ("patient:missing=true", []),
    ],
)
def test_references(search: Search, query: str, expected: list[str]) -> None:
    assert search(query, SHOTS) == expected


def test_reference_by_identifier_and_by_absolute_url(search: Search) -> None:
    assert search("general-practitioner:identifier=http://example.org/vn/cchn|CCHN-42", PEOPLE) == ["vn-1"]
    url = "http://registry.example.vn/fhir/Organization/org-1"
    assert search(f"organization={url}", PEOPLE) == ["vn-1"]
    assert search("organization=Organization/org-1", PEOPLE) == ["vn-1"]


def test_canonical_without_version_matches_every_version() -> None:
    rows = IndexValues(references=())
    versioned = IndexValues(references=(ReferenceValue("vs", None, None, "http://x.org/ValueSet/a|2.0"),))
    plain = ReferenceQuery(None, None, "http://x.org/ValueSet/a")
    exact = ReferenceQuery(None, None, "http://x.org/ValueSet/a|1.0")
    assert matches(request("vs", "reference", plain), "r", 0, versioned)
    assert not matches(request("vs", "reference", exact), "r", 0, versioned)
    assert not matches(request("vs", "reference", plain), "r", 0, rows)


def request(param: str, type: Any, *values: Any, modifier: str | None = None) -> SearchRequest:
    return SearchRequest("X", (Criterion(param, type, modifier, values),))


# -- dates: the examples of FHIR search §3.1.1.4.2 -----------------------------------------------------


def encounter(id: str, start: str | None = None, end: str | None = None) -> JsonResource:
    period = {k: v for k, v in (("start", start), ("end", end)) if v}
    return {"resourceType": "Encounter", "id": id, "status": "finished", "period": period}


INSTANTS = [
    encounter("jan14-0000", "2013-01-14T00:00:00+07:00", "2013-01-14T00:00:00+07:00"),
    encounter("jan14-1000", "2013-01-14T10:00:00+07:00", "2013-01-14T10:00:00+07:00"),
    encounter("jan15-0000", "2013-01-15T00:00:00+07:00", "2013-01-15T00:00:00+07:00"),
    encounter("jan14", "2013-01-14", "2013-01-14"),
]
PERIODS = [
    encounter("from-mar15", "2013-03-15"),
    encounter("from-jan21", "2013-01-21"),
    encounter("until-jan21", None, "2013-01-21"),
]


@pytest.mark.parametrize(
    ("query", "resources", "expected"),
    [
        ("date=eq2013-01-14", INSTANTS, ["jan14-0000", "jan14-1000", "jan14"]),
        ("date=2013-01-14", INSTANTS, ["jan14-0000", "jan14-1000", "jan14"]),
        ("date=ne2013-01-14", INSTANTS, ["jan15-0000"]),
        ("date=lt2013-01-14T10:00", INSTANTS, ["jan14-0000", "jan14"]),
        ("date=gt2013-01-14T10:00", INSTANTS, ["jan15-0000", "jan14"]),
        ("date=ge2013-03-14", PERIODS, ["from-mar15", "from-jan21"]),
        ("date=le2013-03-14", PERIODS, ["from-jan21", "until-jan21"]),
        ("date=sa2013-03-14", PERIODS, ["from-mar15"]),
        ("date=eb2013-03-14", PERIODS, ["until-jan21"]),
        ("date=ap2013-01-14", INSTANTS, ["jan14-0000", "jan14-1000", "jan15-0000", "jan14"]),
        ("date=2013", INSTANTS, ["jan14-0000", "jan14-1000", "jan15-0000", "jan14"]),
        ("date=2013-01-13T17:00:00Z", INSTANTS, ["jan14-0000"]),  # the same instant in UTC
        ("date=ge2013-01-14&date=lt2013-01-15", INSTANTS, ["jan14-0000", "jan14-1000", "jan14"]),
    ],
)
def test_dates(search: Search, query: str, resources: list[JsonResource], expected: list[str]) -> None:
    assert search(query, resources) == expected


def test_dates_on_immunizations(search: Search) -> None:
    assert search("date=2024-03", SHOTS) == ["vn-imm-1"]
    assert search("date=ge2024-01-01&vaccine-code=BCG", SHOTS) == ["vn-imm-1"]
    assert search("date=lt2019", SHOTS) == ["example", "protocol"]
    # "historical" has occurrenceString "January 2012": a choice alternative that is not a date
    assert search("date:missing=true", SHOTS) == ["historical"]


def test_last_updated_and_id_come_from_the_store() -> None:
    low, high = date_range("2024-03-05", VN)
    query = parse_search(
        "Patient", [("_lastUpdated", "2024-03-05")], _empty_registry(), strict=True, default_tz=VN
    )
    assert matches(query.request, "p", low + 5, IndexValues())
    assert not matches(query.request, "p", high, IndexValues())
    by_id = parse_search("Patient", [("_id", "p")], _empty_registry(), strict=True, default_tz=VN)
    assert matches(by_id.request, "p", 0, IndexValues()) and not matches(by_id.request, "q", 0, IndexValues())


def _empty_registry() -> SearchParamRegistry:
    return SearchParamRegistry(by_type={})


# -- numbers, quantities, uris -----------------------------------------------------------------------


def risk(id: str, probability: str) -> JsonResource:
    """Parsed from text so that the decimal keeps its written precision ("100.0")."""
    prediction = f'[{{"probabilityDecimal": {probability}}}]'
    resource: JsonResource = loads(
        f'{{"resourceType": "RiskAssessment", "id": "{id}", "prediction": {prediction}}}'
    )
    return resource


RISKS = [
    risk("r100", "100"),
    risk("r100-4", "100.4"),
    risk("r99", "99"),
    risk("r0-02", "0.02"),
    risk("r109", "109"),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("probability=100", ["r100", "r100-4"]),
        ("probability=100.0", ["r100"]),
        ("probability=ne100", ["r99", "r0-02", "r109"]),
        ("probability=gt100", ["r100-4", "r109"]),
        ("probability=ge100", ["r100", "r100-4", "r109"]),
        ("probability=lt100", ["r99", "r0-02"]),
        ("probability=le99", ["r99", "r0-02"]),
        ("probability=ap100", ["r100", "r100-4", "r99", "r109"]),
        ("probability=0.02", ["r0-02"]),
        ("probability=sa100", ["r100-4", "r109"]),
    ],
)
def test_numbers(search: Search, query: str, expected: list[str]) -> None:
    assert search(query, RISKS) == expected


def observation(
    id: str, value: float, code: str, unit: str, system: str | None = "http://unitsofmeasure.org"
) -> JsonResource:
    quantity: dict[str, Any] = {"value": value, "code": code, "unit": unit}
    if system:
        quantity["system"] = system
    return {
        "resourceType": "Observation",
        "id": id,
        "status": "final",
        "code": {"text": "x"},
        "valueQuantity": quantity,
    }


OBSERVATIONS = [
    observation("mg", 5.4, "mg", "mg"),
    observation("unit-only", 5.4, "", "mg", system=None),
    observation("lb", 5.4, "[lb_av]", "lb"),
    observation("big", 50, "mg", "mg"),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("value-quantity=5.4|http://unitsofmeasure.org|mg", ["mg"]),
        ("value-quantity=5.4||mg", ["mg", "unit-only"]),
        ("value-quantity=5.4", ["mg", "unit-only", "lb"]),
        # UCUM: 5.4 [lb_av] (2.45 kg) is more than 5.4 mg
        ("value-quantity=gt5.4|http://unitsofmeasure.org|mg", ["lb", "big"]),
        ("value-quantity=gt5.4|http://unitsofmeasure.org|g", ["lb"]),
        ("value-quantity=0.05|http://unitsofmeasure.org|g", ["big"]),
        ("value-quantity=le50", ["mg", "unit-only", "lb", "big"]),
    ],
)
def test_quantities(search: Search, query: str, expected: list[str]) -> None:
    assert search(query, OBSERVATIONS) == expected


def test_uri_forms() -> None:
    index = IndexValues(uris=(UriValue("url", "http://a.org/fhir/ValueSet/x"),))
    assert matches(request("url", "uri", UriQuery("http://a.org/fhir/ValueSet/x")), "r", 0, index)
    assert not matches(request("url", "uri", UriQuery("http://a.org/fhir")), "r", 0, index)
    assert matches(request("url", "uri", UriQuery("http://a.org/fhir"), modifier="below"), "r", 0, index)
    above = UriQuery("http://a.org/fhir/ValueSet/x/y")
    assert matches(request("url", "uri", above, modifier="above"), "r", 0, index)
    assert not matches(request("url", "uri", UriQuery("http://b.org"), modifier="below"), "r", 0, index)


def test_profile_and_tag(search: Search) -> None:
    assert search("_profile=http://example.org/fhir/StructureDefinition/vn-patient", PEOPLE) == ["vn-1"]
    assert search("_tag=http://example.org/tags|demo", PEOPLE) == ["vn-1"]


CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"


def labelled(id: str, security: str | None, source: str | None) -> JsonResource:
    meta: dict[str, Any] = {}
    if security:
        meta["security"] = [
            {"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": security}
        ]
    if source:
        meta["source"] = source
    return {**patient(id, "Lê", "An"), "meta": meta}


LABELLED = [
    labelled("restricted", "R", "http://emr.example.vn/hcm#abc"),
    labelled("normal", "N", "http://emr.example.vn/hanoi"),
    labelled("bare", None, None),
]


def test_security_and_source(search: Search) -> None:
    assert search("_security=R", LABELLED) == ["restricted"]
    assert search("_security=http://terminology.hl7.org/CodeSystem/v3-Confidentiality|N", LABELLED) == [
        "normal"
    ]
    assert search("_security:not=R", LABELLED) == ["normal", "bare"]
    assert search("_source=http://emr.example.vn/hanoi", LABELLED) == ["normal"]
    assert search("_source:below=http://emr.example.vn", LABELLED) == ["restricted", "normal"]
    assert search("_source:missing=true", LABELLED) == ["bare"]


def test_no_criteria_matches_everything() -> None:
    assert matches(SearchRequest("Patient"), "x", 0, IndexValues())


# -- long texts: rows and queries are both cut at MAX_TEXT characters -------------------------------------

LONG_TEXT = " ".join(f"Lê{n}" for n in range(200))  # ~1,000 characters
LONG = [patient("long", name=[{"text": LONG_TEXT}]), patient("other", "Lê", "An")]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (f"name={LONG_TEXT}", ["long"]),  # the whole text, longer than the row
        (f"name={LONG_TEXT[:300]}", ["long"]),
        (f"name={LONG_TEXT[:100]}", ["long"]),
        (f"name={LONG_TEXT[:300]}different", ["long"]),  # compared on its first MAX_TEXT characters
        (f"name=X{LONG_TEXT}", []),
        ("name=le1 le2 le3", ["long"]),  # a suffix row: from the second word
        ("name=le7 le8", ["long"]),  # the 8th word still starts a row
        ("name=le8 le9", []),  # the 9th does not
        (f"name:exact={LONG_TEXT}", ["long"]),
        (f"name:exact={LONG_TEXT[:100]}", []),
        ("name:contains=le150", []),  # beyond the kept characters
        ("name:contains=le30 ", ["long"]),
        ("name=le", ["long", "other"]),
    ],
)
def test_long_texts(search: Search, query: str, expected: list[str]) -> None:
    assert search(query, LONG) == expected
