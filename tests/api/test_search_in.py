"""`:in` / `:not-in` against the national ValueSets, on every backend (memory is the oracle; MongoDB is
mongomock unless FHIR_TEST_MONGODB_URL is set). The 3,321 communes: test_search_in_communes.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from fhir_server.app import SystemClock, build_services, create_app
from fhir_server.settings import Settings
from tests.contract.mongo_backend import drop, open_mongo

FHIR = {"content-type": "application/fhir+json"}
CVX = "http://hl7.org/fhir/sid/cvx"
VN = "https://fhir.vn/CodeSystem/vn-vaccine"
VACCINES = "https://fhir.vn/ValueSet/vn-vaccine"
FUNDING = "https://fhir.vn/ValueSet/vn-funding-source"
DOSES = {  # id: (vaccine codings, funding code or None)
    "bcg": ([(VN, "VN-BCG")], "EPI"),
    "hepb-cvx": ([(CVX, "08")], "service"),
    "unknown-cvx": ([(CVX, "999")], None),
    "other-system": ([("http://example.org/vaccines", "VN-BCG")], "other"),
    "both": ([(CVX, "999"), (VN, "VN-JEVAX")], "campaign"),
}


BACKENDS = ["memory", "sqlite", "mongodb"]


@contextmanager
def served(backend: str, directory: Path) -> Iterator[TestClient]:
    """A server with an empty store of `backend` (settings otherwise from the test environment)."""
    url = "memory://" if backend == "memory" else f"sqlite:///{directory / 'in.sqlite3'}"
    settings = Settings(database_url=url)
    store = open_mongo(SystemClock()) if backend == "mongodb" else None
    services = build_services(settings, store=store) if store is not None else None
    try:
        with TestClient(create_app(settings, services), base_url="http://testserver") as test_client:
            yield test_client
    finally:
        if store is not None:
            drop(store)


@pytest.fixture(params=BACKENDS)
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    with served(request.param, tmp_path) as test_client:
        for rid, (codings, funding) in DOSES.items():
            body = {
                "resourceType": "Immunization",
                "id": rid,
                "status": "completed",
                "vaccineCode": {"coding": [{"system": s, "code": c} for s, c in codings]},
                "patient": {"reference": "Patient/p"},
                "occurrenceDateTime": "2026-01-05",
                "primarySource": False,
            }
            if funding:
                system = (
                    "http://example.org/f"
                    if funding == "other"
                    else "https://fhir.vn/CodeSystem/vn-funding-source"
                )
                body["fundingSource"] = {"coding": [{"system": system, "code": funding}]}
            assert test_client.put(f"/fhir/Immunization/{rid}", json=body, headers=FHIR).status_code == 201
        yield test_client


def ids(client: TestClient, query: str) -> list[str]:
    response = client.get(f"/fhir/Immunization?{query}", headers={"Prefer": "handling=strict"})
    assert response.status_code == 200, response.text
    return sorted(e["resource"]["id"] for e in response.json().get("entry", ()))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (f"vaccine-code:in={VACCINES}", ["bcg", "both", "hepb-cvx"]),
        (f"vaccine-code:not-in={VACCINES}", ["other-system", "unknown-cvx"]),
        ("vaccine-code:in=https://fhir.vn/ValueSet/vn-aefi-reaction", []),
        ("vaccine-code:not-in=https://fhir.vn/ValueSet/vn-aefi-reaction", sorted(DOSES)),
        # AND with another criterion
        (f"vaccine-code:in={VACCINES}&vaccine-code={CVX}|", ["both", "hepb-cvx"]),
    ],
)
def test_in_and_not_in(client: TestClient, query: str, expected: list[str]) -> None:
    assert ids(client, query) == expected


def test_unknown_value_sets_are_refused(client: TestClient) -> None:
    response = client.get("/fhir/Immunization?vaccine-code:in=https://fhir.vn/ValueSet/none")
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["vaccine-code:in"]
