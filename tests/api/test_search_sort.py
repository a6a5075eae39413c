"""`_sort` through the API: several keys, descending, and kept in the self link."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from starlette.testclient import TestClient

from tests.api.conftest import FHIR_JSON, patient

JSON = {"Content-Type": FHIR_JSON}


def test_sort_by_birthdate_descending_then_family(client: TestClient) -> None:
    people = {
        "a": ("Trần", "1990-05-01"),
        "b": ("Đặng", "1990-05-01"),
        "c": ("Lê", "2001"),
        "d": ("Nguyễn", None),
        "e": ("Bùi", "1985-12-31"),
    }
    for id, (family, birth) in people.items():
        resource = patient(id, name=[{"family": family, "given": ["Thảo"]}], birthDate=birth)
        if birth is None:
            del resource["birthDate"]
        assert client.put(f"/fhir/Patient/{id}", json=resource, headers=JSON).status_code in (200, 201)
    bundle = client.get("/fhir/Patient", params={"_sort": "-birthdate,family", "_count": "3"}).json()
    assert [e["resource"]["id"] for e in bundle["entry"]] == ["c", "b", "a"]
    links = {link["relation"]: link["url"] for link in bundle["link"]}
    assert ("_sort", "-birthdate,family") in parse_qsl(urlsplit(links["self"]).query)
    following = client.get(links["next"]).json()
    assert [e["resource"]["id"] for e in following["entry"]] == ["e", "d"]
