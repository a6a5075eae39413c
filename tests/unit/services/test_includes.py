"""Includer against the in-memory store: which references are followed, the cap, spec parsing."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from fhir_server.definitions.loader import load_definitions
from fhir_server.definitions.registry import SearchParamRegistry
from fhir_server.model.outcome import FhirError
from fhir_server.search.extract import Extractor
from fhir_server.services.includes import Includer, parse_includes
from fhir_server.storage.base import StoredResource
from fhir_server.storage.memory import MemoryStore
from fhir_server.types import JsonResource

BASE = "http://example.vn/fhir"


class Clock:
    def now(self) -> datetime:
        return datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def registry() -> SearchParamRegistry:
    return load_definitions().search_params


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore(Clock())


def _put(store: MemoryStore, extractor: Extractor, resource: JsonResource) -> StoredResource:
    with store.unit_of_work() as uow:
        return uow.write(resource, extractor.extract(resource), method="PUT")


def _imm(id: str, reference: str) -> JsonResource:
    return {"resourceType": "Immunization", "id": id, "patient": {"reference": reference}}


def test_only_local_references_are_followed(store: MemoryStore, registry: SearchParamRegistry) -> None:
    extractor = Extractor(registry, ZoneInfo("Asia/Ho_Chi_Minh"))
    for id in ("a", "b", "c"):
        _put(store, extractor, {"resourceType": "Patient", "id": id})
    matches = [
        _put(store, extractor, _imm("1", "Patient/a")),
        _put(store, extractor, _imm("2", f"{BASE}/Patient/b")),
        _put(store, extractor, _imm("3", "http://elsewhere.vn/fhir/Patient/c")),
    ]
    specs, _ = parse_includes([("_include", "Immunization:patient")], registry, strict=True)
    found = Includer(store, extractor).included(matches, specs, BASE)
    assert sorted(r.id for r in found) == ["a", "b"]


def test_included_resources_are_capped(store: MemoryStore, registry: SearchParamRegistry) -> None:
    extractor = Extractor(registry, ZoneInfo("Asia/Ho_Chi_Minh"))
    patient = _put(store, extractor, {"resourceType": "Patient", "id": "a"})
    for id in ("1", "2", "3"):
        _put(store, extractor, _imm(id, "Patient/a"))
    specs, _ = parse_includes([("_revinclude", "Immunization:patient")], registry, strict=True)
    assert len(Includer(store, extractor).included([patient], specs, BASE)) == 3
    assert len(Includer(store, extractor, cap=2).included([patient], specs, BASE)) == 2


def test_parse_includes_lenient_lists_what_it_ignores(registry: SearchParamRegistry) -> None:
    params = [
        ("_include", "Immunization:patient:Patient"),
        ("_include:bogus", "Immunization:patient"),
        ("_revinclude", "Immunization:status"),  # a token parameter
        ("_summary", "count"),
    ]
    specs, ignored = parse_includes(params, registry, strict=False)
    assert [(s.kind, s.source_type, s.target_type) for s in specs] == [
        ("_include", "Immunization", "Patient")
    ]
    assert ignored == params[1:3]
    with pytest.raises(FhirError):
        parse_includes(params, registry, strict=True)


def test_parse_includes_iterate_and_recurse(registry: SearchParamRegistry) -> None:
    params = [
        ("_include:iterate", "Patient:organization"),
        ("_revinclude:recurse", "Organization:partof"),
        ("_include", "Immunization:patient"),
    ]
    specs, ignored = parse_includes(params, registry, strict=True)
    assert [(s.kind, s.source_type, s.iterate) for s in specs] == [
        ("_include", "Patient", True),
        ("_revinclude", "Organization", True),
        ("_include", "Immunization", False),
    ]
    assert ignored == []
