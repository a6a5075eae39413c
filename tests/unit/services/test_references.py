"""Where references sit in a resource, and how pending ones are resolved."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest

from fhir_server.definitions.loader import load_definitions
from fhir_server.model.outcome import FhirError
from fhir_server.search.extract import Extractor
from fhir_server.services.conditions import Conditions
from fhir_server.services.references import ReferenceResolver, reference_sites
from fhir_server.storage.memory import MemoryStore

URN = "urn:uuid:9c1c3a6e-1f55-4b8a-9d9e-3f7e2a0c1b11"


class _Clock:
    def now(self) -> Any:
        from datetime import UTC, datetime

        return datetime(2026, 11, 27, tzinfo=UTC)


def test_sites_include_nested_and_contained_references_but_not_narrative() -> None:
    resource = {
        "resourceType": "Immunization",
        "text": {"status": "generated", "div": "<div>x</div>", "reference": "ignored"},
        "patient": {"reference": "Patient/1"},
        "performer": [{"actor": {"reference": "Organization/o"}}],
        "contained": [{"resourceType": "Location", "id": "l", "partOf": {"reference": "Location/p"}}],
        "note": [{"text": "Nguyễn"}],
    }
    paths = sorted(path for _, path in reference_sites(resource))
    assert paths == [
        "Immunization.contained[0].partOf",
        "Immunization.patient",
        "Immunization.performer[0].actor",
    ]


@pytest.fixture(scope="module")
def resolver_and_store() -> tuple[ReferenceResolver, MemoryStore, Extractor]:
    definitions = load_definitions()
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    conditions = Conditions(definitions.search_params, tz)
    store = MemoryStore(_Clock())
    extractor = Extractor(definitions.search_params, tz)
    with store.unit_of_work() as uow:
        for id, value in (("a", "079226000001"), ("b", "079226000002"), ("c", "079226000002")):
            patient = {
                "resourceType": "Patient",
                "id": id,
                "identifier": [{"system": "https://fhir.vn/sid/cccd", "value": value}],
            }
            uow.write(patient, extractor.extract(patient), method="PUT")
    return ReferenceResolver(conditions, definitions.resource_types), store, extractor


def immunization(reference: str) -> dict[str, Any]:
    return {"resourceType": "Immunization", "patient": {"reference": reference}}


def test_plain_references_need_nothing(resolver_and_store: Any) -> None:
    resolver, store, _ = resolver_and_store
    with store.unit_of_work() as uow:
        assert resolver.resolve(immunization("Patient/a"), uow, {}, in_transaction=False) is None


def test_local_and_conditional_references_resolve_on_a_copy(resolver_and_store: Any) -> None:
    resolver, store, _ = resolver_and_store
    original = immunization("Patient?identifier=https://fhir.vn/sid/cccd|079226000001")
    with store.unit_of_work() as uow:
        resolved = resolver.resolve(original, uow, {}, in_transaction=False)
        local = resolver.resolve(immunization(URN), uow, {URN: "Patient/new"}, in_transaction=True)
    assert resolved is not None and resolved["patient"]["reference"] == "Patient/a"
    assert original["patient"]["reference"].startswith("Patient?")  # the caller's dict is untouched
    assert local is not None and local["patient"]["reference"] == "Patient/new"


@pytest.mark.parametrize(
    ("reference", "in_transaction", "status"),
    [
        ("Patient?identifier=https://fhir.vn/sid/cccd|000", False, 412),  # no match
        ("Patient?identifier=https://fhir.vn/sid/cccd|079226000002", True, 412),  # two matches
        (URN, True, 400),  # names no entry
        (URN, False, 400),  # outside a transaction
    ],
)
def test_unresolvable_references_fail(
    resolver_and_store: Any, reference: str, in_transaction: bool, status: int
) -> None:
    resolver, store, _ = resolver_and_store
    with pytest.raises(FhirError) as caught, store.unit_of_work() as uow:
        resolver.resolve(immunization(reference), uow, {}, in_transaction=in_transaction)
    assert caught.value.status == status
    assert caught.value.issues[0].expression == ("Immunization.patient.reference",)
