"""`_sort` on index values: the sort key of one resource, which the memory backend sorts by and the SQL
backends reproduce (storage/sqlite/query.py).

FHIR: a resource with several values for a sort parameter sorts by its lowest value ascending and its
highest descending; a resource with no value sorts last either way; ties keep creation order (the caller
sorts stably). Values by parameter type: dates low ascending, high descending; references the target id,
else the reference as written; strings folded; numbers and quantities their value; tokens code, then system.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fhir_server.search.index import IndexValues
from fhir_server.search.request import SortKey

# Joins a token's code and system into one comparable text: below every character a FHIR string holds.
TOKEN_SEPARATOR = "\x01"


@dataclass(frozen=True, slots=True)
class _Descending:
    """Reverses the order of the value it wraps."""

    value: Any

    def __lt__(self, other: _Descending) -> bool:
        return bool(other.value < self.value)


def sort_values(index: IndexValues, key: SortKey) -> Sequence[object]:
    """The values of `key.param` that `_sort` compares, read from the rows of its parameter type."""
    param = key.param
    if key.type == "date":
        return [v.high if key.descending else v.low for v in index.dates if v.param == param]
    if key.type == "reference":  # the target id when there is one, else the reference as written
        references = [v for v in index.references if v.param == param]
        ids = [v.target_id for v in references if v.target_id is not None]
        return ids or [v.url for v in references]
    if key.type == "token":
        return [
            v.code + TOKEN_SEPARATOR + (v.system or "")
            for v in index.tokens
            if v.param == param and v.code is not None
        ]
    rows: dict[str, list[Any]] = {
        "string": [v.normalized for v in index.strings if v.param == param],
        "number": [v.value for v in index.numbers if v.param == param],
        "quantity": [v.value for v in index.quantities if v.param == param],
        "uri": [v.uri for v in index.uris if v.param == param],
    }
    return rows.get(key.type, [])


SortValue = str | int | float | None  # None: the resource has no value for the key (sorts last)


def sort_point(
    index: IndexValues, id: str, last_updated: int, keys: Sequence[SortKey]
) -> tuple[SortValue, ...]:
    """The value each key compares for one resource (`last_updated` in microseconds): the lowest for an
    ascending key, the highest for a descending one, None when it has none. Keyset cursors carry it."""
    point: list[SortValue] = []
    for key in keys:
        if key.param == "_id":
            values: Sequence[Any] = [id]
        elif key.param == "_lastUpdated":
            values = [last_updated]
        else:
            values = sort_values(index, key)
        point.append(None if not values else max(values) if key.descending else min(values))
    return tuple(point)


def key_of(point: Sequence[SortValue], keys: Sequence[SortKey]) -> tuple[object, ...]:
    """A key ordering resources by their points: compare with `<`, sort stably."""
    parts: list[tuple[object, ...]] = []
    for value, key in zip(point, keys, strict=True):
        if value is None:
            parts.append((1,))  # missing: last in both directions
        elif key.descending:
            parts.append((0, _Descending(value)))
        else:
            parts.append((0, value))
    return tuple(parts)


def sort_key(index: IndexValues, id: str, last_updated: int, keys: Sequence[SortKey]) -> tuple[object, ...]:
    """A key ordering resources by `keys` (`last_updated` in microseconds): compare with `<`, sort stably."""
    return key_of(sort_point(index, id, last_updated, keys), keys)
