"""JSON in and out, keeping FHIR numbers exactly as written (`1.50` stays `1.50`).

orjson is fast but turns `1.50` into 1.5, `0.1234567890123456789` into 0.12345678901234568 and an
integer beyond 64 bits into a float. When a body holds a number literal that a float or an int64 would
not reproduce, it is parsed again with the standard library, which keeps integers exact and each
fraction as a `Decimal` subclass of float that remembers its literal; `dumps` writes decimals and
integers beyond 64 bits back verbatim through `orjson.Fragment`.

orjson always parses first: it decides what is well-formed (no NaN, no lone surrogates, no 1e400) and
refuses more than 1024 levels; `loads` refuses more than MAX_DEPTH, before the recursive stdlib parser
and everything downstream (R4B, deepcopy) could overflow the stack.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from fhir_server.model.depth import exceeds

MAX_DEPTH = 128  # levels of objects/arrays; a resource is held to 64 (validator), this leaves room around it

# Where a JSON number token can stand: after `:`, `,` or `[` and before `,`, `]` or `}` (whitespace
# allowed). Digits inside strings (OIDs, times like 17.230+07:00, barcodes in the narrative) rarely look
# like that, and when they do the only cost is the slower parse.
# (Starting with a character set and checking for a digit early keeps the search about as fast as orjson
# parses; a number alone as the whole body is dealt with apart.)
_START = rb"[:,\[][ \t\r\n]*-?(?=[0-9])"
_END = rb"(?=[ \t\r\n]*[,\]}])"
# Number literals that a float or int64 would not give back as written.
_LOSSY_NUMBER = re.compile(
    _START
    + rb"(?:"
    + rb"[0-9]+(?:\.[0-9]+)?[eE][+-]?[0-9]+"  # an exponent
    + rb"|[0-9]+\.[0-9]*0"  # a trailing zero in the fraction (1.50, 2.0)
    + rb"|[0-9]{16,}"  # an integer of 16+ digits (2^53 has 16, orjson makes floats beyond 64 bits)
    + rb"|(?=[0-9.]{17})[0-9]+\.[0-9]+"  # 16+ digits with a fraction: more than a double holds
    + rb"|0\.0000[0-9]*"  # below 1e-4: the float prints with an exponent (1e-6)
    + rb")"
    + _END
)
_ORJSON_INTS = range(-(2**63), 2**64)  # what orjson serialises natively (int64 and uint64)


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
    """Parse JSON; raises ValueError on malformed or too deeply nested input (the caller maps it to 400)."""
    raw = data.encode() if isinstance(data, str) else data
    value = orjson.loads(raw)
    # Nesting cannot exceed the number of brackets: most bodies are cleared without a walk.
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and exceeds(value, MAX_DEPTH):
        raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels")
    if _LOSSY_NUMBER.search(raw) or isinstance(value, float):
        return json.loads(raw, parse_float=Decimal)
    return value


def loads_stored(data: bytes, *, exact_numbers: bool = True) -> Any:
    """A body this server stored: its depth was checked when it came in, so the walk is skipped (it costs
    more than the parse on large resources such as ImmunizationRecommendations). Numbers as written,
    unless `exact_numbers` is False: a reader that never writes the body back skips that scan too."""
    value = orjson.loads(data)
    if not exact_numbers:
        return value
    if _LOSSY_NUMBER.search(data) or isinstance(value, float):
        return json.loads(data, parse_float=Decimal)
    return value


def dumps(value: Any, *, pretty: bool = False) -> bytes:
    """Serialise JSON compactly (or indented with `pretty`), numbers as written."""
    option = orjson.OPT_INDENT_2 if pretty else 0
    option |= orjson.OPT_PASSTHROUGH_SUBCLASS
    try:
        return orjson.dumps(value, default=_default, option=option)
    except orjson.JSONEncodeError:
        # orjson refuses integers beyond 64 bits outright (`default` is not asked); the copy is made only
        # for such values, and anything else wrong fails again below.
        return orjson.dumps(_big_ints_as_fragments(value), default=_default, option=option)


def _big_ints_as_fragments(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _big_ints_as_fragments(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_big_ints_as_fragments(v) for v in value]
    if type(value) is int and value not in _ORJSON_INTS:
        return orjson.Fragment(str(value))
    return value
