"""FHIR values -> index rows (the IR of `search.index`), one function per SearchParameter type.

Each converter receives a value found by a parameter's expression and its FHIR type when the compiled
path knows it (None when FHIRPath produced it; then the JSON shape decides). Values that cannot be
indexed (an invalid date that validation let through, a Range for a quantity) are skipped silently:
indexing must never refuse a write that validation accepted.

Two encodings worth knowing:
- a HumanName gives one string row per part (family, each given, prefix, suffix, text) plus the word
  suffixes of the full name ("Nguyễn Thị Thảo" -> "nguyen thi thao", "thi thao", "thao"), so a prefix
  match on any row finds a name by its start or by any later word, never by the middle of a word.
  Only the first `SUFFIX_WORDS` words of a part start a suffix, and every indexed text keeps its first
  `MAX_TEXT` characters: all suffixes of an 8,000-word name.text took 383 MB, now it is 8 short rows;
- a reference parameter also gets token rows (same param code) for `Reference.identifier`, which is what
  the `:identifier` modifier searches.
- an Identifier with a value also gets, per coding of its `type`, a token row under the derived code
  `index.of_type_param(code)` (system = type system, code = "type code|value"): what `:of-type` searches.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import tzinfo
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal, DecimalException
from math import isfinite
from typing import Any, Final

from fhir_server.model.ids import ID
from fhir_server.search import ucum
from fhir_server.search.dates import date_range, period_range
from fhir_server.search.index import (
    DateValue,
    NumberValue,
    QuantityValue,
    ReferenceValue,
    StringValue,
    TokenValue,
    UriValue,
    of_type_param,
)
from fhir_server.search.normalize import fold
from fhir_server.search.ucum import UCUM_SYSTEM

CURRENCY_SYSTEM = "urn:iso:std:iso:4217"
REFERENCE_PATTERN = re.compile(rf"(?:^|/)([A-Z][A-Za-z]+)/({ID})(?:/_history/[^/]+)?$")
_QUANTITY_KINDS = frozenset(
    {"Quantity", "Age", "Duration", "Distance", "Count", "SimpleQuantity", "MoneyQuantity"}
)


# Indexed texts (string rows, normalized and as written; token display texts) keep this many characters,
# and `search.parse` cuts query texts the same way: a longer query compares on its first MAX_TEXT.
MAX_TEXT: Final = 256
SUFFIX_WORDS: Final = 8  # the first words of a name part that start a suffix row
# Decimal arithmetic on any exponent a literal may carry ("1e-999999999" is a valid FHIR decimal); the
# default context would trap overflow on the half-unit of such a literal.
_WIDE: Final = Context(prec=40, Emax=MAX_EMAX, Emin=MIN_EMIN)
# A decimal as FHIR writes it, plus the exponent that search values may carry; ASCII digits only.
_NUMBER: Final = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")

Codes = tuple[str, ...]  # the parameters that share one expression (Patient `name` and `phonetic`)


class UnrepresentableNumber(ValueError):
    """A well-formed number beyond what an index row can hold (a float): "1e999999999"."""


def clip(text: str) -> str:
    return text[:MAX_TEXT]


def number_range(literal: str) -> tuple[float, float, float]:
    """(value, low, high) with the implicit precision of the literal: "1.5" -> [1.45, 1.55), "100" -> [99.5,
    100.5), "1e2" -> [50, 150). ValueError if it is not a number, UnrepresentableNumber if it is beyond
    the float range (a value too small for a float becomes 0.0, as close as a float gets)."""
    if not _NUMBER.fullmatch(literal):
        raise ValueError(f"not a number: {literal!r}")
    try:
        number = Decimal(literal)
        half = Decimal(5).scaleb(int(number.as_tuple().exponent) - 1, _WIDE)
        bounds = float(number), float(_WIDE.subtract(number, half)), float(_WIDE.add(number, half))
    except (DecimalException, OverflowError, ValueError):  # an exponent beyond even _WIDE
        raise UnrepresentableNumber(f"out of range: {literal!r}") from None
    if not all(isfinite(bound) for bound in bounds):
        raise UnrepresentableNumber(f"out of range: {literal!r}")
    return bounds


def split_reference(text: str, known_types: frozenset[str]) -> tuple[str | None, str | None]:
    """("Patient", "123") for "Patient/123", "Patient/123/_history/2" or "http://x/fhir/Patient/123";
    (None, None) for anything else (urn:uuid:..., a canonical to a non-resource URL)."""
    match = REFERENCE_PATTERN.search(text.partition("|")[0])
    if match is None or match.group(1) not in known_types:
        return None, None
    return match.group(1), match.group(2)


def _number_literal(value: float | int) -> str:
    literal = getattr(value, "literal", None)  # model.json.Decimal keeps the digits as written
    return literal if isinstance(literal, str) else repr(value)


@dataclass(slots=True)
class Rows:
    """The rows of one resource being collected, and what converting needs."""

    tz: tzinfo
    known_types: frozenset[str]
    strings: list[StringValue] = field(default_factory=list)
    tokens: list[TokenValue] = field(default_factory=list)
    dates: list[DateValue] = field(default_factory=list)
    references: list[ReferenceValue] = field(default_factory=list)
    numbers: list[NumberValue] = field(default_factory=list)
    quantities: list[QuantityValue] = field(default_factory=list)
    uris: list[UriValue] = field(default_factory=list)


def _shape(value: Any) -> str | None:
    """A FHIR type guessed from JSON (for FHIRPath results, which carry none)."""
    if not isinstance(value, dict):
        return None
    for key, kind in (
        ("coding", "CodeableConcept"),
        ("family", "HumanName"),
        ("given", "HumanName"),
        ("reference", "Reference"),
        ("currency", "Money"),
        ("line", "Address"),
        ("city", "Address"),
        ("start", "Period"),
        ("end", "Period"),
        ("event", "Timing"),
    ):
        if key in value:
            return kind
    if "value" in value and ("unit" in value or "code" in value):
        return "Quantity"
    if "system" in value and "value" in value:
        return "Identifier"
    if "system" in value or "code" in value:
        return "Coding"
    return None


# -- string ---------------------------------------------------------------------------------------


def _string(rows: Rows, codes: Codes, text: Any) -> None:
    if isinstance(text, str) and text:
        folded, exact = clip(fold(text)), clip(text)  # fold first: the query side folds, then clips
        for code in codes:
            rows.strings.append(StringValue(code, folded, exact))


def _name(rows: Rows, codes: Codes, name: dict[str, Any]) -> None:
    family, text = name.get("family"), name.get("text")
    given = [g for g in name.get("given", ()) if isinstance(g, str)]
    parts = [family, *given, *name.get("prefix", ()), *name.get("suffix", ()), text]
    if not text and isinstance(family, str) and given:
        parts += [" ".join((family, *given)), " ".join((*given, family))]  # Vietnamese and Western order
    texts: dict[str, None] = {}
    for part in parts:
        if isinstance(part, str) and part:
            texts[part] = None
            if " " in part:
                words = part.split()
                starts = range(1, min(len(words), SUFFIX_WORDS))
                texts.update(dict.fromkeys(" ".join(words[start:]) for start in starts))
    for whole in texts:
        _string(rows, codes, whole)


def to_strings(rows: Rows, codes: Codes, value: Any, kind: str | None) -> None:
    if isinstance(value, str):
        _string(rows, codes, value)
        return
    kind = kind or _shape(value)
    if kind == "HumanName":
        _name(rows, codes, value)
    elif kind == "Address":
        for line in value.get("line", ()):
            _string(rows, codes, line)
        for part in ("city", "district", "state", "postalCode", "country", "text"):
            _string(rows, codes, value.get(part))
    elif kind == "CodeableConcept":
        _string(rows, codes, value.get("text"))


# -- token ----------------------------------------------------------------------------------------


def _folded(text: Any) -> str | None:
    return clip(fold(text)) if isinstance(text, str) and text else None


def _token(rows: Rows, codes: Codes, system: Any, code: Any, display: str | None = None) -> None:
    for param in codes:
        rows.tokens.append(TokenValue(param, system, code, display))


def _coding(rows: Rows, codes: Codes, coding: Any) -> None:
    if isinstance(coding, dict) and (coding.get("code") or coding.get("system") or coding.get("display")):
        _token(rows, codes, coding.get("system"), coding.get("code"), _folded(coding.get("display")))


def _identifier_types(rows: Rows, codes: Codes, identifier: dict[str, Any]) -> None:
    value, kind = identifier.get("value"), identifier.get("type")
    if not isinstance(value, str) or not value or not isinstance(kind, dict):
        return
    for coding in kind.get("coding", ()):
        if isinstance(coding, dict) and isinstance(coding.get("code"), str) and coding["code"]:
            of_type = f"{coding['code']}|{value}"
            rows.tokens.extend(TokenValue(of_type_param(c), coding.get("system"), of_type) for c in codes)


def to_tokens(rows: Rows, codes: Codes, value: Any, kind: str | None) -> None:
    if isinstance(value, bool):
        _token(rows, codes, None, "true" if value else "false")
        return
    if isinstance(value, str):
        _token(rows, codes, None, value)
        return
    kind = kind or _shape(value)
    if kind == "CodeableConcept":
        for coding in value.get("coding", ()):
            _coding(rows, codes, coding)
        if value.get("text"):
            _token(rows, codes, None, None, _folded(value["text"]))
    elif kind == "Coding":
        _coding(rows, codes, value)
    elif kind == "Identifier" and (value.get("value") or value.get("system")):
        type_text = (value.get("type") or {}).get("text")
        _token(rows, codes, value.get("system"), value.get("value"), _folded(type_text))
        _identifier_types(rows, codes, value)
    elif kind == "ContactPoint" and value.get("value"):
        _token(rows, codes, value.get("system"), value.get("value"))


# -- date -----------------------------------------------------------------------------------------


def to_dates(rows: Rows, codes: Codes, value: Any, kind: str | None) -> None:
    ranges: list[tuple[int, int]] = []
    try:
        if isinstance(value, str):
            ranges.append(date_range(value, rows.tz))
        elif (kind or _shape(value)) == "Period":
            ranges.append(period_range(value.get("start"), value.get("end"), rows.tz))
        elif (kind or _shape(value)) == "Timing":
            ranges.extend(date_range(event, rows.tz) for event in value.get("event", ()))
    except (ValueError, TypeError):
        return  # validated data never gets here; an index gap is better than a refused write
    rows.dates.extend(DateValue(code, low, high) for low, high in ranges for code in codes)


# -- reference ------------------------------------------------------------------------------------


def _reference(rows: Rows, codes: Codes, url: str) -> None:
    target_type, target_id = split_reference(url, rows.known_types)
    for code in codes:
        rows.references.append(ReferenceValue(code, target_type, target_id, url))


def to_references(rows: Rows, codes: Codes, value: Any, kind: str | None) -> None:
    if isinstance(value, str):  # canonical or uri
        _reference(rows, codes, value)
        return
    if not isinstance(value, dict):
        return
    text = value.get("reference")
    if isinstance(text, str) and text and not text.startswith("#"):  # "#x" is a contained resource
        _reference(rows, codes, text)
    identifier = value.get("identifier")
    if isinstance(identifier, dict) and (identifier.get("value") or identifier.get("system")):
        _token(rows, codes, identifier.get("system"), identifier.get("value"))


# -- number, quantity, uri ------------------------------------------------------------------------


def to_numbers(rows: Rows, codes: Codes, value: Any, kind: str | None) -> None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            number, low, high = number_range(_number_literal(value))
        except ValueError:
            return  # "1e999999999" is a valid FHIR decimal; no float holds it, so it is not indexed
        rows.numbers.extend(NumberValue(code, number, low, high) for code in codes)


def to_quantities(rows: Rows, codes: Codes, value: Any, kind: str | None) -> None:
    if not isinstance(value, dict):
        return
    number = value.get("value")
    if not isinstance(number, int | float) or isinstance(number, bool):
        return  # a Range, SampledData or Ratio: not indexed yet
    kind = kind or _shape(value)
    try:
        amount, low, high = number_range(_number_literal(number))
    except ValueError:
        return  # as in to_numbers
    system: str | None
    if kind == "Money":
        system, unit_code, unit = CURRENCY_SYSTEM, value.get("currency"), value.get("currency")
    elif kind in _QUANTITY_KINDS:
        system, unit_code, unit = value.get("system"), value.get("code"), value.get("unit")
    else:
        return
    canonical = _canonical(number, system, unit_code)
    for code in codes:
        rows.quantities.append(QuantityValue(code, amount, low, high, system, unit_code, unit, *canonical))


def _canonical(number: float | int, system: object, code: object) -> tuple[float | None, str | None]:
    """(canonical value, canonical unit) of a UCUM quantity (`search.ucum`), else (None, None)."""
    if system != UCUM_SYSTEM or not isinstance(code, str):
        return None, None
    try:
        found = ucum.canonical(Decimal(_number_literal(number)), code)
    except (ArithmeticError, ValueError):
        return None, None
    if found is None or not isfinite(found[0]):
        return None, None
    return found


def to_uris(rows: Rows, codes: Codes, value: Any, kind: str | None) -> None:
    if isinstance(value, str) and value:
        rows.uris.extend(UriValue(code, value) for code in codes)


Converter = Callable[[Rows, Codes, Any, "str | None"], None]
CONVERTERS: dict[str, Converter] = {
    "string": to_strings,
    "token": to_tokens,
    "date": to_dates,
    "reference": to_references,
    "number": to_numbers,
    "quantity": to_quantities,
    "uri": to_uris,
}
