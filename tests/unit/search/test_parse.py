"""Query parameters -> SearchRequest: value syntax, modifiers, strict and lenient handling."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone

import pytest

from fhir_server.definitions.registry import SearchParamRegistry
from fhir_server.model.outcome import FhirError
from fhir_server.search.convert import MAX_TEXT
from fhir_server.search.parse import ParsedSearch, parse_search
from fhir_server.search.query_values import split_escaped
from fhir_server.search.request import (
    CanonicalQuantity,
    Criterion,
    DateQuery,
    NumberQuery,
    QuantityQuery,
    ReferenceQuery,
    SortKey,
    StringQuery,
    TokenQuery,
    UriQuery,
)
from tests.unit.search.conftest import VN

PLUS7 = timezone(timedelta(hours=7))


def us(*fields: int) -> int:
    return (datetime(*fields, tzinfo=PLUS7) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


Parse = Callable[..., ParsedSearch]


@pytest.fixture
def parse(registry: SearchParamRegistry) -> Parse:
    def run(
        params: Sequence[tuple[str, str]],
        resource_type: str = "Immunization",
        strict: bool = False,
        **kw: str,
    ) -> ParsedSearch:
        return parse_search(resource_type, params, registry, strict=strict, default_tz=VN, **kw)

    return run


def only(parsed: ParsedSearch) -> Criterion:
    (criterion,) = parsed.request.criteria
    return criterion


def error_of(call: object) -> FhirError:
    assert callable(call)
    with pytest.raises(FhirError) as caught:
        call()
    return caught.value


# -- specials and result parameters ----------------------------------------------------------------


def test_id_last_updated_count_offset_sort(parse: Parse) -> None:
    parsed = parse(
        [
            ("_id", "a,b"),
            ("_lastUpdated", "ge2024-01"),
            ("_count", "5"),
            ("_offset", "10"),
            ("_sort", "-date,status"),
        ]
    )
    assert parsed.request.criteria == (
        Criterion("_id", "token", None, (TokenQuery(None, "a"), TokenQuery(None, "b"))),
        Criterion("_lastUpdated", "date", None, (DateQuery("ge", us(2024, 1, 1), us(2024, 2, 1)),)),
    )
    assert (parsed.request.count, parsed.request.offset) == (5, 10)
    assert parsed.request.sort == (SortKey("date", True, "date"), SortKey("status", False, "token"))
    assert parsed.ignored == () and parsed.result_params == ()


def test_cursor_is_a_paging_parameter_kept_opaque(parse: Parse) -> None:
    parsed = parse([("_cursor", "p42"), ("_offset", "1"), ("status", "completed")], strict=True)
    assert (parsed.request.cursor, parsed.request.offset) == ("p42", 1)
    assert [c.param for c in parsed.request.criteria] == ["status"] and parsed.result_params == ()
    assert parse([("_cursor", "")]).request.cursor is None


def test_cursor_with_sort_is_passed_to_the_store(parse: Parse) -> None:
    """Sorted searches page by keyset cursor too; the store checks it was made for this `_sort`."""
    request = parse([("_cursor", "kWzEsMl0"), ("_sort", "status")]).request
    assert request.cursor == "kWzEsMl0" and [key.param for key in request.sort] == ["status"]


def test_result_parameters_are_set_aside_untouched(parse: Parse) -> None:
    params = [
        ("_include", "Immunization:patient"),
        ("_revinclude:iterate", "Provenance:target"),
        ("_summary", "count"),
        ("_elements", "status"),
        ("_total", "accurate"),
        ("_format", "json"),
        ("_pretty", "true"),
        ("status", "completed"),
    ]
    parsed = parse(params, strict=True)
    assert parsed.result_params == tuple(params[:-1])
    assert [c.param for c in parsed.request.criteria] == ["status"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("_count", "-1"),
        ("_count", "ten"),
        ("_offset", "-3"),
        ("_count", ""),
        ("_count", "\u00b2"),  # "²".isdigit() is True, int("²") fails
        ("_offset", "\u0661\u0662"),  # Arabic-Indic digits: not ASCII
        ("_count", "\uff15"),  # full-width 5
        ("_count", "1234567890"),  # more than nine digits
        ("_count", "+5"),
        ("_count", " 5"),
        ("_offset", "1e3"),
    ],
)
def test_bad_count_or_offset_is_invalid(parse: Parse, name: str, value: str) -> None:
    error = error_of(lambda: parse([(name, value)]))
    assert error.status == 400 and error.issues[0].code == "invalid" and error.issues[0].expression == (name,)


@pytest.mark.parametrize(("value", "expected"), [("0", 0), ("007", 7), ("999999999", 999_999_999)])
def test_count_and_offset_take_up_to_nine_ascii_digits(parse: Parse, value: str, expected: int) -> None:
    request = parse([("_count", value), ("_offset", value)]).request
    assert (request.count, request.offset) == (expected, expected)


def test_sort_by_unknown_parameter(parse: Parse) -> None:
    assert parse([("_sort", "nope")]).ignored == ("_sort",)
    assert parse([("_sort", "nope,date")]).request.sort == (SortKey("date", False, "date"),)
    assert error_of(lambda: parse([("_sort", "nope")], strict=True)).issues[0].code == "not-supported"


# -- unknown and unsupported -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "nope",
        "status.name",  # chaining a non-reference
        "_has:Observation:patient:code",
        "_text",
        "_content",
        "_list",
        "_type",
        "status:above",  # (:in is supported since the national ValueSets: tests/unit/search/test_parse_in.py)
        "vaccine-code:below",
        "lot-number:missing:x",
        "date:exact",
    ],
)
def test_unknown_or_unsupported_strict_is_400_lenient_is_ignored(parse: Parse, name: str) -> None:
    lenient = parse([(name, "x"), ("status", "completed")])
    assert lenient.ignored == (name,)
    assert [c.param for c in lenient.request.criteria] == ["status"]
    error = error_of(lambda: parse([(name, "x")], strict=True))
    assert error.status == 400
    assert error.issues[0].code == "not-supported" and error.issues[0].expression == (name,)
    assert error.issues[0].vi


def test_special_types_are_not_supported_yet(parse: Parse) -> None:
    assert parse([("code-value-quantity", "x$5")], "Observation").ignored == ()  # composites are
    assert parse([("near", "1|2")], "Location").ignored == ("near",)


def test_empty_values_are_ignored(parse: Parse) -> None:
    # Not reported as ignored names: `status=x&status=` must keep `status=x` in the links.
    parsed = parse([("status", ""), ("lot-number", ","), ("_id", "")], strict=True)
    assert parsed.request.criteria == () and parsed.ignored == ()


# -- values of each type ------------------------------------------------------------------------------


def test_string(parse: Parse) -> None:
    assert only(parse([("name", "NGUYỄN  Thị")], "Patient")) == Criterion(
        "name", "string", None, (StringQuery("nguyen thi"),)
    )
    assert only(parse([("name:exact", "Nguyễn")], "Patient")).values == (StringQuery("Nguyễn"),)
    assert only(parse([("name:contains", "ĐẶNG")], "Patient")) == Criterion(
        "name", "string", "contains", (StringQuery("dang"),)
    )


def test_comma_is_or_repeat_is_and_and_escapes(parse: Parse) -> None:
    parsed = parse([("given", "an,binh"), ("given", r"a\,b")], "Patient")
    assert [c.values for c in parsed.request.criteria] == [
        (StringQuery("an"), StringQuery("binh")),
        (StringQuery("a,b"),),
    ]
    assert split_escaped(r"a\,b,c\|d|e", ",") == [r"a\,b", r"c\|d|e"]


@pytest.mark.parametrize(
    ("value", "query"),
    [
        ("http://cvx|08", TokenQuery("http://cvx", "08")),
        ("08", TokenQuery(None, "08")),
        ("|08", TokenQuery("", "08")),
        ("http://cvx|", TokenQuery("http://cvx", None)),
        (r"urn:x|a\|b", TokenQuery("urn:x", "a|b")),
    ],
)
def test_token(parse: Parse, value: str, query: TokenQuery) -> None:
    assert only(parse([("vaccine-code", value)])).values == (query,)


@pytest.mark.parametrize("value", ["|", "a|b|c"])
def test_malformed_token_is_invalid(parse: Parse, value: str) -> None:
    assert error_of(lambda: parse([("vaccine-code", value)])).issues[0].code == "invalid"


def test_token_modifiers(parse: Parse) -> None:
    assert only(parse([("status:not", "completed")])) == Criterion(
        "status", "token", "not", (TokenQuery(None, "completed"),)
    )
    assert only(parse([("vaccine-code:text", "Vắc xin")])) == Criterion(
        "vaccine-code", "token", "text", (StringQuery("vac xin"),)
    )
    assert only(parse([("status:missing", "true")])) == Criterion(
        "status", "token", "missing", (), missing=True
    )
    assert only(parse([("status:missing", "false")])).missing is False
    assert error_of(lambda: parse([("status:missing", "yes")])).issues[0].code == "invalid"


def test_dates(parse: Parse) -> None:
    criterion = only(parse([("date", "ge2024-01-01,lt2023")]))
    assert criterion.values == (
        DateQuery("ge", us(2024, 1, 1), us(2024, 1, 2)),
        DateQuery("lt", us(2023, 1, 1), us(2024, 1, 1)),
    )


@pytest.mark.parametrize("value", ["notadate", "2024-13-01", "xx2024", "ge", "2024-02-30"])
def test_malformed_dates_are_invalid_even_when_lenient(parse: Parse, value: str) -> None:
    error = error_of(lambda: parse([("date", value)]))
    assert (
        error.status == 400 and error.issues[0].code == "invalid" and error.issues[0].expression == ("date",)
    )


@pytest.mark.parametrize(
    ("value", "query"),
    [
        ("Patient/123", ReferenceQuery("Patient", "123", None)),
        ("Patient/123/_history/2", ReferenceQuery("Patient", "123", None)),
        ("123", ReferenceQuery(None, "123", None)),
        ("http://other.org/fhir/Patient/9", ReferenceQuery(None, None, "http://other.org/fhir/Patient/9")),
        ("https://registry.vn/fhir/Patient/7", ReferenceQuery("Patient", "7", None)),  # this server
        (
            "urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0",
            ReferenceQuery(None, None, "urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0"),
        ),
    ],
)
def test_references(parse: Parse, value: str, query: ReferenceQuery) -> None:
    parsed = parse([("patient", value)], base_url="https://registry.vn/fhir/")
    assert only(parsed).values == (query,)


def test_reference_modifiers(parse: Parse) -> None:
    assert only(parse([("patient:Patient", "123")])) == Criterion(
        "patient", "reference", "Patient", (ReferenceQuery("Patient", "123", None),)
    )
    assert only(parse([("patient:identifier", "http://example.org/vn/cccd|079")])) == Criterion(
        "patient", "reference", "identifier", (TokenQuery("http://example.org/vn/cccd", "079"),)
    )
    assert error_of(lambda: parse([("patient:Patient", "Group/1")])).issues[0].code == "invalid"
    assert parse([("patient:Nope", "1")]).ignored == ("patient:Nope",)


def test_numbers_and_quantities(parse: Parse) -> None:
    assert only(parse([("probability", "gt0.5")], "RiskAssessment")).values == (
        NumberQuery("gt", 0.5, 0.45, 0.55),
    )
    assert only(parse([("probability", "100")], "RiskAssessment")).values == (
        NumberQuery("eq", 100, 99.5, 100.5),
    )
    assert only(parse([("probability", "ap100")], "RiskAssessment")).values == (
        NumberQuery("ap", 100, 90, 110),
    )
    quantity = only(
        parse([("value-quantity", "le5.4|http://unitsofmeasure.org|mg,5.4||mg,5")], "Observation")
    )
    assert quantity.values == (
        QuantityQuery(
            "le",
            5.4,
            5.35,
            5.45,
            "http://unitsofmeasure.org",
            "mg",
            CanonicalQuantity(0.0054, 0.00535, 0.00545, "g"),
        ),
        QuantityQuery("eq", 5.4, 5.35, 5.45, None, "mg"),
        QuantityQuery("eq", 5, 4.5, 5.5, None, None),
    )
    for bad in ("abc", "5|mg", "zz5"):
        assert (
            error_of(lambda b=bad: parse([("value-quantity", b)], "Observation")).issues[0].code == "invalid"
        )


@pytest.mark.parametrize(
    ("name", "value", "resource_type"),
    [
        ("value-quantity", "1e999999999", "Observation"),
        ("value-quantity", "gt-1e999999999|http://unitsofmeasure.org|mg", "Observation"),
        ("probability", "ap9e308", "RiskAssessment"),
        ("probability", "1e99999999999999999999", "RiskAssessment"),
    ],
)
def test_numbers_beyond_a_float_are_invalid(parse: Parse, name: str, value: str, resource_type: str) -> None:
    error = error_of(lambda: parse([(name, value)], resource_type))
    (issue,) = error.issues
    assert (error.status, issue.code, issue.expression) == (400, "invalid", (name,))
    assert "outside the range" in issue.en and issue.vi is not None and "ngoài phạm vi" in issue.vi


def test_a_tiny_number_is_zero(parse: Parse) -> None:
    assert only(parse([("probability", "1e-999999999")], "RiskAssessment")).values == (
        NumberQuery("eq", 0.0, 0.0, 0.0),
    )


def test_long_string_queries_are_cut_like_the_rows(parse: Parse) -> None:
    long = "Nguyễn " * 100
    (folded,) = only(parse([("name", long)], "Patient")).values
    (exact,) = only(parse([("name:exact", long)], "Patient")).values
    (text,) = only(parse([("vaccine-code:text", long)])).values
    assert folded == text == StringQuery(("nguyen " * 100)[:MAX_TEXT])
    assert exact == StringQuery(long[:MAX_TEXT])


def test_uri(parse: Parse) -> None:
    assert only(parse([("url", "http://a.org/vs")], "ValueSet")).values == (UriQuery("http://a.org/vs"),)
    below = only(parse([("url:below", "http://a.org")], "ValueSet"))
    assert (below.modifier, below.values) == ("below", (UriQuery("http://a.org"),))
    assert only(parse([("url:above", "http://a.org/vs/1")], "ValueSet")).modifier == "above"


def test_common_parameters_exist_on_every_type(parse: Parse) -> None:
    for resource_type in ("Patient", "Immunization", "AdverseEvent", "Bundle"):
        parsed = parse(
            [("_tag", "http://t|x"), ("_profile", "http://p"), ("_security", "R")], resource_type, True
        )
        assert [c.param for c in parsed.request.criteria] == ["_tag", "_profile", "_security"]
