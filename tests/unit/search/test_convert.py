"""Value helpers shared by extraction and parsing."""

from __future__ import annotations

import pytest

from fhir_server.search.convert import UnrepresentableNumber, number_range, split_reference

TYPES = frozenset({"Patient", "Organization", "ValueSet"})


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("100", (100.0, 99.5, 100.5)),
        ("1.5", (1.5, 1.45, 1.55)),
        ("1.50", (1.5, 1.495, 1.505)),
        ("-2", (-2.0, -2.5, -1.5)),
        ("1e2", (100.0, 50.0, 150.0)),
        ("0.02", (0.02, 0.015, 0.025)),
    ],
)
def test_number_range_uses_the_implicit_precision(literal: str, expected: tuple[float, float, float]) -> None:
    assert number_range(literal) == pytest.approx(expected)


@pytest.mark.parametrize(
    "literal",
    ["abc", "", "NaN", "Infinity", "1,5", "\u0661\u0662", "\u00b2", "1_000", " 1", "1e", "e5", "--1"],
)
def test_number_range_refuses_non_numbers(literal: str) -> None:
    with pytest.raises(ValueError) as caught:
        number_range(literal)
    assert not isinstance(caught.value, UnrepresentableNumber)


@pytest.mark.parametrize(
    "literal", ["1e999999999", "-1e999999999", "9e308", "1e9999999999999999999", "1e-9999999999999999999"]
)
def test_number_range_refuses_numbers_beyond_a_float(literal: str) -> None:
    with pytest.raises(UnrepresentableNumber):
        number_range(literal)


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("1e-999999999", (0.0, 0.0, 0.0)),  # valid FHIR; as close as a float gets
        ("1.7e308", (1.7e308, 1.65e308, 1.75e308)),
        ("+5", (5.0, 4.5, 5.5)),
        (".5", (0.5, 0.45, 0.55)),
    ],
)
def test_number_range_at_the_edges_of_a_float(literal: str, expected: tuple[float, float, float]) -> None:
    assert number_range(literal) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Patient/123", ("Patient", "123")),
        ("Patient/123/_history/4", ("Patient", "123")),
        ("http://registry.vn/fhir/Organization/org-1", ("Organization", "org-1")),
        ("http://hl7.org/fhir/ValueSet/vaccines|4.0.1", ("ValueSet", "vaccines")),
        ("Unknown/1", (None, None)),
        ("urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0", (None, None)),
        ("Patient/", (None, None)),
        ("Patient/a b", (None, None)),
    ],
)
def test_split_reference(text: str, expected: tuple[str | None, str | None]) -> None:
    assert split_reference(text, TYPES) == expected
