"""Composite parameters on every backend (the memory matcher is the oracle): each row a query and the
exact ids; parts must match the same combination (one element's component values)."""

from __future__ import annotations

import pytest

from fhir_server.search.index import (
    CompositeValue,
    DateValue,
    IndexValues,
    NumberValue,
    QuantityValue,
    ReferenceValue,
    StringValue,
    TokenValue,
)
from fhir_server.search.request import (
    CompositeQuery,
    Criterion,
    DateQuery,
    NumberQuery,
    QuantityQuery,
    QueryValue,
    ReferenceQuery,
    SearchRequest,
    StringQuery,
    TokenQuery,
)
from fhir_server.storage.base import Store
from tests.contract.conftest import put
from tests.contract.test_contract_search import us

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"


def code(value: str, system: str = LOINC) -> TokenValue:
    return TokenValue("", system, value)


def mmhg(value: float) -> QuantityValue:
    return QuantityValue("", value, value - 0.5, value + 0.5, UCUM, "mm[Hg]", "mmHg")


def combos(param: str, *parts: tuple[object, ...]) -> tuple[CompositeValue, ...]:
    return tuple(CompositeValue(param, part) for part in parts)  # type: ignore[arg-type]


CCVQ = "component-code-value-quantity"
OBSERVATIONS = {
    # systolic 150 / diastolic 70
    "bp-high": combos(CCVQ, (code("8480-6"), mmhg(150)), (code("8462-4"), mmhg(70))),
    # systolic 115 / diastolic 95
    "bp-odd": combos(CCVQ, (code("8480-6"), mmhg(115)), (code("8462-4"), mmhg(95))),
    # the same systolic code in another system
    "bp-local": combos(CCVQ, (code("8480-6", "urn:local"), mmhg(150))),
    "concept": combos(
        "code-value-concept",
        (code("39154-6"), code("260385009", SNOMED)),  # negative
        (code("39154-6"), TokenValue("", None, "neg")),
    ),
    "dated": combos("code-value-date", (code("21112-8"), DateValue("", us(2024, 3, 5), us(2024, 3, 6)))),
    "named": combos("code-value-string", (code("x"), StringValue("", "nguyen thi thao", "Nguyễn Thị Thảo"))),
    "sequence": combos(
        "chromosome-window",
        (code("1"), NumberValue("", 100.0, 99.5, 100.5), NumberValue("", 200.0, 199.5, 200.5)),
    ),
    "related": combos(
        "relationship",
        (
            ReferenceValue("", "DocumentReference", "old", "DocumentReference/old"),
            TokenValue("", None, "replaces"),
        ),
        (
            ReferenceValue("", None, None, "http://other.org/fhir/DocumentReference/9"),
            TokenValue("", None, "appends"),
        ),
    ),
}


def q(*parts: QueryValue) -> CompositeQuery:
    return CompositeQuery(parts)


def qty(prefix: str, value: float, system: str | None = UCUM, unit: str | None = "mm[Hg]") -> QuantityQuery:
    return QuantityQuery(prefix, value, value - 0.5, value + 0.5, system, unit)  # type: ignore[arg-type]


ROWS: list[tuple[str, tuple[CompositeQuery, ...], list[str]]] = [
    (CCVQ, (q(TokenQuery(LOINC, "8480-6"), qty("gt", 140)),), ["bp-high"]),
    (CCVQ, (q(TokenQuery(None, "8480-6"), qty("gt", 140)),), ["bp-high", "bp-local"]),
    (CCVQ, (q(TokenQuery(LOINC, "8480-6"), qty("lt", 100)),), []),  # 70 is the diastolic value
    (CCVQ, (q(TokenQuery(LOINC, "8462-4"), qty("ge", 90)),), ["bp-odd"]),
    (CCVQ, (q(TokenQuery(LOINC, "8462-4"), qty("eq", 70, None, None)),), ["bp-high"]),
    (CCVQ, (q(TokenQuery(LOINC, "8462-4"), qty("eq", 70, None, "mmHg")),), ["bp-high"]),  # unit text
    (CCVQ, (q(TokenQuery(LOINC, "8462-4"), qty("eq", 70, UCUM, "kg")),), []),
    (  # values are ORed
        CCVQ,
        (q(TokenQuery(LOINC, "8480-6"), qty("lt", 120)), q(TokenQuery(LOINC, "8462-4"), qty("lt", 80))),
        ["bp-high", "bp-odd"],
    ),
    ("code-value-concept", (q(TokenQuery(LOINC, "39154-6"), TokenQuery(SNOMED, "260385009")),), ["concept"]),
    ("code-value-concept", (q(TokenQuery(None, "39154-6"), TokenQuery("", "neg")),), ["concept"]),
    ("code-value-concept", (q(TokenQuery(None, "39154-6"), TokenQuery(SNOMED, "neg")),), []),
    (
        "code-value-date",
        (q(TokenQuery(None, "21112-8"), DateQuery("ge", us(2024, 1, 1), us(2024, 1, 2))),),
        ["dated"],
    ),
    (
        "code-value-date",
        (q(TokenQuery(None, "21112-8"), DateQuery("lt", us(2024, 1, 1), us(2024, 1, 2))),),
        [],
    ),
    ("code-value-string", (q(TokenQuery(None, "x"), StringQuery("nguyen thi")),), ["named"]),
    ("code-value-string", (q(TokenQuery(None, "x"), StringQuery("thao")),), []),  # prefix of the value
    (
        "chromosome-window",
        (
            q(
                TokenQuery(None, "1"),
                NumberQuery("ge", 100, 99.5, 100.5),
                NumberQuery("le", 250, 249.5, 250.5),
            ),
        ),
        ["sequence"],
    ),
    (
        "chromosome-window",
        (
            q(
                TokenQuery(None, "1"),
                NumberQuery("gt", 100, 99.5, 100.5),
                NumberQuery("le", 250, 249.5, 250.5),
            ),
        ),
        [],
    ),
    (
        "relationship",
        (q(ReferenceQuery("DocumentReference", "old", None), TokenQuery(None, "replaces")),),
        ["related"],
    ),
    ("relationship", (q(ReferenceQuery("DocumentReference", "old", None), TokenQuery(None, "appends")),), []),
    (
        "relationship",
        (
            q(
                ReferenceQuery(None, None, "http://other.org/fhir/DocumentReference/9"),
                TokenQuery(None, "appends"),
            ),
        ),
        ["related"],
    ),
    (
        "relationship",
        (q(ReferenceQuery(None, None, "DocumentReference/old"), TokenQuery("", "replaces")),),
        ["related"],
    ),
]


@pytest.fixture
def seeded(store: Store) -> Store:
    for id, rows in OBSERVATIONS.items():
        put(store, {"resourceType": "Observation", "id": id}, IndexValues(composites=rows))
    return store


@pytest.mark.parametrize(("param", "values", "expected"), ROWS)
def test_composite(
    seeded: Store, param: str, values: tuple[CompositeQuery, ...], expected: list[str]
) -> None:
    request = SearchRequest("Observation", (Criterion(param, "composite", None, values),), count=100)
    page = seeded.search(request, with_total=True)
    assert [r.id for r in page.resources] == expected
    assert page.total == len(expected)


def test_composite_missing(seeded: Store) -> None:
    present = Criterion(CCVQ, "composite", "missing", (), missing=False)
    found = seeded.search(SearchRequest("Observation", (present,)), with_total=True)
    assert [r.id for r in found.resources] == ["bp-high", "bp-odd", "bp-local"]
