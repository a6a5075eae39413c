"""Type-level search as far as the foundation wires it: criteria, paging links, strict handling."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.api.conftest import FHIR_JSON, patient

JSON = {"Content-Type": FHIR_JSON}


def _load(client: TestClient) -> None:
    client.put("/fhir/Patient/a", json=patient("a"), headers=JSON)
    client.put(
        "/fhir/Patient/b",
        json=patient("b", name=[{"family": "Đặng", "given": ["Văn", "Hùng"]}], gender="male"),
        headers=JSON,
    )


def test_accent_insensitive_name_search(client: TestClient) -> None:
    _load(client)
    bundle = client.get("/fhir/Patient", params={"name": "dang"}).json()
    assert bundle["type"] == "searchset"
    assert [e["resource"]["id"] for e in bundle["entry"]] == ["b"]
    assert client.get("/fhir/Patient", params={"name": "uyen", "_total": "accurate"}).json()["total"] == 0


def test_paging_links_cover_everything(client: TestClient) -> None:
    for i in range(5):
        client.put(f"/fhir/Patient/p{i}", json=patient(f"p{i}"), headers=JSON)
    first = client.get("/fhir/Patient", params={"_count": "2", "_total": "accurate"}).json()
    assert first["total"] == 5
    relations = {link["relation"]: link["url"] for link in first["link"]}
    assert "_cursor=" in relations["next"] and "_offset" not in relations["next"]  # keyset without _sort
    sorted_first = client.get("/fhir/Patient", params={"_count": "2", "_sort": "_id"}).json()
    assert "_cursor=k" in {link["relation"]: link["url"] for link in sorted_first["link"]}["next"]
    last = client.get("/fhir/Patient", params={"_count": "2", "_offset": "4"}).json()
    assert len(last["entry"]) == 1
    assert "next" not in {link["relation"] for link in last["link"]}


def test_unknown_parameter_lenient_is_ignored_and_left_out_of_self_link(client: TestClient) -> None:
    _load(client)
    bundle = client.get(
        "/fhir/Patient", params={"colour": "blue", "gender": "male", "_total": "accurate"}
    ).json()
    assert bundle["total"] == 1
    self_link = next(link["url"] for link in bundle["link"] if link["relation"] == "self")
    assert "colour" not in self_link
    assert "gender=male" in self_link


def test_unknown_parameter_strict_is_400(client: TestClient) -> None:
    response = client.get("/fhir/Patient", params={"colour": "blue"}, headers={"Prefer": "handling=strict"})
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["colour"]


def test_phonetic_searches_the_rows_name_stored(client: TestClient) -> None:
    _load(client)
    bundle = client.get("/fhir/Patient", params={"phonetic": "hung"}).json()
    assert [e["resource"]["id"] for e in bundle["entry"]] == ["b"]


def test_uri_below_and_above(client: TestClient) -> None:
    # Questionnaire, not ValueSet: ValueSets are the server's read-only national artifacts (issue 8).
    for id, url in (
        ("q-a", "https://fhir.vn/Questionnaire/vaccines"),
        ("q-b", "https://example.org/Questionnaire/x"),
    ):
        body = {"resourceType": "Questionnaire", "id": id, "status": "active", "url": url}
        assert client.put(f"/fhir/Questionnaire/{id}", json=body).status_code == 201

    def ids(query: str) -> list[str]:
        bundle = client.get(f"/fhir/Questionnaire?{query}").json()
        return sorted(e["resource"]["id"] for e in bundle.get("entry", []))

    assert ids("url:below=https://fhir.vn/") == ["q-a"]
    assert ids("url:above=https://fhir.vn/Questionnaire/vaccines/v2") == ["q-a"]
    assert ids("url=https://fhir.vn/") == []
