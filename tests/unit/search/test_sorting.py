"""The `_sort` key of one resource (the oracle the SQL backends reproduce)."""

from __future__ import annotations

from fhir_server.search.index import DateValue, IndexValues, ReferenceValue, StringValue, TokenValue
from fhir_server.search.request import SortKey
from fhir_server.search.sorting import sort_key, sort_values

ASC, DESC = SortKey("family", False, "string"), SortKey("family", True, "string")


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
    assert sort_values(index, SortKey("birthdate", False, "date")) == [10, 5]
    assert sort_values(index, SortKey("birthdate", True, "date")) == [20, 8]


def test_references_sort_by_target_id_else_url_never_by_identifier() -> None:
    gp = SortKey("gp", False, "reference")
    ref = ReferenceValue("gp", "Practitioner", "a", "Practitioner/a")
    url = ReferenceValue("gp", None, None, "http://x/y")
    token = TokenValue("gp", "urn:s", "0")  # Reference.identifier, indexed under the same code
    assert sort_values(IndexValues(references=(ref, url), tokens=(token,)), gp) == ["a"]
    assert sort_values(IndexValues(references=(url,), tokens=(token,)), gp) == ["http://x/y"]
    assert sort_values(IndexValues(tokens=(token,)), gp) == []


def test_tokens_sort_by_code_then_system() -> None:
    gender = SortKey("gender", False, "token")
    index = IndexValues(tokens=(TokenValue("gender", "urn:s", "0"), TokenValue("gender", "urn:s", None)))
    assert sort_values(index, gender) == ["0\x01urn:s"]


def test_id_and_last_updated() -> None:
    assert sort_key(IndexValues(), "a", 9, [SortKey("_id", False, "token")]) < sort_key(
        IndexValues(), "b", 1, [SortKey("_id", False, "token")]
    )
    assert sort_key(IndexValues(), "a", 9, [SortKey("_lastUpdated", True, "date")]) < sort_key(
        IndexValues(), "b", 1, [SortKey("_lastUpdated", True, "date")]
    )
