from __future__ import annotations

import random
from pathlib import Path
from types import SimpleNamespace

import pytest

from fhir_server.model import json as model_json
from fhir_server.model.json import MAX_DEPTH, Decimal, dumps, loads

EXAMPLES = Path(__file__).resolve().parents[2] / "data" / "examples"


@pytest.fixture
def no_stdlib(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fails the test if the slow, literal-preserving parser is used."""

    def refuse(*args: object, **kwargs: object) -> object:
        raise AssertionError("the stdlib parser was used")

    monkeypatch.setattr(model_json, "json", SimpleNamespace(loads=refuse))


@pytest.mark.parametrize("literal", ["1.50", "0.10", "1e3", "2.5E-4", "100.0"])
def test_decimals_keep_their_written_form(literal: str) -> None:
    text = f'{{"value":{literal},"n":[1,2.5]}}'
    parsed = loads(text)
    assert isinstance(parsed["value"], Decimal)
    assert dumps(parsed) == text.encode()


@pytest.mark.parametrize(
    "literal",
    [
        "123456789012345678901234567890",
        "-123456789012345678901234567890",
        "18446744073709551616",  # 2^64: just beyond orjson's integers
        "-9223372036854775809",  # -2^63 - 1
        "9007199254740993",  # 2^53 + 1: a float would make it ...992
        "0.1234567890123456789",
        "1234567890.1234567",
        "-0.30000000000000004",
        "0.000001",
        "-0.00000123",
    ],
)
def test_numbers_a_float_would_change_keep_their_written_form(literal: str) -> None:
    for text in (f'{{"v":{literal}}}', f'{{"v":{literal},"w":1.50}}', f"[{literal}, 7]", literal):
        assert dumps(loads(text)) == text.replace(" ", "").encode()


def test_big_integers_stay_exact_integers() -> None:
    big = 123456789012345678901234567890
    for text in (f"[{big}]", f"[{big},1.50]"):
        value = loads(text)[0]
        assert type(value) is int
        assert value == big


def test_decimal_compares_as_a_number() -> None:
    assert loads("[1.50]")[0] == 1.5
    assert loads("[0.1234567890123456789]")[0] == 0.1234567890123456789
    assert loads("[0.1234567890123456789]")[0] < 0.2


def test_any_number_literal_round_trips_exactly() -> None:
    rng = random.Random(20240601)

    def digits(n: int) -> str:
        return "".join(rng.choice("0123456789") for _ in range(n))

    for _ in range(3000):
        whole = str(rng.randint(1, 9)) + digits(rng.randint(0, 24)) if rng.random() < 0.8 else "0"
        literal = rng.choice(["", "-"]) + whole
        if rng.random() < 0.7 or literal == "-0":  # the integer -0 is read as 0, as by any JSON parser
            literal += "." + digits(rng.randint(1, 22))
        if rng.random() < 0.1:
            literal += rng.choice("eE") + rng.choice(["", "+", "-"]) + str(rng.randint(0, 30))
        text = f'{{"a":[{literal}]}}'
        assert dumps(loads(text)) == text.encode(), literal


def test_plain_bodies_take_the_fast_path(no_stdlib: None) -> None:
    parsed = loads(b'{"a":1.5,"b":"x","c":true,"d":123456789012345,"e":-0.25}')
    assert type(parsed["a"]) is float
    assert dumps(parsed) == b'{"a":1.5,"b":"x","c":true,"d":123456789012345,"e":-0.25}'


@pytest.mark.parametrize(
    "name",
    ["Immunization-example.json", "Patient-example.json", "Patient-f001.json", "AdverseEvent-example.json"],
)
def test_official_examples_take_the_fast_path(no_stdlib: None, name: str) -> None:
    assert loads((EXAMPLES / name).read_bytes())["resourceType"]


@pytest.mark.parametrize(
    "text",
    [
        '"urn:oid:2.16.840.1.113883.6.96"',  # digits, dots and a 0 before a dot
        '"4.0.1"',
        '"2015-02-07T13:28:17.230+07:00"',  # milliseconds ending in 0
        '"2015-02-07T13:28:17.230Z"',
        '"urn:uuid:a1e5c3d0-2e40-4b2e-9e10-1e4000000000"',  # digit e digit inside an id
        '"ABC12345678901234567890"',  # a long run of digits inside a word
        '"<td>253088698300010311120702</td><td>0.50 ml</td>"',  # a barcode and a dose in the narrative
    ],
)
def test_number_like_text_in_strings_keeps_the_fast_path(no_stdlib: None, text: str) -> None:
    assert dumps(loads(f"[{text}]")) == f"[{text}]".encode()


def test_malformed_json_raises_value_error() -> None:
    with pytest.raises(ValueError):
        loads(b'{"a":')
    with pytest.raises(ValueError):
        loads(b'{"a":1.50,')


@pytest.mark.parametrize("text", ["[NaN, 1.50]", "[Infinity]", "[1e400]", '["\\ud800", 1.50]'])
def test_what_orjson_refuses_is_refused_whatever_the_numbers(text: str) -> None:
    with pytest.raises(ValueError):
        loads(text)


def _nested(levels: int, inner: str) -> bytes:
    return ("[" * levels + inner + "]" * levels).encode()


@pytest.mark.parametrize("inner", ["1", "1.50"])
def test_nesting_up_to_the_bound_is_parsed(inner: str) -> None:
    assert dumps(loads(_nested(MAX_DEPTH, inner))) == _nested(MAX_DEPTH, inner)


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 50_000])
@pytest.mark.parametrize("inner", ["1", "1.50"])
def test_deeper_nesting_is_a_value_error_not_a_recursion_error(levels: int, inner: str) -> None:
    with pytest.raises(ValueError):
        loads(_nested(levels, inner))


def test_deep_objects_are_refused_too() -> None:
    text = '{"a":' * (MAX_DEPTH + 1) + "1.50" + "}" * (MAX_DEPTH + 1)
    with pytest.raises(ValueError, match="nested deeper"):
        loads(text)


def test_many_brackets_side_by_side_are_not_depth() -> None:
    text = "[" + ",".join(["[1.50]"] * (3 * MAX_DEPTH)) + "]"
    assert len(loads(text)) == 3 * MAX_DEPTH


def test_dumps_writes_big_integers_built_in_code() -> None:
    assert dumps({"a": [2**64, -(2**63) - 1, 2**64 - 1]}) == (
        b'{"a":[18446744073709551616,-9223372036854775809,18446744073709551615]}'
    )


def test_dumps_still_refuses_what_is_not_json() -> None:
    with pytest.raises(TypeError):
        dumps({"a": object(), "b": 2**70})


def test_pretty_output_is_indented() -> None:
    assert dumps({"a": [1]}, pretty=True) == b'{\n  "a": [\n    1\n  ]\n}'
    assert dumps({"a": [2**70, loads("[1.50]")[0]]}, pretty=True) == (
        b'{\n  "a": [\n    1180591620717411303424,\n    1.50\n  ]\n}'
    )


def test_numbers_between_whitespace_are_found() -> None:
    parsed = loads(b'{"a" :\n 1.50 ,\r\n "b":[\t2.0 ] , "c": 123456789012345678901}')
    assert repr(parsed["a"]) == "1.50"
    assert dumps(parsed) == b'{"a":1.50,"b":[2.0],"c":123456789012345678901}'
