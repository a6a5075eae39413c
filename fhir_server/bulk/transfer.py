"""What a worker process sends back to the importer, in a form that crosses the process boundary cheaply.

Pickling `IndexValues` as it is (frozen dataclasses with slots) makes the parent rebuild every value object
through the dataclass `__setstate__`: ~210 µs per population resource against ~60 µs for the resource dict
pickled plus the index sent as plain tuples and rebuilt here (measured on 2,000 population resources). The
parent is the single writer, so its time is the import's.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Final

from fhir_server.search.index import (
    DateValue,
    IndexValues,
    NumberValue,
    QuantityValue,
    ReferenceValue,
    StringValue,
    TokenValue,
    UriValue,
)

# IndexValues field -> its value class, in the dataclass's field order.
_KINDS: Final = (
    ("strings", StringValue),
    ("tokens", TokenValue),
    ("dates", DateValue),
    ("references", ReferenceValue),
    ("numbers", NumberValue),
    ("quantities", QuantityValue),
    ("uris", UriValue),
)
_NAMES: Final = {cls: tuple(f.name for f in fields(cls)) for _, cls in _KINDS}

PackedIndex = tuple[tuple[tuple[Any, ...], ...], ...]


def pack_index(index: IndexValues) -> PackedIndex:
    return tuple(
        tuple(tuple(getattr(value, name) for name in _NAMES[cls]) for value in getattr(index, kind))
        for kind, cls in _KINDS
    )


def unpack_index(packed: PackedIndex) -> IndexValues:
    return IndexValues(
        *(tuple(cls(*row) for row in rows) for (_, cls), rows in zip(_KINDS, packed, strict=True))
    )
