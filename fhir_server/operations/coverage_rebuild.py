"""`fhir-server coverage rebuild`: the coverage aggregate (coverage_summary.py) built from scratch from
the index, in one unit of work (no write runs meanwhile), and marked complete. Needed once for a store
filled before the aggregate existed or by a process without it; reports read the index until then."""

from __future__ import annotations

from collections.abc import Iterator

from fhir_server.operations.coverage_data import grouped
from fhir_server.operations.coverage_summary import CoverageSummarizer
from fhir_server.search.request import SearchRequest
from fhir_server.services.conditions import Conditions
from fhir_server.storage.base import Columns, Store, summary_marker

PATIENT_PARAMS = ("organization", "birthdate", "gender")
IMMUNIZATION_PARAMS = ("status", "patient", "vaccine-code", "date")
# Completed Immunizations are read a year at a time (bounded memory); a dose without a date counts
# nowhere, so the years cover every countable one.
FIRST_YEAR, LAST_YEAR = 1950, 2150


def _immunizations(store: Store, conditions: Conditions) -> Iterator[tuple[str, Columns]]:
    spans = [[("date", f"lt{FIRST_YEAR}-01-01")], [("date", f"ge{LAST_YEAR}-01-01")]]
    spans += [[("date", f"ge{y}-01-01"), ("date", f"lt{y + 1}-01-01")] for y in range(FIRST_YEAR, LAST_YEAR)]
    for span in spans:
        request = conditions.from_params("Immunization", [("status", "completed"), *span])
        yield from grouped(store.column_values(request, IMMUNIZATION_PARAMS)).items()


def rebuild(store: Store, conditions: Conditions, summarizer: CoverageSummarizer) -> tuple[int, int] | None:
    """(children, doses) written; None when the store keeps no derived rows."""
    with store.unit_of_work() as unit:
        rows = unit.derived()
        if rows is None:
            return None
        patients = grouped(store.column_values(SearchRequest("Patient"), PATIENT_PARAMS))
        counts = summarizer.rebuild(rows, patients, _immunizations(store, conditions))
        for kind in sorted(summarizer.kinds):
            unit.save_checkpoint(summary_marker(kind), b"1")
    return counts
