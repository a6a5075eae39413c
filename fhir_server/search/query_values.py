"""One value of a search parameter -> its typed `QueryValue`, per parameter type (FHIR search §3.1.1 and
§3.1.1.4); `search.parse` decides which parameter and modifier a value belongs to.

Every malformed value raises a 400 `invalid` FhirError naming the parameter. Texts are folded and cut to
`convert.MAX_TEXT` characters exactly as the stored rows are, so both sides of a comparison agree.
"""

from __future__ import annotations

import re
from datetime import tzinfo
from decimal import Decimal
from math import isfinite
from typing import Final

from fhir_server.model.ids import ID_PATTERN
from fhir_server.model.outcome import FhirError
from fhir_server.search import ucum
from fhir_server.search.convert import UnrepresentableNumber, clip, number_range, split_reference
from fhir_server.search.dates import date_query, split_prefix
from fhir_server.search.normalize import fold
from fhir_server.search.request import (
    CanonicalQuantity,
    NumberQuery,
    Prefix,
    QuantityQuery,
    QueryValue,
    ReferenceQuery,
    StringQuery,
    TokenQuery,
)
from fhir_server.search.ucum import UCUM_SYSTEM

_ESCAPED: Final = re.compile(r"\\([\\,|$])")
_NON_NEGATIVE: Final = re.compile(r"[0-9]{1,9}")  # ASCII only: str.isdigit() accepts "²", int() does not


def split_escaped(text: str, sep: str) -> list[str]:
    """Split on `sep` unless escaped with a backslash; escapes stay in the parts for the next level."""
    parts, current, i = [], [], 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if char == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    parts.append("".join(current))
    return parts


def unescape(text: str) -> str:
    return _ESCAPED.sub(r"\1", text)


def invalid(name: str, en: str, vi: str) -> FhirError:
    return FhirError.of(
        400, "invalid", f"Search parameter '{name}': {en}", f"Tham số tìm kiếm '{name}': {vi}", name
    )


def non_negative(name: str, raw: str) -> int:
    """`_count` / `_offset`: up to nine ASCII digits."""
    if not _NON_NEGATIVE.fullmatch(raw):
        raise invalid(
            name, f"'{raw}' is not a non-negative integer", f"'{raw}' không phải số nguyên không âm"
        )
    return int(raw)


def string_query(raw: str, modifier: str) -> StringQuery:
    """`:exact` compares the text as written, anything else the folded text (both cut like the rows)."""
    text = unescape(raw)
    return StringQuery(clip(text if modifier == "exact" else fold(text)))


def token_query(name: str, raw: str) -> TokenQuery:
    parts = split_escaped(raw, "|")
    if len(parts) == 1:
        return TokenQuery(None, unescape(parts[0]))
    if len(parts) != 2 or parts == ["", ""]:
        raise invalid(name, f"'{raw}' is not [system]|[code]", f"'{raw}' không có dạng [system]|[code]")
    system, code = unescape(parts[0]), unescape(parts[1])
    return TokenQuery(system, code or None)


def of_type_query(name: str, raw: str) -> TokenQuery:
    """`identifier:of-type=[type system]|[type code]|[value]` -> the token its derived rows are matched
    with (search.convert): system = type system ("" = none), code = "type code|value"."""
    parts = split_escaped(raw, "|")
    if len(parts) != 3 or not parts[1] or not parts[2]:
        raise invalid(
            name,
            f"'{raw}' is not [type system]|[type code]|[value]",
            f"'{raw}' không có dạng [hệ mã loại]|[mã loại]|[giá trị]",
        )
    system, code, value = (unescape(part) for part in parts)
    return TokenQuery(system, f"{code}|{value}")


def date_value(name: str, raw: str, tz: tzinfo) -> QueryValue:
    try:
        return date_query(unescape(raw), tz)
    except ValueError:
        raise invalid(name, f"'{raw}' is not a valid date", f"'{raw}' không phải ngày hợp lệ") from None


def _prefixed(name: str, raw: str) -> tuple[Prefix, str]:
    try:
        return split_prefix(raw)
    except ValueError:
        raise invalid(name, f"'{raw}' has an unknown prefix", f"'{raw}' có tiền tố không hợp lệ") from None


def _number(name: str, text: str, prefix: Prefix) -> tuple[float, float, float]:
    """(value, low, high); for `ap` the range is widened to ±10% of the value (FHIR's suggestion)."""
    try:
        value, low, high = number_range(text)
    except UnrepresentableNumber:
        raise invalid(
            name,
            f"'{text}' is outside the range of numbers this server can search",
            f"'{text}' nằm ngoài phạm vi số mà máy chủ có thể tìm kiếm",
        ) from None
    except ValueError:
        raise invalid(name, f"'{text}' is not a number", f"'{text}' không phải là số") from None
    if prefix == "ap":
        slack = abs(value) / 10
        low, high = min(low, value - slack), max(high, value + slack)
    return value, low, high


def number_query(name: str, raw: str) -> NumberQuery:
    prefix, number = _prefixed(name, unescape(raw))
    return NumberQuery(prefix, *_number(name, number, prefix))


def quantity_query(name: str, raw: str) -> QuantityQuery:
    parts = split_escaped(raw, "|")
    if len(parts) not in (1, 3):
        raise invalid(
            name,
            f"'{raw}' is not [prefix]number|system|code",
            f"'{raw}' không có dạng [tiền tố]số|system|code",
        )
    prefix, number = _prefixed(name, unescape(parts[0]))
    system, code = (unescape(p) or None for p in parts[1:]) if len(parts) == 3 else (None, None)
    value, low, high = _number(name, number, prefix)
    canonical = None
    if system == UCUM_SYSTEM and code is not None:
        canonical = _canonical(number, low, high, code)
    return QuantityQuery(prefix, value, low, high, system, code, canonical)


def _canonical(number: str, low: float, high: float, code: str) -> CanonicalQuantity | None:
    """The query value and its range in the canonical unit of a UCUM code; None if the code does not
    convert (then rows match its system|code as written)."""
    try:
        value = ucum.canonical(Decimal(number), code)
        bounds = ucum.canonical(low, code), ucum.canonical(high, code)
    except (ArithmeticError, ValueError):  # a value no float holds once converted
        return None
    if value is None or bounds[0] is None or bounds[1] is None:
        return None
    if not all(isfinite(v) for v in (value[0], bounds[0][0], bounds[1][0])):
        return None
    return CanonicalQuantity(value[0], bounds[0][0], bounds[1][0], value[1])


def reference_query(
    name: str, text: str, modifier: str, base_url: str | None, known_types: frozenset[str]
) -> ReferenceQuery:
    """`text` is unescaped; `base_url` ends with "/" and makes absolute references to this server
    relative."""
    type_hint = modifier or None  # `subject:Patient=123`
    if base_url and text.startswith(base_url):
        text = text[len(base_url) :]
    if "://" in text or text.startswith(("urn:", "#")):
        return ReferenceQuery(None, None, text)
    target_type, target_id = split_reference(text, known_types)
    if target_type is not None and "/" in text and text.startswith(target_type):
        if type_hint and type_hint != target_type:
            raise invalid(name, f"'{text}' is not a {type_hint}", f"'{text}' không phải là {type_hint}")
        return ReferenceQuery(target_type, target_id, None)
    if ID_PATTERN.fullmatch(text):
        return ReferenceQuery(type_hint, text, None)
    return ReferenceQuery(None, None, text)
