"""API tests drive the whole ASGI app in-process on a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from fhir_server.app import create_app
from fhir_server.settings import Settings

FHIR_JSON = "application/fhir+json"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'api.sqlite3'}", max_body_bytes=200_000)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), base_url="http://testserver") as test_client:
        yield test_client


def immunization(**changes: Any) -> dict[str, Any]:
    """A valid Immunization; keyword arguments replace (or, with value None, remove) elements."""
    resource: dict[str, Any] = {
        "resourceType": "Immunization",
        "status": "completed",
        "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "08"}]},
        "patient": {"reference": "Patient/pat-1"},
        "occurrenceDateTime": "2026-03-02T08:30:00+07:00",
        "primarySource": True,
        "lotNumber": "HB-2026-01",
    }
    for key, value in changes.items():
        if value is None:
            resource.pop(key, None)
        else:
            resource[key] = value
    return resource


def patient(id: str | None = None, **changes: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [{"system": "https://fhir.vn/sid/cccd", "value": "079226000123"}],
        "name": [{"family": "Nguyễn", "given": ["Thị", "Thảo"]}],
        "gender": "female",
        "birthDate": "2026-01-15",
    }
    if id:
        resource["id"] = id
    resource.update(changes)
    return resource
