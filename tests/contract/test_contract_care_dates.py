"""The care-date range of `$everything` (services.care_dates) on every backend: a resource is kept when
its care date overlaps [start, end] or when it has none, whatever the shape of the date."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest

from fhir_server.definitions.registry import Definitions
from fhir_server.search.dates import date_range
from fhir_server.search.extract import Extractor
from fhir_server.search.request import SearchRequest
from fhir_server.services.care_dates import care_date_groups
from fhir_server.storage.base import Store
from tests.contract.conftest import put

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def encounter(id: str, **period: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": id,
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
    }
    return {**resource, "period": period} if period else resource


ENCOUNTERS = [
    encounter("none"),
    encounter("before", start="2023-03-01", end="2023-03-02"),
    encounter("across-new-year", start="2023-12-20", end="2024-01-05"),
    encounter("inside", start="2024-05-01T08:00:00+07:00", end="2024-05-01T09:00:00+07:00"),
    encounter("last-evening", start="2024-12-31T23:30:00+07:00", end="2024-12-31T23:45:00+07:00"),
    encounter("open-ended", start="2022-01-01"),
    encounter("after", start="2025-01-01T00:00:00+07:00", end="2025-01-02"),
]


@pytest.fixture
def seeded(store: Store, definitions: Definitions) -> Store:
    extractor = Extractor(definitions.search_params, VN)
    for resource in ENCOUNTERS:
        put(store, resource, extractor.extract(resource))
    return store


def kept(store: Store, definitions: Definitions, start: str | None, end: str | None) -> set[str]:
    bounds = [None if value is None else date_range(value, VN) for value in (start, end)]
    groups = care_date_groups("Encounter", *bounds, definitions.search_params, VN)
    page = store.search(SearchRequest("Encounter", alternatives=groups, count=100), with_total=True)
    assert page.total == len(page.resources)
    return {r.id for r in page.resources}


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2024", "2024", {"none", "across-new-year", "inside", "last-evening", "open-ended"}),
        ("2024-01-05", None, {"none", "across-new-year", "inside", "last-evening", "open-ended", "after"}),
        ("2024-01-06", None, {"none", "inside", "last-evening", "open-ended", "after"}),
        (None, "2023-12-19", {"none", "before", "open-ended"}),
        (None, "2023-12-20", {"none", "before", "across-new-year", "open-ended"}),
        ("2024-05-01", "2024-05-01", {"none", "inside", "open-ended"}),
        ("2026", None, {"none", "open-ended"}),
    ],
)
def test_overlap_or_no_care_date(
    seeded: Store, definitions: Definitions, start: str | None, end: str | None, expected: set[str]
) -> None:
    assert kept(seeded, definitions, start, end) == expected


def test_without_bounds_nothing_is_added(definitions: Definitions) -> None:
    assert care_date_groups("Encounter", None, None, definitions.search_params, VN) == ()
    assert care_date_groups("AuditEvent", (0, 1), (0, 1), definitions.search_params, VN) == ()
