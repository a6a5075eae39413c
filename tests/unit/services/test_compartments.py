"""Compartment membership and narrowing against the in-memory store."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from fhir_server.definitions.loader import load_definitions
from fhir_server.model.outcome import FhirError
from fhir_server.search.extract import Extractor
from fhir_server.search.request import Criterion, ReferenceQuery, SearchRequest, SortKey, TokenQuery
from fhir_server.services.compartments import Compartments
from fhir_server.storage.memory import MemoryStore
from fhir_server.types import JsonResource


class Clock:
    def now(self) -> datetime:
        return datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def store() -> MemoryStore:
    definitions = load_definitions()
    store = MemoryStore(Clock())
    extractor = Extractor(definitions.search_params, ZoneInfo("Asia/Ho_Chi_Minh"))
    observations: list[JsonResource] = [
        {"resourceType": "Observation", "id": "o1", "subject": {"reference": "Patient/a"}},
        {"resourceType": "Observation", "id": "o2", "performer": [{"reference": "Patient/a"}]},
        {"resourceType": "Observation", "id": "o3", "subject": {"reference": "Patient/b"}},
    ]
    with store.unit_of_work() as uow:
        for resource in observations:
            uow.write(resource, extractor.extract(resource), method="PUT")
    return store


def _compartments(store: MemoryStore) -> Compartments:
    definitions = load_definitions()
    return Compartments(definitions.compartments, definitions.search_params)


def _ids(store: MemoryStore, request: SearchRequest) -> list[str]:
    return [r.id for r in store.search(request, with_total=False).resources]


def test_membership_is_one_reference_criterion_per_param(store: MemoryStore) -> None:
    alternatives = _compartments(store).membership("Patient", "a", "Observation")
    query = (ReferenceQuery("Patient", "a", None),)
    assert alternatives == (
        Criterion("subject", "reference", None, query),
        Criterion("performer", "reference", None, query),
    )


def test_the_focal_resource_is_matched_by_id(store: MemoryStore) -> None:
    alternatives = _compartments(store).membership("Encounter", "e1", "Encounter")
    assert alternatives == (Criterion("_id", "token", None, (TokenQuery(None, "e1"),)),)


def test_errors_for_unknown_compartments_and_non_members(store: MemoryStore) -> None:
    compartments = _compartments(store)
    with pytest.raises(FhirError) as unknown:
        compartments.membership("Organization", "1", "Observation")
    assert unknown.value.status == 404
    with pytest.raises(FhirError) as outside:
        compartments.membership("Patient", "a", "Organization")
    assert outside.value.status == 400


def test_single_param_adds_one_criterion_and_keeps_paging() -> None:
    store = MemoryStore(Clock())
    request = SearchRequest("Immunization", count=5, offset=10)
    narrowed = _compartments(store).narrow(request, "Patient", "a")
    assert narrowed.criteria == (
        Criterion("patient", "reference", None, (ReferenceQuery("Patient", "a", None),)),
    )
    assert (narrowed.count, narrowed.offset) == (5, 10)


def test_several_params_are_one_group_of_alternatives(store: MemoryStore) -> None:
    compartments = _compartments(store)
    sort = (SortKey("_id", True, "token"),)
    narrowed = compartments.narrow(SearchRequest("Observation", sort=sort), "Patient", "a")
    assert narrowed.sort == sort and narrowed.criteria == ()
    assert narrowed.alternatives == (compartments.membership("Patient", "a", "Observation"),)
    assert _ids(store, narrowed) == ["o2", "o1"]
    assert _ids(store, compartments.narrow(SearchRequest("Observation"), "Patient", "nobody")) == []
