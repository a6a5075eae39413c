from __future__ import annotations

import pytest

from fhir_server.model.json import Decimal, dumps, loads


@pytest.mark.parametrize("literal", ["1.50", "0.10", "1e3", "2.5E-4", "100.0"])
def test_decimals_keep_their_written_form(literal: str) -> None:
    text = f'{{"value":{literal},"n":[1,2.5]}}'
    parsed = loads(text)
    assert isinstance(parsed["value"], Decimal)
    assert dumps(parsed) == text.encode()


def test_plain_bodies_take_the_fast_path() -> None:
    parsed = loads(b'{"a":1.5,"b":"x","c":true}')
    assert type(parsed["a"]) is float
    assert dumps(parsed) == b'{"a":1.5,"b":"x","c":true}'


def test_decimal_compares_as_a_number() -> None:
    assert loads("[1.50]")[0] == 1.5


def test_malformed_json_raises_value_error() -> None:
    with pytest.raises(ValueError):
        loads(b'{"a":')
    with pytest.raises(ValueError):
        loads(b'{"a":1.50,')


def test_pretty_output_is_indented() -> None:
    assert dumps({"a": [1]}, pretty=True) == b'{\n  "a": [\n    1\n  ]\n}'
