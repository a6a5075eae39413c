"""The national SearchParameters (conformance/search-parameters/) on every backend: real extraction of the
coded address extensions and of `fundingSource`, then the same ids from memory (the oracle), SQLite and
MongoDB, including `:missing`, `:not`, chains through them and `_has`."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from fhir_server.definitions.registry import Definitions
from fhir_server.search.extract import Extractor
from fhir_server.search.matcher import matching_ids
from fhir_server.search.parse import parse_search
from fhir_server.storage.base import Store
from fhir_server.types import JsonResource
from tests.unit.search.conftest import VN

COMMUNE = "https://fhir.vn/CodeSystem/vn-commune"
FUNDING = "https://fhir.vn/CodeSystem/vn-funding-source"


def address(
    commune: str | None, province: str | None = None, use: str = "home", system: str = COMMUNE
) -> dict[str, Any]:
    """A home address coding its commune (in `system`) and province with the national extensions."""
    extension = []
    if province:
        extension.append(
            {
                "url": "https://fhir.vn/StructureDefinition/vn-province",
                "valueCoding": {"system": "https://fhir.vn/CodeSystem/vn-province", "code": province},
            }
        )
    if commune:
        extension.append(
            {
                "url": "https://fhir.vn/StructureDefinition/vn-commune",
                "valueCoding": {"system": system, "code": commune},
            }
        )
    return {"use": use, "text": "Số 1", **({"extension": extension} if extension else {})}


def patient(id: str, *addresses: dict[str, Any]) -> JsonResource:
    return {"resourceType": "Patient", "id": id, **({"address": list(addresses)} if addresses else {})}


def dose(id: str, patient_id: str, location: str | None, funding: str | None) -> JsonResource:
    return {
        "resourceType": "Immunization",
        "id": id,
        "status": "completed",
        "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "08"}]},
        "patient": {"reference": f"Patient/{patient_id}"},
        "occurrenceDateTime": "2025-03-15",
        **({"location": {"reference": f"Location/{location}"}} if location else {}),
        **({"fundingSource": {"coding": [{"system": FUNDING, "code": funding}]}} if funding else {}),
    }


WORLD: list[JsonResource] = [
    patient("p-saigon", address("26740", "79")),
    patient("p-hanoi", address("00004", "01")),
    patient("p-moved", address("00004", "01", use="old"), address("26740", "79")),  # every address counts
    patient("p-text", {"text": "Phường Sài Gòn", "state": "Thành phố Hồ Chí Minh"}),  # not coded
    patient("p-none"),
    patient("p-commune-only", address("26740", None)),
    {"resourceType": "Location", "id": "l-saigon", "address": address("26740", "79", use="work")},
    {"resourceType": "Location", "id": "l-hanoi", "address": address("00004", "01", use="work")},
    {"resourceType": "Organization", "id": "o-saigon", "address": [address("26740", "79", use="work")]},
    dose("i1", "p-saigon", "l-hanoi", "EPI"),
    dose("i2", "p-hanoi", "l-saigon", "service"),
    dose("i3", "p-saigon", None, None),  # transcribed from a card: no funding source
    dose("i4", "p-text", "l-saigon", "campaign"),
]

TABLE: list[tuple[str, str, list[str]]] = [
    ("Patient", "commune=26740", ["p-commune-only", "p-moved", "p-saigon"]),
    ("Patient", f"commune={COMMUNE}|26740", ["p-commune-only", "p-moved", "p-saigon"]),
    ("Patient", "commune=http://example.org|26740", []),
    ("Patient", "commune=00004", ["p-hanoi", "p-moved"]),
    ("Patient", "commune=26740,00004", ["p-commune-only", "p-hanoi", "p-moved", "p-saigon"]),
    ("Patient", "commune=26740&commune=00004", ["p-moved"]),
    ("Patient", "commune:missing=true", ["p-none", "p-text"]),
    ("Patient", "commune:missing=false", ["p-commune-only", "p-hanoi", "p-moved", "p-saigon"]),
    ("Patient", "commune:not=26740", ["p-hanoi", "p-none", "p-text"]),
    ("Patient", "province=79", ["p-moved", "p-saigon"]),
    ("Patient", "province=01&commune=26740", ["p-moved"]),
    ("Patient", "province:missing=true", ["p-commune-only", "p-none", "p-text"]),
    ("Patient", "province:not=79", ["p-commune-only", "p-hanoi", "p-none", "p-text"]),
    ("Location", "commune=26740", ["l-saigon"]),
    ("Location", "province=01", ["l-hanoi"]),
    ("Organization", "province=79", ["o-saigon"]),
    ("Organization", "commune:missing=true", []),
    ("Immunization", "funding-source=EPI", ["i1"]),
    ("Immunization", f"funding-source={FUNDING}|service", ["i2"]),
    ("Immunization", "funding-source=EPI,campaign", ["i1", "i4"]),
    ("Immunization", "funding-source:missing=true", ["i3"]),
    ("Immunization", "funding-source:not=EPI", ["i2", "i3", "i4"]),
    # chains through the national parameters: doses of the children living in a commune, given at a point
    ("Immunization", "patient.commune=26740", ["i1", "i3"]),
    ("Immunization", "patient:Patient.province=01", ["i2"]),
    ("Immunization", "location.commune=26740", ["i2", "i4"]),
    ("Immunization", "patient.commune=26740&funding-source=EPI", ["i1"]),
    ("Immunization", "location.province=79&funding-source:not=campaign", ["i2"]),
    ("Patient", "_has:Immunization:patient:funding-source=service", ["p-hanoi"]),
]


def search_ids(store: Store, definitions: Definitions, resource_type: str, query: str) -> list[str]:
    params = [(name, value) for name, _, value in (part.partition("=") for part in query.split("&"))]
    request = parse_search(
        resource_type, params, definitions.search_params, strict=True, default_tz=VN
    ).request
    page = store.search(replace(request, count=100), with_total=True)
    found = sorted(r.id for r in page.resources)
    assert page.total == len(found)
    return found


def test_every_backend_finds_what_the_table_says(store: Store, definitions: Definitions) -> None:
    extractor = Extractor(definitions.search_params, VN)
    with store.unit_of_work() as uow:
        for resource in WORLD:
            uow.write(resource, extractor.extract(resource), method="PUT")
    for resource_type, query, expected in TABLE:
        assert search_ids(store, definitions, resource_type, query) == expected, (resource_type, query)


def one_type(query: str) -> bool:
    """No chain and no `_has`: the matcher can answer it from one type's resources."""
    return not any("." in part.partition("=")[0] or part.startswith("_has") for part in query.split("&"))


@pytest.mark.parametrize(("resource_type", "query", "expected"), [row for row in TABLE if one_type(row[1])])
def test_the_in_memory_matcher_agrees(
    definitions: Definitions, resource_type: str, query: str, expected: list[str]
) -> None:
    """The matcher (the oracle of the search tables) on one type; chains and `_has` need the store."""
    params = [(name, value) for name, _, value in (part.partition("=") for part in query.split("&"))]
    request = parse_search(
        resource_type, params, definitions.search_params, strict=True, default_tz=VN
    ).request
    extractor = Extractor(definitions.search_params, VN)
    candidates = [(r["id"], 0, extractor.extract(r)) for r in WORLD if r["resourceType"] == resource_type]
    assert sorted(matching_ids(request, candidates)) == expected
