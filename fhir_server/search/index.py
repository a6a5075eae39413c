"""The index values of one resource (the IR): computed once per write by `search.extract`,
stored by every backend in its own way, and matched in memory by `search.matcher`.

Each row names its SearchParameter by `code` (e.g. "identifier", "birthdate"). Dates are half-open
ranges [low, high) in integer microseconds since the Unix epoch (UTC), so that every backend compares
plain integers.
"""

from __future__ import annotations

from dataclasses import dataclass


def of_type_param(code: str) -> str:
    """The code of the token rows that `code:of-type` searches: one per Identifier.type coding, with
    system = the coding's system and code = "<type code>|<identifier value>" (search.convert). A derived
    code, so that every backend stores and matches them as plain tokens."""
    return f"{code}:of-type"


@dataclass(frozen=True, slots=True)
class StringValue:
    param: str
    normalized: str  # folded: accents and case removed, đ -> d, spaces collapsed (search.normalize)
    exact: str  # as written, for :exact


@dataclass(frozen=True, slots=True)
class TokenValue:
    param: str
    system: str | None
    code: str | None
    display: str | None = None  # folded text (Coding.display / CodeableConcept.text) for :text


@dataclass(frozen=True, slots=True)
class DateValue:
    param: str
    low: int  # inclusive, microseconds since epoch UTC
    high: int  # exclusive


@dataclass(frozen=True, slots=True)
class ReferenceValue:
    param: str
    target_type: str | None  # "Patient" for "Patient/123"; None for a bare URL/canonical we cannot type
    target_id: str | None
    url: str  # the reference as written (absolute URL, canonical, or Type/id)


@dataclass(frozen=True, slots=True)
class NumberValue:
    param: str
    value: float
    low: float  # implicit precision range of the written value ("1.5" -> [1.45, 1.55))
    high: float


@dataclass(frozen=True, slots=True)
class QuantityValue:
    param: str
    value: float
    low: float
    high: float
    system: str | None
    code: str | None
    unit: str | None
    # For UCUM codes `search.ucum` can convert: the value in the canonical unit, and that unit
    # (`5500 ug` -> 0.0055, "g"), compared when a query names the UCUM system.
    canonical_value: float | None = None
    canonical_code: str | None = None


@dataclass(frozen=True, slots=True)
class UriValue:
    param: str
    uri: str


ComponentValue = (
    StringValue | TokenValue | DateValue | ReferenceValue | NumberValue | QuantityValue | UriValue
)


@dataclass(frozen=True, slots=True)
class CompositeValue:
    """One combination of component values taken from the same element (`code-value-quantity`: one
    coding of Observation.code with Observation.valueQuantity), in the order of the parameter's
    components. Each part is a row of its component's type (its own `param` is the composite's code)."""

    param: str
    parts: tuple[ComponentValue, ...]


@dataclass(frozen=True, slots=True)
class IndexValues:
    """All index rows of one resource version."""

    strings: tuple[StringValue, ...] = ()
    tokens: tuple[TokenValue, ...] = ()
    dates: tuple[DateValue, ...] = ()
    references: tuple[ReferenceValue, ...] = ()
    numbers: tuple[NumberValue, ...] = ()
    quantities: tuple[QuantityValue, ...] = ()
    uris: tuple[UriValue, ...] = ()
    composites: tuple[CompositeValue, ...] = ()
