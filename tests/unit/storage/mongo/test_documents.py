"""`_idx` documents and the patient compartment (shard key)."""

from __future__ import annotations

from fhir_server.search.index import (
    CompositeValue,
    DateValue,
    IndexValues,
    NumberValue,
    QuantityValue,
    ReferenceValue,
    StringValue,
    TokenValue,
    UriValue,
)
from fhir_server.storage.mongo.documents import compartment, index_document, index_values

INDEX = IndexValues(
    strings=(StringValue("name", "nguyen", "Nguyễn"),),
    tokens=(TokenValue("identifier", "https://fhir.vn/sid/cccd", "0792", None),),
    dates=(DateValue("date", 1, 2),),
    references=(ReferenceValue("patient", "Patient", "p1", "Patient/p1"),),
    numbers=(NumberValue("dose", 1.0, 0.5, 1.5),),
    quantities=(QuantityValue("q", 5.0, 4.5, 5.5, "http://unitsofmeasure.org", "mg", "mg"),),
    uris=(UriValue("url", "http://x"),),
    composites=(
        CompositeValue(
            "code-value-quantity",
            (
                TokenValue("", "http://loinc.org", "8480-6", None),
                QuantityValue("", 120.0, 119.5, 120.5, "http://unitsofmeasure.org", "mm[Hg]", "mmHg"),
            ),
        ),
        CompositeValue(
            "combo",
            (
                ReferenceValue("", "Patient", "p1", "Patient/p1"),
                DateValue("", 1, 2),
                StringValue("", "a", "A"),
            ),
        ),
    ),
)


def test_index_document_round_trips_and_leaves_out_empty_kinds() -> None:
    assert index_values(index_document(INDEX)) == INDEX
    assert index_document(IndexValues()) == {}
    assert set(index_document(IndexValues(tokens=INDEX.tokens))) == {"t"}


def test_a_composite_combination_is_one_row_with_a_field_per_part() -> None:
    row = index_document(IndexValues(composites=INDEX.composites[:1]))["c"][0]
    assert row["p"] == "code-value-quantity" and row["k"] == "tq"
    assert row["k0"] == {"s": "http://loinc.org", "c": "8480-6", "d": None}
    assert row["k1"]["v"] == 120.0 and "p" not in row["k1"]
    assert len(index_document(IndexValues(composites=INDEX.composites * 2))["c"]) == 2  # stored once each


def test_duplicate_rows_are_stored_once() -> None:
    twice = IndexValues(tokens=INDEX.tokens * 2)
    assert len(index_document(twice)["t"]) == 1


def test_compartment_is_the_patient_or_the_patient_referred_to() -> None:
    assert compartment("Patient", "p9", IndexValues()) == "p9"
    assert compartment("Immunization", "i1", INDEX) == "p1"
    group = IndexValues(references=(ReferenceValue("patient", "Group", "g1", "Group/g1"),))
    assert compartment("Immunization", "i1", group) is None
    assert compartment("Location", "l1", IndexValues()) is None
