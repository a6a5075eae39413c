"""`:of-type` on identifiers: the derived token rows (search.convert), the query value
(search.query_values) and the parsed criterion (search.parse), matched by the oracle (search.matcher)."""

from __future__ import annotations

import pytest

from fhir_server.definitions.registry import SearchParamRegistry
from fhir_server.model.outcome import FhirError
from fhir_server.search.extract import Extractor
from fhir_server.search.index import TokenValue, of_type_param
from fhir_server.search.matcher import matches
from fhir_server.search.parse import parse_search
from fhir_server.search.query_values import of_type_query
from fhir_server.search.request import Criterion, TokenQuery
from tests.unit.search.conftest import VN

V2 = "http://terminology.hl7.org/CodeSystem/v2-0203"
PATIENT = {
    "resourceType": "Patient",
    "id": "p1",
    "identifier": [
        {
            "type": {"coding": [{"system": V2, "code": "MR"}, {"code": "LOCAL"}], "text": "Medical record"},
            "system": "urn:oid:1.2.36.146.595.217.0.1",
            "value": "12345",
        },
        {"type": {"text": "no coding"}, "value": "777"},
        {"type": {"coding": [{"system": V2, "code": "PPN"}]}},  # no value: nothing to search
    ],
}


def test_identifier_type_codings_give_derived_token_rows(extractor: Extractor) -> None:
    index = extractor.extract(PATIENT)
    derived = {row for row in index.tokens if row.param == of_type_param("identifier")}
    assert derived == {
        TokenValue("identifier:of-type", V2, "MR|12345"),
        TokenValue("identifier:of-type", None, "LOCAL|12345"),
    }
    # the identifier rows themselves are unchanged
    assert (
        TokenValue("identifier", "urn:oid:1.2.36.146.595.217.0.1", "12345", "medical record") in index.tokens
    )


@pytest.mark.parametrize(
    ("raw", "query"),
    [
        (f"{V2}|MR|12345", TokenQuery(V2, "MR|12345")),
        ("|LOCAL|12345", TokenQuery("", "LOCAL|12345")),
        (r"urn:x|MR|a\|b", TokenQuery("urn:x", "MR|a|b")),
    ],
)
def test_of_type_query(raw: str, query: TokenQuery) -> None:
    assert of_type_query("identifier:of-type", raw) == query


@pytest.mark.parametrize("raw", ["MR|12345", f"{V2}|MR|", f"{V2}||12345", "a|b|c|d", "12345"])
def test_malformed_of_type_is_invalid(raw: str) -> None:
    with pytest.raises(FhirError) as caught:
        of_type_query("identifier:of-type", raw)
    assert caught.value.status == 400 and caught.value.issues[0].code == "invalid"


def test_parsed_and_matched(registry: SearchParamRegistry, extractor: Extractor) -> None:
    index = extractor.extract(PATIENT)
    found = []
    for raw in (f"{V2}|MR|12345", f"{V2}|MR|999,|LOCAL|12345", f"{V2}|PPN|12345", f"{V2}|MR|1234"):
        parsed = parse_search("Patient", [("identifier:of-type", raw)], registry, strict=True, default_tz=VN)
        (criterion,) = parsed.request.criteria
        assert criterion == Criterion("identifier:of-type", "token", None, criterion.values)
        found.append(matches(parsed.request, "p1", 0, index))
    assert found == [True, True, False, False]
