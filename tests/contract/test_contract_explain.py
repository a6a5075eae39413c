"""`Store.search(..., explain=True)`: same results, a log line on "fhir_server.explain", never the values."""

from __future__ import annotations

import logging

import pytest

from fhir_server.search.index import IndexValues, StringValue
from fhir_server.search.request import Criterion, SearchRequest, StringQuery
from fhir_server.storage.base import Store
from tests.contract.conftest import patient, put


def test_explain_logs_without_values(store: Store, backend: str, caplog: pytest.LogCaptureFixture) -> None:
    put(
        store,
        patient("p1"),
        IndexValues(strings=(StringValue("name", "nguyen thi thao", "Nguyễn Thị Thảo"),)),
    )
    request = SearchRequest(
        "Patient", (Criterion("name", "string", None, (StringQuery("nguyen thi"),)),), count=10
    )
    caplog.set_level(logging.INFO, logger="fhir_server.explain")
    quiet = store.search(request, with_total=True)
    assert not [r for r in caplog.records if r.name == "fhir_server.explain"]
    explained = store.search(request, with_total=True, explain=True)
    assert [r.id for r in explained.resources] == [r.id for r in quiet.resources] == ["p1"]
    records = [r for r in caplog.records if r.name == "fhir_server.explain"]
    assert records and all(r.__dict__["backend"] == backend for r in records)
    if backend == "sqlite":
        assert all("SELECT" in r.__dict__["sql"] and r.__dict__["plan"] for r in records)
    assert "nguyen" not in " ".join(f"{r.getMessage()} {r.__dict__}" for r in records).lower()
