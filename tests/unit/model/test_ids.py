"""Logical ids: [A-Za-z0-9-.]{1,64}."""

from __future__ import annotations

import pytest

from fhir_server.model.ids import is_valid_id


@pytest.mark.parametrize("value", ["a", "example", "A-1.b", "0" * 64, "079123456789"])
def test_valid(value: str) -> None:
    assert is_valid_id(value)


@pytest.mark.parametrize("value", ["", "bad id!", "a" * 65, "a/b", "a_b", "ế", "a\n", 12, None])
def test_invalid(value: object) -> None:
    assert not is_valid_id(value)
