"""Instance, type and system history: newest first, _since, totals and cursors that survive writes."""

from __future__ import annotations

import threading

import pytest

from fhir_server.model.outcome import FhirError
from fhir_server.storage.base import HistoryQuery, Store, StoredResource
from tests.contract.conftest import FakeClock, delete, patient, put


def observation(id: str) -> dict[str, object]:
    return {"resourceType": "Observation", "id": id, "status": "final"}


def page_all(store: Store, query: HistoryQuery) -> list[StoredResource]:
    entries: list[StoredResource] = []
    cursor: str | None = None
    while True:
        page = store.history(HistoryQuery(query.resource_type, query.id, query.since, query.count, cursor))
        entries.extend(page.entries)
        if page.next_cursor is None:
            return entries
        assert page.entries, "a page with a next cursor is never empty"
        cursor = page.next_cursor


def test_instance_history_newest_first_including_deletion(store: Store) -> None:
    put(store, patient("p1"), method="POST")
    put(store, patient("p1"))
    put(store, patient("p2"))
    delete(store, "Patient", "p1")
    page = store.history(HistoryQuery("Patient", "p1"))
    assert [(e.version, e.method, e.deleted) for e in page.entries] == [
        (3, "DELETE", True),
        (2, "PUT", False),
        (1, "POST", False),
    ]
    assert page.total == 3 and page.next_cursor is None
    assert page.entries[1] == store.vread("Patient", "p1", 2)


def test_history_of_an_unknown_instance_is_empty(store: Store) -> None:
    page = store.history(HistoryQuery("Patient", "nobody"))
    assert (page.entries, page.total, page.next_cursor) == ([], 0, None)


def test_type_and_system_history(store: Store) -> None:
    put(store, patient("p1"))
    put(store, observation("o1"))
    put(store, patient("p1"))
    delete(store, "Observation", "o1")
    type_page = store.history(HistoryQuery("Patient"))
    assert [(e.id, e.version) for e in type_page.entries] == [("p1", 2), ("p1", 1)]
    system_page = store.history(HistoryQuery())
    assert [(e.resource_type, e.version) for e in system_page.entries] == [
        ("Observation", 2),
        ("Patient", 2),
        ("Observation", 1),
        ("Patient", 1),
    ]
    assert system_page.total == 4


def test_since_keeps_versions_at_or_after_the_instant(store: Store, clock: FakeClock) -> None:
    put(store, patient("p1"))
    boundary = clock.advance(seconds=10)
    put(store, patient("p2"))
    clock.advance(seconds=10)
    put(store, patient("p1"))
    page = store.history(HistoryQuery("Patient", since=boundary))
    assert [(e.id, e.version) for e in page.entries] == [("p1", 2), ("p2", 1)]
    assert page.total == 2
    assert store.history(HistoryQuery("Patient", "p1", since=boundary)).total == 1
    assert store.history(HistoryQuery(since=clock.advance(seconds=1))).total == 0


def test_paging_through_all_pages(store: Store) -> None:
    for i in range(7):
        put(store, patient(f"p{i}"))
    first = store.history(HistoryQuery("Patient", count=3))
    assert first.total == 7 and len(first.entries) == 3 and first.next_cursor is not None
    entries = page_all(store, HistoryQuery("Patient", count=3))
    assert [e.id for e in entries] == [f"p{i}" for i in reversed(range(7))]
    exact = page_all(store, HistoryQuery("Patient", count=7))
    assert len(exact) == 7
    assert store.history(HistoryQuery("Patient", count=7)).next_cursor is None


def test_paging_while_others_write_loses_and_repeats_nothing(store: Store) -> None:
    for i in range(30):
        put(store, patient(f"old{i}"))
    stop = threading.Event()

    def writer() -> None:
        # Bounded: on a slow backend (mongomock copies every document per query) an unbounded writer can
        # outgrow the reader's paging forever.
        n = 0
        while not stop.is_set() and n < 300:
            put(store, patient(f"new{n}"))
            put(store, patient(f"old{n % 30}"))  # new versions of paged resources too
            n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        first = store.history(HistoryQuery("Patient", count=4))
        seen = list(first.entries)
        cursor = first.next_cursor
        while cursor is not None:
            page = store.history(HistoryQuery("Patient", count=4, cursor=cursor))
            seen.extend(page.entries)
            cursor = page.next_cursor
    finally:
        stop.set()
        thread.join()
    keys = [(e.id, e.version) for e in seen]
    assert len(keys) == len(set(keys))
    assert {(f"old{i}", 1) for i in range(30)} <= set(keys)
    # Exactly what existed when the first page was taken, in order: later writes only come before it.
    everything = [(e.id, e.version) for e in page_all(store, HistoryQuery("Patient", count=1000))]
    assert everything[everything.index(keys[0]) :] == keys


def test_a_malformed_cursor_is_a_400(store: Store) -> None:
    with pytest.raises(FhirError) as error:
        store.history(HistoryQuery(cursor="not-a-cursor"))
    assert error.value.status == 400


def test_count_zero_gives_only_the_total(store: Store) -> None:
    put(store, patient("p1"))
    page = store.history(HistoryQuery(count=0))
    assert (page.entries, page.total, page.next_cursor) == ([], 1, None)


def test_writes_between_pages_do_not_shift_the_pages(store: Store) -> None:
    for i in range(10):
        put(store, patient(f"p{i}"))
    before = [(e.id, e.version) for e in page_all(store, HistoryQuery(count=100))]
    seen: list[tuple[str, int]] = []
    cursor: str | None = None
    n = 0
    while True:
        page = store.history(HistoryQuery(count=3, cursor=cursor))
        seen.extend((e.id, e.version) for e in page.entries)
        put(store, patient(f"p{n}"))  # a newer version of a resource already paged through
        delete(store, "Patient", f"p{9 - n}")  # and of one not yet reached
        n += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == before
