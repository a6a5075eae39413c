"""JSON in and out, keeping FHIR decimals exactly as written (`1.50` stays `1.50`).

orjson is fast but turns `1.50` into 1.5. When a body holds a number literal that a float would not
reproduce (a trailing zero in the fraction, or an exponent), we parse it with the standard library and
keep each such number as a `Decimal` subclass of float that remembers its literal; `dumps` writes the
literal back verbatim through `orjson.Fragment`.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

# A number literal whose float repr may differ from the text: fraction ending in 0, or an exponent.
_LOSSY_NUMBER = re.compile(rb"[0-9]\.[0-9]*0(?![0-9])|[0-9][eE][+-]?[0-9]")


class Decimal(float):
    """A float that remembers how it was written, so serialisation keeps its precision."""

    __slots__ = ("literal",)
    literal: str

    def __new__(cls, literal: str) -> Decimal:
        value = super().__new__(cls, literal)
        value.literal = literal
        return value

    def __repr__(self) -> str:
        return self.literal


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return orjson.Fragment(value.literal)
    raise TypeError(f"Cannot serialise {type(value).__name__}")


def loads(data: bytes | str) -> Any:
    """Parse JSON; raises ValueError on malformed input (the caller maps it to 400)."""
    raw = data.encode() if isinstance(data, str) else data
    if _LOSSY_NUMBER.search(raw):
        return json.loads(raw, parse_float=Decimal)
    return orjson.loads(raw)


def dumps(value: Any, *, pretty: bool = False) -> bytes:
    """Serialise JSON compactly (or indented with `pretty`), decimals as written."""
    option = orjson.OPT_INDENT_2 if pretty else 0
    return orjson.dumps(value, default=_default, option=option | orjson.OPT_PASSTHROUGH_SUBCLASS)
