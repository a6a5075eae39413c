"""The `_sort` key of one resource (the oracle the SQL backends reproduce)."""

from __future__ import annotations

from fhir_server.search.index import DateValue, IndexValues, ReferenceValue, StringValue, TokenValue
from fhir_server.search.request import SortKey
from fhir_server.search.sorting import sort_key, sort_values

ASC, DESC = SortKey("family", False), SortKey("family", True)


def family(*names: str) -> IndexValues:
    return IndexValues(strings=tuple(StringValue("family", n, n) for n in names))


def test_lowest_value_ascending_highest_descending() -> None:
    both, middle = family("b", "y"), family("m")
    assert sort_key(both, "1", 0, [ASC]) < sort_key(middle, "2", 0, [ASC])
    assert sort_key(both, "1", 0, [DESC]) < sort_key(middle, "2", 0, [DESC])


def test_missing_sorts_last_in_both_directions() -> None:
    for key in (ASC, DESC):
        assert sort_key(family("z"), "1", 0, [key]) < sort_key(IndexValues(), "2", 0, [key])
        assert sort_key(IndexValues(), "1", 0, [key]) == sort_key(IndexValues(), "2", 0, [key])


def test_dates_use_low_ascending_and_high_descending() -> None:
    index = IndexValues(dates=(DateValue("birthdate", 10, 20), DateValue("birthdate", 5, 8)))
    assert sort_values(index, "birthdate", descending=False) == [10, 5]
    assert sort_values(index, "birthdate", descending=True) == [20, 8]


def test_tiers_reference_id_before_url_before_identifier_token() -> None:
    ref = ReferenceValue("gp", "Practitioner", "a", "Practitioner/a")
    url = ReferenceValue("gp", None, None, "http://x/y")
    token = TokenValue("gp", "urn:s", "0")
    assert sort_values(IndexValues(references=(ref, url), tokens=(token,)), "gp", False) == ["a"]
    assert sort_values(IndexValues(references=(url,), tokens=(token,)), "gp", False) == ["http://x/y"]
    assert sort_values(IndexValues(tokens=(token, TokenValue("gp", "urn:s", None))), "gp", False) == [
        "0\x01urn:s"
    ]


def test_id_and_last_updated() -> None:
    assert sort_key(IndexValues(), "a", 9, [SortKey("_id", False)]) < sort_key(
        IndexValues(), "b", 1, [SortKey("_id", False)]
    )
    assert sort_key(IndexValues(), "a", 9, [SortKey("_lastUpdated", True)]) < sort_key(
        IndexValues(), "b", 1, [SortKey("_lastUpdated", True)]
    )
