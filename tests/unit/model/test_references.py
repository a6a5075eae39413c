"""Reference strings: which forms are well-formed, and what type they name."""

from __future__ import annotations

import pytest

from fhir_server.model.references import ParsedReference, parse_reference

TYPES = frozenset({"Patient", "Practitioner", "Immunization"})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Patient/123", ParsedReference("relative", "Patient", "123")),
        ("Patient/a.b-c/_history/7", ParsedReference("relative", "Patient", "a.b-c")),
        ("http://x.vn/fhir/Practitioner/9", ParsedReference("absolute", "Practitioner", "9")),
        ("https://example.org/some/document.pdf", ParsedReference("absolute", None, None)),
        ("urn:uuid:9d2f2c4e-7b1a-4c1e-9a59-3f0c2a1d8e77", ParsedReference("urn", None, None)),
        ("urn:oid:1.2.840.10008", ParsedReference("urn", None, None)),
        ("#p1", ParsedReference("local", None, "p1")),
        ("#", ParsedReference("local", None, "")),
        ("Patient?identifier=a|b", ParsedReference("conditional", "Patient", None)),
    ],
)
def test_well_formed(value: str, expected: ParsedReference) -> None:
    assert parse_reference(value, TYPES) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "Patient",
        "Patient/",
        "Patient/has space",
        "Patient/" + "x" * 65,
        "patient/1",
        "Unicorn/1",
        "Unicorn?x=1",
        "#bad id",
        "urn:uuid:123",
        "urn:oid:abc",
        "http://exa mple.org/Patient/1",
    ],
)
def test_malformed(value: str) -> None:
    assert parse_reference(value, TYPES) is None
