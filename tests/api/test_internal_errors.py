"""An unexpected failure gives a 500 OperationOutcome and a log line without the request's data."""

from __future__ import annotations

import logging

import pytest
from starlette.testclient import TestClient

from fhir_server.app import SystemClock, build_services, create_app
from fhir_server.settings import Settings
from fhir_server.storage.base import StoredResource
from fhir_server.storage.factory import open_store


class BrokenReads:
    """A store whose reads fail with a message quoting personal data."""

    def __init__(self) -> None:
        self._inner = open_store("memory://", SystemClock())

    def read(self, resource_type: str, id: str) -> StoredResource | None:
        raise RuntimeError(f"disk on fire while reading Nguyễn Thị Thảo {id}")

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)


def test_unexpected_error_is_a_500_outcome_without_personal_data(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(database_url="memory://")
    app = create_app(settings, build_services(settings, store=BrokenReads()))  # type: ignore[arg-type]
    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.INFO):
        response = client.get("/fhir/Patient/079226000123")
    assert response.status_code == 500
    assert response.json()["resourceType"] == "OperationOutcome"
    assert "fire" not in response.text
    ours = [r for r in caplog.records if r.name.startswith("fhir_server")]  # not the test client's own
    logged = " ".join(f"{r.getMessage()} {vars(r)}" for r in ours)
    assert "RuntimeError" in logged
    assert "Nguyễn" not in logged
    assert "079226000123" not in logged
