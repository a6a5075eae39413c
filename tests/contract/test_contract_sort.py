"""`_sort` on every backend (the memory backend, through search.sorting, is the oracle)."""

from __future__ import annotations

from datetime import UTC, datetime

from fhir_server.definitions.registry import ParamType
from fhir_server.search.index import (
    DateValue,
    IndexValues,
    NumberValue,
    ReferenceValue,
    StringValue,
    TokenValue,
)
from fhir_server.search.request import SearchRequest, SortKey
from fhir_server.storage.base import Store
from fhir_server.storage.versioning import to_us
from tests.contract.conftest import FakeClock, patient, put

TYPES: dict[str, ParamType] = {
    "family": "string",
    "birthdate": "date",
    "gender": "token",
    "general-practitioner": "reference",
    "length": "number",
    "_id": "token",
    "_lastUpdated": "date",
}


def us(year: int, month: int = 1, day: int = 1) -> int:
    return to_us(datetime(year, month, day, tzinfo=UTC))


def day(param: str, year: int, month: int, d: int) -> DateValue:
    return DateValue(param, us(year, month, d), us(year, month, d) + 86_400_000_000)


def family(*names: str) -> tuple[StringValue, ...]:
    return tuple(StringValue("family", name, name) for name in names)


def seed(store: Store, **indexes: IndexValues) -> None:
    for id, index in indexes.items():
        put(store, patient(id), index)


def sorted_ids(store: Store, *keys: str, count: int = 100, offset: int = 0) -> list[str]:
    """Ids in `_sort` order (keys as in the query: `-param` descending), the same from search_ids."""
    sort = tuple(SortKey(k.lstrip("-"), k.startswith("-"), TYPES[k.lstrip("-")]) for k in keys)
    request = SearchRequest("Patient", (), sort, count=count, offset=offset)
    found = [r.id for r in store.search(request, with_total=False).resources]
    if offset == 0:
        with store.unit_of_work() as uow:
            assert uow.search_ids(request, limit=count) == found
    return found


def test_string_ascending_descending_and_missing_last(store: Store) -> None:
    seed(
        store,
        b=IndexValues(strings=family("tran")),
        none=IndexValues(),
        a=IndexValues(strings=family("dang")),
        c=IndexValues(strings=family("nguyen")),
    )
    assert sorted_ids(store, "family") == ["a", "c", "b", "none"]
    assert sorted_ids(store, "-family") == ["b", "c", "a", "none"]


def test_several_keys(store: Store) -> None:
    seed(
        store,
        p1=IndexValues(strings=family("le"), dates=(day("birthdate", 1990, 1, 1),)),
        p2=IndexValues(strings=family("le"), dates=(day("birthdate", 2000, 1, 1),)),
        p3=IndexValues(strings=family("an"), dates=(day("birthdate", 1990, 1, 1),)),
        p4=IndexValues(strings=family("an")),
    )
    assert sorted_ids(store, "family", "-birthdate") == ["p3", "p4", "p2", "p1"]
    assert sorted_ids(store, "-birthdate", "family") == ["p2", "p3", "p1", "p4"]
    assert sorted_ids(store, "birthdate", "-family") == ["p1", "p3", "p2", "p4"]


def test_multiple_values_lowest_ascending_highest_descending(store: Store) -> None:
    seed(
        store,
        wide=IndexValues(strings=family("b", "z")),
        low=IndexValues(strings=family("a")),
        mid=IndexValues(strings=family("m")),
    )
    assert sorted_ids(store, "family") == ["low", "wide", "mid"]
    assert sorted_ids(store, "-family") == ["wide", "mid", "low"]


def test_date_precision_low_ascending_high_descending(store: Store) -> None:
    seed(
        store,
        year=IndexValues(dates=(DateValue("birthdate", us(1980), us(1981)),)),
        june=IndexValues(dates=(day("birthdate", 1980, 6, 1),)),
        eve=IndexValues(dates=(day("birthdate", 1980, 12, 31),)),
    )
    assert sorted_ids(store, "birthdate") == ["year", "june", "eve"]
    # `1980` and 1980-12-31 both end at 1981-01-01: a tie, kept in creation order.
    assert sorted_ids(store, "-birthdate") == ["year", "eve", "june"]


def test_ties_keep_creation_order_in_both_directions(store: Store) -> None:
    seed(store, **{id: IndexValues(strings=family("same")) for id in ["z", "a", "m"]})
    assert sorted_ids(store, "family") == ["z", "a", "m"]
    assert sorted_ids(store, "-family") == ["z", "a", "m"]


def test_token_code_then_system(store: Store) -> None:
    def gender(system: str | None, code: str | None) -> IndexValues:
        return IndexValues(tokens=(TokenValue("gender", system, code),))

    seed(
        store,
        b=gender("http://b", "female"),
        a=gender("http://a", "female"),
        m=gender(None, "male"),
        nocode=gender("http://a", None),
        f=gender(None, "female"),
    )
    assert sorted_ids(store, "gender") == ["f", "a", "b", "m", "nocode"]
    assert sorted_ids(store, "-gender") == ["m", "b", "a", "f", "nocode"]


def test_reference_target_id_then_url_and_number(store: Store) -> None:
    def ref(target_type: str | None, target_id: str | None, url: str) -> ReferenceValue:
        return ReferenceValue("general-practitioner", target_type, target_id, url)

    seed(
        store,
        url=IndexValues(references=(ref(None, None, "http://example.org/x"),)),
        b=IndexValues(references=(ref("Practitioner", "b", "Practitioner/b"),)),
        # A reference parameter also has token rows for Reference.identifier; they do not sort it.
        ident=IndexValues(tokens=(TokenValue("general-practitioner", "urn:s", "0"),)),
        a=IndexValues(
            references=(ref("Practitioner", "a", "http://other.org/fhir/Practitioner/a"),),
            tokens=(TokenValue("general-practitioner", "urn:s", "zz"),),
        ),
    )
    assert sorted_ids(store, "general-practitioner") == ["a", "b", "url", "ident"]
    assert sorted_ids(store, "-general-practitioner") == ["url", "b", "a", "ident"]


def test_numbers(store: Store) -> None:
    def n(value: float) -> IndexValues:
        return IndexValues(numbers=(NumberValue("length", value, value - 0.5, value + 0.5),))

    seed(store, ten=n(10), two=n(2), minus=n(-3.5), none=IndexValues())
    assert sorted_ids(store, "length") == ["minus", "two", "ten", "none"]
    assert sorted_ids(store, "-length") == ["ten", "two", "minus", "none"]


def test_id_last_updated_and_paging(store: Store, clock: FakeClock) -> None:
    for id in ["c", "a", "d", "b"]:
        put(store, patient(id), IndexValues())
        clock.advance(seconds=1)
    put(store, patient("c"), IndexValues())  # updated last
    assert sorted_ids(store, "_id") == ["a", "b", "c", "d"]
    assert sorted_ids(store, "-_lastUpdated") == ["c", "b", "d", "a"]
    assert sorted_ids(store, "_lastUpdated") == ["a", "d", "b", "c"]
    pages = [sorted_ids(store, "-_id", count=2, offset=offset) for offset in (0, 2, 4)]
    assert pages == [["d", "c"], ["b", "a"], []]
