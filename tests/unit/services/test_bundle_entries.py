"""The Bundle envelope and entry requests, before anything runs."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from fhir_server.model.outcome import FhirError
from fhir_server.services.bundle_entries import Entry, entry_error, parse_bundle

BASE = "http://x.vn/fhir"
TYPES = frozenset({"Patient", "Immunization", "Binary"})


def parse(*entries: Any, kind: str = "transaction", max_entries: int = 10) -> list[Entry | FhirError]:
    body = {"resourceType": "Bundle", "type": kind, "entry": list(entries)}
    return parse_bundle(body, base_url=BASE, resource_types=TYPES, max_entries=max_entries).entries


def request(method: str, url: str, **extra: Any) -> dict[str, Any]:
    return {"request": {"method": method, "url": url, **extra}}


def test_urls_relative_and_absolute_to_the_base() -> None:
    (search, read, vread, absolute, conditional) = parse(
        request("GET", "Patient?name=thao&_count=5"),
        request("GET", "Patient/p1"),
        request("GET", "Patient/p1/_history/3"),
        request("GET", f"{BASE}/Patient/p2"),
        request("DELETE", "Patient?identifier=https://fhir.vn/sid/cccd|079"),
    )
    assert isinstance(search, Entry) and search.query == (("name", "thao"), ("_count", "5"))
    assert isinstance(read, Entry) and (read.id, read.version) == ("p1", None)
    assert isinstance(vread, Entry) and vread.version == 3
    assert isinstance(absolute, Entry) and absolute.id == "p2"
    assert isinstance(conditional, Entry) and conditional.conditional


@pytest.mark.parametrize(
    ("entry", "expression"),
    [
        ("not an object", "Bundle.entry[0]"),
        ({}, "Bundle.entry[0].request"),
        (request("FETCH", "Patient"), "Bundle.entry[0].request.method"),
        (request("GET", ""), "Bundle.entry[0].request.url"),
        (request("GET", "http://elsewhere.org/fhir/Patient/1"), "Bundle.entry[0].request.url"),
        (request("POST", "Patient/p1"), "Bundle.entry[0].request.url"),  # POST names no id
        (request("PUT", "Patient"), "Bundle.entry[0].request.url"),  # neither id nor criteria
        (request("PATCH", "Patient?name=x"), "Bundle.entry[0].request.url"),
        (request("DELETE", "Patient/p1/_history/2"), "Bundle.entry[0].request.url"),
        (request("GET", "Patient/p1/$everything"), "Bundle.entry[0].request.url"),
        (request("GET", "Patient/bad id"), "Bundle.entry[0].request.url"),
        (request("GET", "Patient/p1", ifMatch="3x"), "Bundle.entry[0].request.ifMatch"),
        (
            request("POST", "Patient", ifNoneExist="") | {"resource": {"resourceType": "Patient"}},
            "Bundle.entry[0].request.ifNoneExist",
        ),
        (request("POST", "Patient"), "Bundle.entry[0].resource"),
        (request("PATCH", "Patient/p1"), "Bundle.entry[0].resource"),
    ],
)
def test_malformed_entries_carry_their_error(entry: Any, expression: str) -> None:
    (error,) = parse(entry)
    assert isinstance(error, FhirError)
    assert error.issues[0].expression == (expression,)
    assert error.status == 400


def test_put_resource_id_must_match_the_url() -> None:
    (error,) = parse(request("PUT", "Patient/p1") | {"resource": {"resourceType": "Patient", "id": "p2"}})
    assert isinstance(error, FhirError)
    assert error.issues[0].expression == ("Bundle.entry[0].resource.id",)


def test_unknown_type_is_404() -> None:
    (error,) = parse(request("GET", "Unicorn/1"))
    assert isinstance(error, FhirError) and error.status == 404


def test_if_match_and_patch_binary() -> None:
    operations = [{"op": "remove", "path": "/gender"}]
    binary = {
        "resourceType": "Binary",
        "contentType": "application/json-patch+json",
        "data": base64.b64encode(json.dumps(operations).encode()).decode(),
    }
    (entry,) = parse(request("PATCH", "Patient/p1", ifMatch='W/"4"') | {"resource": binary})
    assert isinstance(entry, Entry)
    assert (entry.if_match, entry.patch) == (4, operations)


def test_envelope_errors() -> None:
    def status(body: Any) -> int:
        with pytest.raises(FhirError) as caught:
            parse_bundle(body, base_url=BASE, resource_types=TYPES, max_entries=2)
        return caught.value.status

    assert status({"resourceType": "Patient"}) == 400
    assert status({"resourceType": "Bundle", "type": "searchset"}) == 400
    assert status({"resourceType": "Bundle", "type": "batch", "entry": {}}) == 400
    assert status({"resourceType": "Bundle", "type": "batch", "entry": [{}, {}, {}]}) == 413


def test_entry_error_moves_expressions_under_the_entry() -> None:
    error = FhirError.of(422, "code-invalid", "bad status", "sai trạng thái", "Immunization.status")
    moved = entry_error(error, "Bundle.entry[2]", "Immunization")
    assert moved.issues[0].expression == ("Bundle.entry[2].resource.status",)
    assert moved.issues[0].en.startswith("Bundle.entry[2]: ")
    bare = entry_error(FhirError.of(412, "conflict", "stale"), "Bundle.entry[0]", "Patient")
    assert bare.issues[0].expression == ("Bundle.entry[0]",)
