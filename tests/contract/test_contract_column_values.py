"""`Store.column_values`: the index values reports aggregate, the same on every backend."""

from __future__ import annotations

from typing import Any

from fhir_server.search.index import DateValue, IndexValues, ReferenceValue, StringValue, TokenValue
from fhir_server.search.request import Criterion, SearchRequest, TokenQuery
from fhir_server.storage.base import Store
from tests.contract.conftest import delete, put

CVX = "http://hl7.org/fhir/sid/cvx"


def _immunization(store: Store, id: str, code: str, day: int, patient: str, *, status: str) -> None:
    body: dict[str, Any] = {"resourceType": "Immunization", "id": id}
    put(
        store,
        body,
        IndexValues(
            tokens=(TokenValue("vaccine-code", CVX, code), TokenValue("status", None, status)),
            dates=(DateValue("date", day * 1000, day * 1000 + 60),),
            references=(
                ReferenceValue("patient", "Patient", patient, f"Patient/{patient}"),
                ReferenceValue("location", None, None, "http://example.org/loc"),
            ),
            strings=(StringValue("lot-number", "dph-2501a", "DPH-2501A"),),
        ),
    )


def test_values_of_the_matches_only_from_current_versions(store: Store) -> None:
    _immunization(store, "a", "102", 1, "p1", status="completed")
    _immunization(store, "b", "05", 2, "p2", status="completed")
    _immunization(store, "c", "19", 3, "p3", status="entered-in-error")
    _immunization(store, "d", "19", 4, "p4", status="completed")
    delete(store, "Immunization", "d")
    _immunization(store, "a", "178", 5, "p1", status="completed")  # a new version replaces the old values
    completed = SearchRequest(
        "Immunization", (Criterion("status", "token", None, (TokenQuery(None, "completed"),)),), count=1
    )
    rows = store.column_values(completed, ("vaccine-code", "date", "patient", "location", "lot-number"))
    assert sorted(rows, key=str) == sorted(
        [
            ("a", "vaccine-code", f"{CVX}|178"),
            ("a", "date", 5000),
            ("a", "patient", "p1"),
            ("a", "lot-number", "DPH-2501A"),
            ("b", "vaccine-code", f"{CVX}|05"),
            ("b", "date", 2000),
            ("b", "patient", "p2"),
            ("b", "lot-number", "DPH-2501A"),
        ],
        key=str,
    )


def test_unknown_parameters_and_no_parameters_give_nothing(store: Store) -> None:
    _immunization(store, "a", "102", 1, "p1", status="completed")
    assert store.column_values(SearchRequest("Immunization"), ("nothing-here",)) == []
    assert store.column_values(SearchRequest("Immunization"), ()) == []
    assert store.column_values(SearchRequest("Patient"), ("date",)) == []
