from __future__ import annotations

from typing import Any

from fhir_server.model.depth import exceeds, too_deep


def _deep(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


def test_depth_at_the_limit_is_fine() -> None:
    assert too_deep({"a": {"b": [1]}}, 3) is None
    assert too_deep(_deep(3), 3) is None


def test_path_to_the_first_too_deep_element_in_document_order() -> None:
    value = {"a": [{"x": 1}], "b": [[{"c": 1}], [{"d": 1}]]}
    assert too_deep(value, 3) == ["b", 0, 0]


def test_primitives_and_empty_containers() -> None:
    assert too_deep("text", 0) is None
    assert too_deep([], 0) == []
    assert too_deep({"a": []}, 1) == ["a"]


def test_far_deeper_than_the_recursion_limit() -> None:
    path = too_deep(_deep(100_000), 64)
    assert path == [0] * 64


def test_exceeds_agrees_with_too_deep() -> None:
    value = {"a": [{"x": 1}], "b": [[{"c": 1}], [{"d": 1}]]}
    for limit in range(6):
        assert exceeds(value, limit) == (too_deep(value, limit) is not None), limit
    assert not exceeds(7, 0)
    assert exceeds(_deep(100_000), 99_999)
    assert not exceeds(_deep(100_000), 100_000)
