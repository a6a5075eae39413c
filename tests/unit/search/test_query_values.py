"""Value syntax per parameter type (most of it is exercised through `parse_search` in test_parse.py)."""

from __future__ import annotations

import pytest

from fhir_server.model.outcome import FhirError
from fhir_server.search.convert import MAX_TEXT
from fhir_server.search.query_values import non_negative, number_query, quantity_query, string_query
from fhir_server.search.request import NumberQuery, QuantityQuery, StringQuery


@pytest.mark.parametrize("raw", ["12", "0", "000000001"])
def test_non_negative_takes_ascii_digits(raw: str) -> None:
    assert non_negative("_count", raw) == int(raw)


@pytest.mark.parametrize("raw", ["\u00b2", "\u0661", "\uff11", "1\n", "-0", "1.0", "0x10", "1_0"])
def test_non_negative_refuses_everything_else(raw: str) -> None:
    with pytest.raises(FhirError) as caught:
        non_negative("_offset", raw)
    (issue,) = caught.value.issues
    assert (caught.value.status, issue.code, issue.expression) == (400, "invalid", ("_offset",))
    assert issue.vi is not None and "không phải số nguyên không âm" in issue.vi


def test_string_query_is_folded_unescaped_and_cut() -> None:
    assert string_query(r"Nguyễn\,Thị", "") == StringQuery("nguyen,thi")
    assert string_query(r"Nguyễn\,Thị", "exact") == StringQuery("Nguyễn,Thị")
    assert string_query("Đ" * 300, "contains") == StringQuery("d" * MAX_TEXT)
    assert string_query("Đ" * 300, "exact") == StringQuery("Đ" * MAX_TEXT)


def test_numbers_not_a_number_and_beyond_a_float_say_so() -> None:
    with pytest.raises(FhirError) as not_a_number:
        number_query("probability", "1,5")
    with pytest.raises(FhirError) as too_big:
        quantity_query("value-quantity", "1e999999999||mg")
    assert "is not a number" in not_a_number.value.issues[0].en
    assert "outside the range" in too_big.value.issues[0].en
    assert too_big.value.issues[0].expression == ("value-quantity",)


def test_numbers_within_range() -> None:
    assert number_query("probability", "le1e300") == NumberQuery("le", 1e300, 0.5e300, 1.5e300)
    assert quantity_query("value-quantity", "1e-999999999") == QuantityQuery("eq", 0.0, 0.0, 0.0, None, None)
