"""Keyset paging over HTTP: next links carry `_cursor`, with `_sort` or without, and stay right while writes
go on."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.api.conftest import FHIR_JSON, patient

JSON = {"Content-Type": FHIR_JSON}


def _relations(bundle: dict[str, Any]) -> dict[str, str]:
    return {link["relation"]: link["url"] for link in bundle["link"]}


def _ids(bundle: dict[str, Any]) -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", [])]


def test_following_next_links_with_a_delete_in_between_skips_nothing(client: TestClient) -> None:
    for i in range(7):
        assert client.put(f"/fhir/Patient/p{i}", json=patient(f"p{i}"), headers=JSON).status_code == 201
    first = client.get("/fhir/Patient", params={"_count": "3"}).json()
    assert _ids(first) == ["p0", "p1", "p2"]
    relations = _relations(first)
    assert "_cursor=" in relations["next"] and "previous" not in relations
    assert client.delete("/fhir/Patient/p1").status_code in (200, 204)  # an offset would now skip p3
    second = client.get(relations["next"]).json()
    assert _ids(second) == ["p3", "p4", "p5"]
    assert "_cursor=" in _relations(second)["self"] and "previous" not in _relations(second)
    client.put("/fhir/Patient/late", json=patient("late"), headers=JSON)
    third = client.get(_relations(second)["next"]).json()
    assert _ids(third) == ["p6", "late"]
    assert "next" not in _relations(third)


def test_sorted_search_pages_by_cursor_while_writes_continue(client: TestClient) -> None:
    for i in range(5):
        client.put(f"/fhir/Patient/p{i}", json=patient(f"p{i}"), headers=JSON)
    first = client.get("/fhir/Patient", params={"_count": "2", "_sort": "-_id"}).json()
    assert _ids(first) == ["p4", "p3"]
    next_link = _relations(first)["next"]
    assert "_cursor=k" in next_link and "_offset" not in next_link and "_sort=-_id" in next_link
    assert client.delete("/fhir/Patient/p4").status_code in (200, 204)  # an offset would now skip p2
    client.put("/fhir/Patient/p9", json=patient("p9"), headers=JSON)  # sorts before the cursor
    second = client.get(next_link).json()
    assert _ids(second) == ["p2", "p1"]
    third = client.get(_relations(second)["next"]).json()
    assert _ids(third) == ["p0"] and "next" not in _relations(third)


def test_bad_cursor_is_400(client: TestClient) -> None:
    response = client.get("/fhir/Patient", params={"_cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"
    assert client.get("/fhir/Patient", params={"_cursor": "p1", "_sort": "_id"}).status_code == 400
