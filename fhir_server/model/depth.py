"""How deeply JSON objects and arrays nest, measured without recursion.

Recursive code (the stdlib JSON parser, the R4B models, deepcopy) hits Python's recursion limit on a
few kilobytes of `[[[[...]]]]`, so depth is bounded before any of it runs.
"""

from __future__ import annotations

from typing import Any

# (parent link, key or index): the way down to a node, turned into a path only when one is reported.
_Link = tuple["_Link | None", str | int]


def too_deep(value: Any, limit: int) -> list[str | int] | None:
    """The keys and indexes leading to the first object or array (in document order) nested deeper than
    `limit` levels, the outermost counting as level 1; None when nothing is that deep."""
    return _first_path(value, limit) if exceeds(value, limit) else None


def exceeds(value: Any, limit: int) -> bool:
    """Is any object or array nested deeper than `limit` levels? (Level by level: a few times faster than
    tracking paths, and this runs on every body.)"""
    level: list[Any] = [value] if isinstance(value, dict | list) else []
    for _ in range(limit):
        if not level:
            return False
        level = [
            child
            for node in level
            for child in (node.values() if isinstance(node, dict) else node)
            if isinstance(child, dict | list)
        ]
    return bool(level)


def _first_path(value: Any, limit: int) -> list[str | int] | None:
    stack: list[tuple[Any, int, _Link | None]] = [(value, 1, None)]
    while stack:
        node, level, link = stack.pop()
        if isinstance(node, dict):
            children: list[tuple[str | int, Any]] = list(node.items())
        elif isinstance(node, list):
            children = list(enumerate(node))
        else:
            continue
        if level > limit:
            return _path(link)
        for key, child in reversed(children):
            if isinstance(child, dict | list):
                stack.append((child, level + 1, (link, key)))
    return None


def _path(link: _Link | None) -> list[str | int]:
    path: list[str | int] = []
    while link is not None:
        link, key = link
        path.append(key)
    path.reverse()
    return path
