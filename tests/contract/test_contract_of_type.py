"""`identifier:of-type`: token rows under the derived code `identifier:of-type`, on every backend."""

from __future__ import annotations

import pytest

from fhir_server.search.index import IndexValues, TokenValue, of_type_param
from fhir_server.search.request import Criterion, SearchRequest, TokenQuery
from fhir_server.storage.base import Store
from tests.contract.conftest import patient, put

V2 = "http://terminology.hl7.org/CodeSystem/v2-0203"
OF_TYPE = of_type_param("identifier")


@pytest.fixture
def seeded(store: Store) -> Store:
    rows = {
        "mr": (TokenValue(OF_TYPE, V2, "MR|12345"), TokenValue("identifier", "urn:h", "12345")),
        "pp": (TokenValue(OF_TYPE, V2, "PPN|12345"), TokenValue("identifier", "urn:p", "12345")),
        "other-system": (TokenValue(OF_TYPE, "urn:local", "MR|12345"),),
        "no-system": (TokenValue(OF_TYPE, None, "MR|12345"),),
        "untyped": (TokenValue("identifier", "urn:h", "12345"),),
    }
    for id, tokens in rows.items():
        put(store, patient(id), IndexValues(tokens=tokens))
    return store


def ids(store: Store, *values: TokenQuery) -> list[str]:
    request = SearchRequest("Patient", (Criterion(OF_TYPE, "token", None, values),), count=100)
    page = store.search(request, with_total=True)
    assert page.total == len(page.resources)
    return sorted(r.id for r in page.resources)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ((TokenQuery(V2, "MR|12345"),), ["mr"]),
        ((TokenQuery(V2, "PPN|12345"),), ["pp"]),
        ((TokenQuery(V2, "MR|12345"), TokenQuery(V2, "PPN|12345")), ["mr", "pp"]),
        ((TokenQuery("", "MR|12345"),), ["no-system"]),
        ((TokenQuery(V2, "MR|999"),), []),
        ((TokenQuery(V2, "MR|1234"),), []),  # the value is matched exactly, not as a prefix
    ],
)
def test_of_type(seeded: Store, values: tuple[TokenQuery, ...], expected: list[str]) -> None:
    assert ids(seeded, *values) == expected
