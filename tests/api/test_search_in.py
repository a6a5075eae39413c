"""`:in` / `:not-in` against the national ValueSets, on both backends (memory is the oracle)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from fhir_server.app import create_app
from fhir_server.settings import Settings

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


@pytest.fixture(params=["memory", "sqlite"])
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'in.sqlite3'}"
    with TestClient(create_app(Settings(database_url=url)), base_url="http://testserver") as test_client:
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


def test_unknown_or_too_large_value_sets_are_refused(client: TestClient) -> None:
    response = client.get("/fhir/Immunization?vaccine-code:in=https://fhir.vn/ValueSet/none")
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["vaccine-code:in"]
    # the 3,321 communes: more arms than one SQL union takes, refused as too costly (never a 500)
    too_many = client.get("/fhir/Immunization?vaccine-code:not-in=https://fhir.vn/ValueSet/vn-commune")
    assert too_many.status_code == 400, too_many.text
    assert too_many.json()["issue"][0]["code"] == "too-costly"
    assert too_many.json()["issue"][0]["expression"] == ["vaccine-code:not-in"]
