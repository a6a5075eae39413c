"""`:in` / `:not-in` with the national commune ValueSet (3,321 codes, far more than one OR term per code
could take) on every backend: alone, ANDed with other parameters, inside a chain, and paged by cursor.

Profiles are not enforced in the tests (tests/conftest.py): the national Patient profile would refuse a
commune outside the 3,321, and these tests need such records (codes retired by the reform, another
system's code) to show what `:not-in` finds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.api.test_search_in import BACKENDS, FHIR, served
from tests.contract.test_contract_national_params import address

COMMUNES = "https://fhir.vn/ValueSet/vn-commune"
COMMUNE = "https://fhir.vn/CodeSystem/vn-commune"
CVX = "http://hl7.org/fhir/sid/cvx"


PATIENTS: dict[str, tuple[str, list[dict[str, Any]]]] = {  # id: (gender, addresses)
    "p-saigon": ("female", [address("26740", "79")]),  # Phường Sài Gòn
    "p-hanoi": ("male", [address("00004", "01")]),  # Phường Ba Đình
    "p-retired": ("female", [address("99999", "79")]),  # not one of the 3,321
    "p-foreign": ("male", [address("26740", system="http://example.org/communes")]),  # another system
    "p-moved": ("female", [address("99999", "79"), address("00004", "01")]),  # one address is enough
    "p-text": ("male", [{"text": "Phường Sài Gòn"}]),
    "p-none": ("female", []),
}
LOCATIONS = {"l-saigon": address("26740", "79"), "l-retired": address("99999"), "l-none": None}
DOSES = {"i-saigon": ("p-saigon", "08"), "i-hanoi": ("p-hanoi", "20"), "i-retired": ("p-retired", "08")}
DOSES |= {"i-none": ("p-none", "08")}


@pytest.fixture(params=BACKENDS, scope="module")  # the searches only read: one server per backend
def client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with served(request.param, tmp_path_factory.mktemp("communes")) as test_client:
        for pid, (gender, addresses) in PATIENTS.items():
            body: dict[str, Any] = {"resourceType": "Patient", "id": pid, "gender": gender}
            body |= {"birthDate": "2025-09-01", **({"address": addresses} if addresses else {})}
            put(test_client, body)
        for lid, where in LOCATIONS.items():
            put(test_client, {"resourceType": "Location", "id": lid, **({"address": where} if where else {})})
        for iid, (pid, cvx) in DOSES.items():
            dose = {
                "resourceType": "Immunization",
                "id": iid,
                "status": "completed",
                "vaccineCode": {"coding": [{"system": CVX, "code": cvx}]},
                "patient": {"reference": f"Patient/{pid}"},
                "occurrenceDateTime": "2026-01-05",
            }
            put(test_client, dose)
        yield test_client


def put(client: TestClient, body: dict[str, Any]) -> None:
    response = client.put(f"/fhir/{body['resourceType']}/{body['id']}", json=body, headers=FHIR)
    assert response.status_code == 201, response.text


def search(client: TestClient, query: str) -> list[str]:
    """Every match in the server's order, following next links (pages of 2), checked against
    `_total=accurate`."""
    response = client.get(f"/fhir/{query}&_count=2&_total=accurate", headers={"Prefer": "handling=strict"})
    found: list[str] = []
    total = None
    while True:
        assert response.status_code == 200, response.text
        bundle = response.json()
        total = bundle.get("total", total)
        found += [e["resource"]["id"] for e in bundle.get("entry", ())]
        link = next((x["url"] for x in bundle.get("link", ()) if x["relation"] == "next"), None)
        if link is None:
            break
        response = client.get(link, headers={"Prefer": "handling=strict"})
    assert total == len(found) == len(set(found)), (total, found)
    return found


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (f"Patient?commune:in={COMMUNES}", ["p-hanoi", "p-moved", "p-saigon"]),
        (f"Patient?commune:not-in={COMMUNES}", ["p-foreign", "p-none", "p-retired", "p-text"]),
        (f"Patient?commune:in={COMMUNES}&gender=female", ["p-moved", "p-saigon"]),
        (f"Patient?commune:not-in={COMMUNES}&gender=male", ["p-foreign", "p-text"]),
        (f"Patient?commune:in={COMMUNES}&province=01", ["p-hanoi", "p-moved"]),
        (f"Patient?commune:in={COMMUNES}&commune:not-in={COMMUNES}", []),
        (f"Patient?commune:in={COMMUNES}|0.1.0&_id=p-saigon,p-text", ["p-saigon"]),
        (f"Location?commune:in={COMMUNES}", ["l-saigon"]),
        (f"Location?commune:not-in={COMMUNES}", ["l-none", "l-retired"]),
        # in a chain: the doses of the children living in (or outside) a national commune
        (f"Immunization?patient.commune:in={COMMUNES}", ["i-hanoi", "i-saigon"]),
        (f"Immunization?patient.commune:not-in={COMMUNES}", ["i-none", "i-retired"]),
        (f"Immunization?patient.commune:in={COMMUNES}&vaccine-code={CVX}|08", ["i-saigon"]),
        (f"Patient?_has:Immunization:patient:vaccine-code=20&commune:in={COMMUNES}", ["p-hanoi"]),
    ],
)
def test_the_commune_value_set(client: TestClient, query: str, expected: list[str]) -> None:
    assert sorted(search(client, query)) == expected


def test_sorted_searches_keep_the_order(client: TestClient) -> None:
    """With `_sort` the criterion is compiled in its `where` form, next to the sort keys."""
    not_in = search(client, f"Patient?commune:not-in={COMMUNES}&_sort=-_id")
    assert not_in == ["p-text", "p-retired", "p-none", "p-foreign"]
    by_gender = search(client, f"Patient?commune:in={COMMUNES}&_sort=gender,-_id")
    assert by_gender == ["p-saigon", "p-moved", "p-hanoi"]  # female first, then male
