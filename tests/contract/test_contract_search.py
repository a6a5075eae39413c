"""Search over hand-built index values, on every backend (the memory backend is the oracle)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

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
from fhir_server.search.request import (
    Criterion,
    DateQuery,
    NumberQuery,
    ParamType,
    Prefix,
    QuantityQuery,
    QueryValue,
    ReferenceQuery,
    SearchRequest,
    StringQuery,
    TokenQuery,
    UriQuery,
)
from fhir_server.storage.base import Store
from fhir_server.storage.versioning import to_us
from tests.contract.conftest import FakeClock, delete, patient, put

UCUM = "http://unitsofmeasure.org"
CVX = "http://hl7.org/fhir/sid/cvx"


def us(year: int, month: int, day: int, hour: int = 0) -> int:
    return to_us(datetime(year, month, day, hour, tzinfo=UTC))


def seed(store: Store, **indexes: IndexValues) -> None:
    for id, index in indexes.items():
        put(store, patient(id), index)


def ids(store: Store, *criteria: Criterion) -> list[str]:
    """Ids found by search (checking its total) and by search_ids inside a unit of work: the same."""
    request = SearchRequest("Patient", criteria, count=100)
    page = store.search(request, with_total=True)
    found = [r.id for r in page.resources]
    assert page.total == len(found)
    with store.unit_of_work() as uow:
        assert uow.search_ids(request, limit=100) == found
    return found


def c(param: str, type: ParamType, *values: QueryValue, modifier: str | None = None) -> Criterion:
    return Criterion(param, type, modifier, values)


def test_id_and_last_updated(store: Store, clock: FakeClock) -> None:
    seed(store, a=IndexValues())
    clock.advance(days=1)
    seed(store, b=IndexValues(), c=IndexValues())
    assert ids(store, c("_id", "token", TokenQuery(None, "b"), TokenQuery(None, "c"))) == ["b", "c"]
    assert ids(store, c("_id", "token", TokenQuery(None, "zz"))) == []
    day1 = DateQuery("eq", us(2026, 1, 1), us(2026, 1, 2))
    assert ids(store, c("_lastUpdated", "date", day1)) == ["a"]
    assert ids(store, c("_lastUpdated", "date", DateQuery("gt", day1.low, day1.high))) == ["b", "c"]
    assert ids(store, c("_lastUpdated", "date", DateQuery("lt", us(2026, 1, 2), us(2026, 1, 3)))) == ["a"]


TOKENS = {
    "a": IndexValues(tokens=(TokenValue("code", CVX, "08", "hep b vaccine"),)),
    "b": IndexValues(tokens=(TokenValue("code", "http://other", "08"),)),
    "c": IndexValues(tokens=(TokenValue("code", None, "08"), TokenValue("code", CVX, "20"))),
    "d": IndexValues(tokens=(TokenValue("gender", None, "female"),)),
}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (TokenQuery(None, "08"), ["a", "b", "c"]),
        (TokenQuery(CVX, "08"), ["a"]),
        (TokenQuery("", "08"), ["c"]),
        (TokenQuery(CVX, None), ["a", "c"]),
        (TokenQuery(CVX, "99"), []),
    ],
)
def test_token_forms(store: Store, query: TokenQuery, expected: list[str]) -> None:
    seed(store, **TOKENS)
    assert ids(store, c("code", "token", query)) == expected


def test_token_or_and_not_and_text(store: Store) -> None:
    seed(store, **TOKENS)
    assert ids(store, c("code", "token", TokenQuery(CVX, "20"), TokenQuery("http://other", None))) == [
        "b",
        "c",
    ]
    both = (c("code", "token", TokenQuery(None, "08")), c("code", "token", TokenQuery(None, "20")))
    assert ids(store, *both) == ["c"]
    assert ids(store, c("code", "token", TokenQuery(CVX, "08"), modifier="not")) == ["b", "c", "d"]
    assert ids(store, c("code", "token", StringQuery("hep b"), modifier="text")) == ["a"]
    assert ids(store, c("code", "token", StringQuery("vaccine"), modifier="text")) == []
    assert ids(store, c("code", "token", TokenQuery(None, "hep"), modifier="text")) == ["a"]


STRINGS = {
    "a": IndexValues(strings=(StringValue("name", "nguyen", "Nguyễn"), StringValue("name", "thi", "Thị"))),
    "b": IndexValues(strings=(StringValue("name", "nguyen", "Nguyên"),)),
    "c": IndexValues(strings=(StringValue("name", "thao", "Thảo"),)),
    "d": IndexValues(strings=(StringValue("name", "hoang thao", "Hoàng Thảo"),)),
}


@pytest.mark.parametrize(
    ("modifier", "text", "expected"),
    [
        (None, "nguy", ["a", "b"]),
        (None, "nguyen", ["a", "b"]),
        (None, "thao", ["c"]),
        (None, "uyen", []),
        ("exact", "Nguyễn", ["a"]),
        ("exact", "nguyen", []),
        ("contains", "thao", ["c", "d"]),
        ("contains", "uye", ["a", "b"]),
    ],
)
def test_string_match(store: Store, modifier: str | None, text: str, expected: list[str]) -> None:
    seed(store, **STRINGS)
    assert ids(store, c("name", "string", StringQuery(text), modifier=modifier)) == expected


def test_string_values_are_ored(store: Store) -> None:
    seed(store, **STRINGS)
    assert ids(store, c("name", "string", StringQuery("thi"), StringQuery("hoang"))) == ["a", "d"]


REFERENCES = {
    "a": IndexValues(references=(ReferenceValue("subject", "Patient", "1", "Patient/1"),)),
    "b": IndexValues(references=(ReferenceValue("subject", "Group", "1", "Group/1"),)),
    "c": IndexValues(references=(ReferenceValue("subject", None, None, "http://other.org/fhir/Patient/9"),)),
    "d": IndexValues(
        references=(ReferenceValue("subject", None, None, "http://hl7.org/fhir/vs/x|4.0.1"),),
        tokens=(TokenValue("subject", "https://fhir.vn/sid/cccd", "079"),),  # Reference.identifier
    ),
}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (ReferenceQuery("Patient", "1", None), ["a"]),
        (ReferenceQuery(None, "1", None), ["a", "b"]),
        (ReferenceQuery(None, None, "http://other.org/fhir/Patient/9"), ["c"]),
        (ReferenceQuery("Patient", "9", None), []),
        (ReferenceQuery("Group", None, None), []),  # contradictory type modifier and value
        (ReferenceQuery("Patient", "1", "Group/1"), ["a", "b"]),  # id or url
        (ReferenceQuery(None, None, "http://hl7.org/fhir/vs/x"), ["d"]),  # any version
        (ReferenceQuery(None, None, "http://hl7.org/fhir/vs/x|4.0.1"), ["d"]),
        (ReferenceQuery(None, None, "http://hl7.org/fhir/vs/x|5.0.0"), []),
        (ReferenceQuery(None, None, "http://hl7.org/fhir/vs"), []),
    ],
)
def test_reference_forms(store: Store, query: ReferenceQuery, expected: list[str]) -> None:
    seed(store, **REFERENCES)
    assert ids(store, c("subject", "reference", query)) == expected


DATES = {
    "day": IndexValues(dates=(DateValue("date", us(2024, 3, 5), us(2024, 3, 6)),)),
    "month": IndexValues(dates=(DateValue("date", us(2024, 3, 1), us(2024, 4, 1)),)),
    "year": IndexValues(dates=(DateValue("date", us(2024, 1, 1), us(2025, 1, 1)),)),
    "open": IndexValues(dates=(DateValue("date", us(2024, 3, 10), us(9999, 12, 31)),)),
    "before": IndexValues(dates=(DateValue("date", us(2023, 12, 31), us(2024, 1, 1)),)),
    "next_morning": IndexValues(dates=(DateValue("date", us(2024, 3, 6, 1), us(2024, 3, 6, 2)),)),
}
MARCH = (us(2024, 3, 1), us(2024, 4, 1))
MARCH_5 = (us(2024, 3, 5), us(2024, 3, 6))


@pytest.mark.parametrize(
    ("prefix", "query", "expected"),
    [
        ("eq", MARCH, ["day", "month", "next_morning"]),
        ("ne", MARCH, ["year", "open", "before"]),
        ("eq", MARCH_5, ["day"]),
        ("gt", MARCH_5, ["month", "year", "open", "next_morning"]),
        ("lt", MARCH_5, ["month", "year", "before"]),
        ("ge", MARCH_5, ["day", "month", "year", "open", "next_morning"]),
        ("le", MARCH_5, ["day", "month", "year", "before"]),
        ("sa", MARCH_5, ["open", "next_morning"]),
        ("eb", MARCH_5, ["before"]),
        ("ap", MARCH_5, ["day", "month", "year"]),  # the parser widens an ap range, not the store
        ("ap", (us(2024, 3, 5), us(2024, 3, 6, 2)), ["day", "month", "year", "next_morning"]),
    ],
)
def test_date_prefixes(store: Store, prefix: Prefix, query: tuple[int, int], expected: list[str]) -> None:
    seed(store, **DATES)
    assert ids(store, c("date", "date", DateQuery(prefix, *query))) == expected


NUMBERS = {
    "n100": IndexValues(numbers=(NumberValue("n", 100.0, 99.5, 100.5),)),
    "n100_4": IndexValues(numbers=(NumberValue("n", 100.4, 100.35, 100.45),)),
    "n99": IndexValues(numbers=(NumberValue("n", 99.0, 98.5, 99.5),)),
    "n101": IndexValues(numbers=(NumberValue("n", 101.0, 100.5, 101.5),)),
}


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("eq", ["n100", "n100_4"]),
        ("ne", ["n99", "n101"]),
        ("gt", ["n100_4", "n101"]),
        ("lt", ["n99"]),
        ("ge", ["n100", "n100_4", "n101"]),
        ("le", ["n100", "n99"]),
        ("sa", ["n100_4", "n101"]),
        ("eb", ["n99"]),
    ],
)
def test_number_prefixes(store: Store, prefix: Prefix, expected: list[str]) -> None:
    seed(store, **NUMBERS)
    assert ids(store, c("n", "number", NumberQuery(prefix, 100.0, 99.5, 100.5))) == expected


def test_number_ap_uses_the_range_the_parser_widened(store: Store) -> None:
    seed(store, **NUMBERS)
    assert ids(store, c("n", "number", NumberQuery("ap", 100.0, 90.0, 110.0))) == list(NUMBERS)
    assert ids(store, c("n", "number", NumberQuery("ap", 100.0, 100.0, 100.2))) == ["n100"]


QUANTITIES = {
    "mg": IndexValues(quantities=(QuantityValue("q", 5.4, 5.35, 5.45, UCUM, "mg", "mg"),)),
    "unit_only": IndexValues(quantities=(QuantityValue("q", 5.4, 5.35, 5.45, None, None, "mg"),)),
    "lb": IndexValues(quantities=(QuantityValue("q", 5.4, 5.35, 5.45, UCUM, "[lb_av]", "lb"),)),
    "big": IndexValues(quantities=(QuantityValue("q", 50.0, 49.5, 50.5, UCUM, "mg", "mg"),)),
}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (QuantityQuery("eq", 5.4, 5.35, 5.45, UCUM, "mg"), ["mg"]),
        (QuantityQuery("eq", 5.4, 5.35, 5.45, None, "mg"), ["mg", "unit_only"]),
        (QuantityQuery("eq", 5.4, 5.35, 5.45, None, None), ["mg", "unit_only", "lb"]),
        (QuantityQuery("gt", 5.4, 5.35, 5.45, UCUM, "mg"), ["big"]),
        (QuantityQuery("le", 50.0, 49.5, 50.5, None, None), ["mg", "unit_only", "lb", "big"]),
    ],
)
def test_quantity(store: Store, query: QuantityQuery, expected: list[str]) -> None:
    seed(store, **QUANTITIES)
    assert ids(store, c("q", "quantity", query)) == expected


def test_reference_type_modifier(store: Store) -> None:
    seed(store, **REFERENCES)
    assert ids(store, c("subject", "reference", ReferenceQuery(None, "1", None), modifier="Group")) == ["b"]


def test_reference_identifier(store: Store) -> None:
    seed(store, **REFERENCES)
    query = TokenQuery("https://fhir.vn/sid/cccd", "079")
    assert ids(store, c("subject", "reference", query, modifier="identifier")) == ["d"]
    assert ids(store, c("subject", "reference", TokenQuery(None, "1"), modifier="identifier")) == []


def test_uri_equality_below_and_above(store: Store) -> None:
    seed(
        store,
        a=IndexValues(uris=(UriValue("url", "http://a.org/x"),)),
        b=IndexValues(uris=(UriValue("url", "http://a.org/x/y"),)),
    )
    assert ids(store, c("url", "uri", UriQuery("http://a.org/x"))) == ["a"]
    assert ids(store, c("url", "uri", UriQuery("http://a.org"))) == []
    assert ids(store, c("url", "uri", UriQuery("http://a.org/x"), modifier="below")) == ["a", "b"]
    assert ids(store, c("url", "uri", UriQuery("http://a.org/x/y/z"), modifier="above")) == ["a", "b"]
    assert ids(store, c("url", "uri", UriQuery("http://a.org/x"), modifier="above")) == ["a"]


def test_missing(store: Store) -> None:
    seed(store, **TOKENS)
    present = Criterion("gender", "token", "missing", (), missing=False)
    absent = Criterion("gender", "token", "missing", (), missing=True)
    assert ids(store, present) == ["d"]
    assert ids(store, absent) == ["a", "b", "c"]


def test_order_paging_total_and_what_is_excluded(store: Store) -> None:
    flag = IndexValues(tokens=(TokenValue("tag", None, "x"),))
    seed(store, p0=flag, p1=flag, p2=flag, p3=flag, p4=flag)
    put(store, patient("p0"), flag)  # an update keeps the creation order
    delete(store, "Patient", "p3")
    put(store, {"resourceType": "Observation", "id": "o1"}, flag)
    criterion = c("tag", "token", TokenQuery(None, "x"))
    assert ids(store, criterion) == ["p0", "p1", "p2", "p4"]
    page = store.search(SearchRequest("Patient", (criterion,), count=2, offset=1), with_total=True)
    assert [r.id for r in page.resources] == ["p1", "p2"] and page.total == 4
    assert all(not r.deleted and r.version >= 1 for r in page.resources)
    untotalled = store.search(SearchRequest("Patient", (criterion,), count=0), with_total=False)
    assert untotalled.resources == [] and untotalled.total is None
    everything = store.search(SearchRequest("Patient"), with_total=True)
    assert everything.total == 4
    assert everything.resources[0] == store.read("Patient", "p0")


def test_index_rows_are_replaced_on_update_and_removed_on_delete(store: Store) -> None:
    put(store, patient("p1"), IndexValues(tokens=(TokenValue("tag", None, "old"),)))
    put(store, patient("p1"), IndexValues(tokens=(TokenValue("tag", None, "new"),)))
    assert ids(store, c("tag", "token", TokenQuery(None, "old"))) == []
    assert ids(store, c("tag", "token", TokenQuery(None, "new"))) == ["p1"]
    delete(store, "Patient", "p1")
    assert ids(store, c("tag", "token", TokenQuery(None, "new"))) == []
    assert ids(store, Criterion("tag", "token", "missing", (), missing=True)) == []
    put(store, patient("p1"), IndexValues())
    assert ids(store, Criterion("tag", "token", "missing", (), missing=True)) == ["p1"]
