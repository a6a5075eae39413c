"""Keyset paging without `_sort`: a cursor continues after the last match shown, so deletes and creates
between pages neither skip nor repeat a surviving resource, on every backend."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fhir_server.model.outcome import FhirError
from fhir_server.search.index import DateValue, IndexValues, TokenValue
from fhir_server.search.request import Criterion, SearchRequest, SortKey, TokenQuery
from fhir_server.storage.base import Store
from tests.contract.conftest import delete, patient, put
from tests.contract.test_contract_search import us

FEMALE = IndexValues(tokens=(TokenValue("gender", None, "female"),))
ONLY_FEMALE = Criterion("gender", "token", None, (TokenQuery(None, "female"),))


def _ids(store: Store, request: SearchRequest) -> tuple[list[str], str | None]:
    page = store.search(request, with_total=False)
    return [r.id for r in page.resources], page.next_cursor


def test_cursor_pages_see_every_survivor_once_while_writes_continue(store: Store) -> None:
    originals = [f"p{i:02d}" for i in range(10)]
    for id in originals:
        put(store, patient(id), FEMALE)
    request = SearchRequest("Patient", (ONLY_FEMALE,), count=3)
    seen: list[str] = []
    deleted: set[str] = set()
    page, cursor = _ids(store, request)
    seen += page
    step = 0
    while cursor is not None:
        # Between pages: delete one already shown and one not yet shown, create a new one.
        for gone in (seen[0], originals[-1 - step]):
            if gone not in deleted:
                delete(store, "Patient", gone)
                deleted.add(gone)
        put(store, patient(f"new{step}"), FEMALE)
        step += 1
        page, cursor = _ids(store, replace(request, cursor=cursor))
        seen += page
    survivors = [id for id in originals if id not in deleted]
    assert [id for id in seen if id in originals and id not in deleted] == survivors
    assert len(seen) == len(set(seen))  # nothing repeated
    assert {f"new{n}" for n in range(step)} <= set(seen)  # created later: after every cursor so far


def test_last_page_has_no_cursor_and_an_exact_page_none_either(store: Store) -> None:
    for id in ("a", "b", "c", "d"):
        put(store, patient(id), FEMALE)
    page, cursor = _ids(store, SearchRequest("Patient", count=2))
    assert page == ["a", "b"] and cursor is not None
    page, cursor = _ids(store, SearchRequest("Patient", count=2, cursor=cursor))
    assert page == ["c", "d"] and cursor is None
    assert _ids(store, SearchRequest("Patient", count=0)) == ([], None)


def test_recreated_resource_keeps_its_place(store: Store) -> None:
    for id in ("a", "b", "c"):
        put(store, patient(id), FEMALE)
    page, cursor = _ids(store, SearchRequest("Patient", count=2))
    assert page == ["a", "b"]
    delete(store, "Patient", "a")
    put(store, patient("a"), FEMALE)  # re-created: its original position, already passed
    assert _ids(store, SearchRequest("Patient", count=2, cursor=cursor)) == (["c"], None)


def test_cursor_then_offset_skips_after_the_cursor(store: Store) -> None:
    for id in ("a", "b", "c", "d", "e"):
        put(store, patient(id), FEMALE)
    _, cursor = _ids(store, SearchRequest("Patient", count=1))
    assert _ids(store, SearchRequest("Patient", count=2, offset=1, cursor=cursor))[0] == ["c", "d"]


def _dated(id: str, year: int | None, group: str = "x") -> tuple[dict[str, str], IndexValues]:
    dates = () if year is None else (DateValue("birthdate", us(year, 1, 1), us(year + 1, 1, 1)),)
    return patient(id), IndexValues(tokens=(TokenValue("group", None, group),), dates=dates)


SORTS = {
    "date then id": (SortKey("birthdate", False, "date"), SortKey("_id", True, "token")),
    "date descending": (SortKey("birthdate", True, "date"),),
    "token then date": (SortKey("group", False, "token"), SortKey("birthdate", True, "date")),
}


@pytest.mark.parametrize("sort", SORTS)
def test_sorted_cursor_pages_see_every_survivor_once_while_writes_continue(store: Store, sort: str) -> None:
    """Ties, missing values (last either way) and several keys; between pages a shown and an unshown
    resource are deleted and a new one is created before the cursor's place: never repeated, never
    skipping a survivor."""
    years = [2020, 2022, None, 2020, 2021, None, 2022, 2020, 2021, 2023]
    for n, year in enumerate(years):
        put(store, *_dated(f"p{n}", year, "ab"[n % 2]))
    request = SearchRequest("Patient", sort=SORTS[sort], count=3)
    expected = [r.id for r in store.search(replace(request, count=100), with_total=False).resources]
    seen: list[str] = []
    deleted: set[str] = set()
    page = store.search(request, with_total=False)
    step = 0
    while True:
        seen += [r.id for r in page.resources]
        if page.next_cursor is None:
            break
        for gone in (seen[0], expected[-1 - step]):
            if gone not in deleted:
                delete(store, "Patient", gone)
                deleted.add(gone)
        put(store, *_dated(f"new{step}", 2019, "a"))  # sorts before every cursor of the date sorts
        step += 1
        page = store.search(replace(request, cursor=page.next_cursor), with_total=False)
    survivors = [id for id in expected if id not in deleted]
    assert [id for id in seen if id in expected and id not in deleted] == survivors
    assert len(seen) == len(set(seen))


def test_sorted_cursor_matches_the_sorted_order_page_by_page(store: Store) -> None:
    for n, year in enumerate([2021, None, 2020, 2021, 2020, None, 2022]):
        put(store, *_dated(f"p{n}", year))
    request = SearchRequest("Patient", sort=(SortKey("birthdate", True, "date"),), count=2)
    everything = [r.id for r in store.search(replace(request, count=100), with_total=False).resources]
    assert everything == ["p6", "p0", "p3", "p2", "p4", "p1", "p5"]  # ties in creation order, missing last
    pages: list[list[str]] = []
    cursor = None
    while True:
        page = store.search(replace(request, cursor=cursor), with_total=False)
        pages.append([r.id for r in page.resources])
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == [["p6", "p0"], ["p3", "p2"], ["p4", "p1"], ["p5"]]


@pytest.mark.parametrize(
    "cursor",
    ["p1", "k", "k!!", "kW10", "kWzEsMiwzXQ", "kWyJhIiwxXQ", "kW251bGwsMS41XQ", "kW251bGwsdHJ1ZV0"],
)
def test_malformed_sorted_cursor_is_400(store: Store, cursor: str) -> None:
    """A position cursor, bad base64, `[]` and `[1,2,3]` (one key: one value and a position), `["a",1]`
    (text for a date), `[null,1.5]` and `[null,true]` (positions are integers)."""
    request = SearchRequest("Patient", sort=(SortKey("birthdate", False, "date"),), cursor=cursor)
    with pytest.raises(FhirError) as raised:
        store.search(request, with_total=False)
    assert raised.value.status == 400


@pytest.mark.parametrize("cursor", ["", "x1", "p", "p-1", "p1x", "s5", "p" + "9" * 19])
def test_malformed_cursor_is_400(store: Store, cursor: str) -> None:
    with pytest.raises(FhirError) as raised:
        store.search(SearchRequest("Patient", cursor=cursor), with_total=False)
    assert raised.value.status == 400
