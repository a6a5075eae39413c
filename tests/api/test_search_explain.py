"""The explain switch: `X-Debug-Explain: true` logs the compiled SQL and its plan when the settings allow
it, never the searched values."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from fhir_server.app import create_app
from fhir_server.settings import Settings
from tests.api.conftest import FHIR_JSON, patient

EXPLAIN = {"X-Debug-Explain": "true"}


def _client(tmp_path: Path, *, explain_search: bool) -> Iterator[TestClient]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'x.sqlite3'}", explain_search=explain_search)
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        assert (
            client.post("/fhir/Patient", json=patient(), headers={"Content-Type": FHIR_JSON}).status_code
            == 201
        )
        yield client


@pytest.fixture
def allowed(tmp_path: Path) -> Iterator[TestClient]:
    yield from _client(tmp_path, explain_search=True)


@pytest.fixture
def forbidden(tmp_path: Path) -> Iterator[TestClient]:
    yield from _client(tmp_path, explain_search=False)


def _explained(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "fhir_server.explain"]


def test_header_logs_sql_and_plan_without_values(
    allowed: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="fhir_server.explain")
    response = allowed.get("/fhir/Patient?name=Thảo&identifier=079226000123&_total=accurate", headers=EXPLAIN)
    assert response.status_code == 200
    assert response.json()["total"] == 1
    records = _explained(caplog)
    # Two criteria that seek the index: each counts its first matches to choose the one to drive the page.
    assert [r.__dict__["statement"] for r in records] == ["estimate", "estimate", "page", "total"]
    page = next(r for r in records if r.__dict__["statement"] == "page")
    assert "FROM resources r" in page.__dict__["sql"]
    assert page.__dict__["plan"] and all(isinstance(row, str) for row in page.__dict__["plan"])
    assert page.__dict__["parameters"] > 0
    text = " ".join(f"{r.getMessage()} {r.__dict__}" for r in records).lower()
    for value in ("thảo", "thao", "079226000123"):
        assert value not in text


def test_no_header_no_log(allowed: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="fhir_server.explain")
    assert allowed.get("/fhir/Patient?name=Thao").status_code == 200
    assert _explained(caplog) == []


def test_header_ignored_unless_settings_allow(
    forbidden: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="fhir_server.explain")
    assert forbidden.get("/fhir/Patient?name=Thao", headers=EXPLAIN).status_code == 200
    assert _explained(caplog) == []


def test_compartment_search_explained(allowed: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="fhir_server.explain")
    put = allowed.put("/fhir/Patient/p1", json=patient("p1"), headers={"Content-Type": FHIR_JSON})
    assert put.status_code == 201
    assert allowed.get("/fhir/Patient/p1/Immunization", headers=EXPLAIN).status_code == 200
    assert {r.__dict__["resource_type"] for r in _explained(caplog)} == {"Immunization"}
