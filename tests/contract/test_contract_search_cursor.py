"""Keyset paging without `_sort`: a cursor continues after the last match shown, so deletes and creates
between pages neither skip nor repeat a surviving resource, on every backend."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fhir_server.model.outcome import FhirError
from fhir_server.search.index import IndexValues, TokenValue
from fhir_server.search.request import Criterion, SearchRequest, SortKey, TokenQuery
from fhir_server.storage.base import Store
from tests.contract.conftest import delete, patient, put

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


def test_sorted_searches_give_no_cursor(store: Store) -> None:
    for id in ("a", "b", "c"):
        put(store, patient(id), FEMALE)
    request = SearchRequest("Patient", sort=(SortKey("_id", False, "token"),), count=1)
    assert _ids(store, request) == (["a"], None)


@pytest.mark.parametrize("cursor", ["", "x1", "p", "p-1", "p1x", "s5", "p" + "9" * 19])
def test_malformed_cursor_is_400(store: Store, cursor: str) -> None:
    with pytest.raises(FhirError) as raised:
        store.search(SearchRequest("Patient", cursor=cursor), with_total=False)
    assert raised.value.status == 400
