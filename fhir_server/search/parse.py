"""Query parameters -> a typed `SearchRequest`, checked against the SearchParameter registry.

AND across parameters (a repeated parameter is another criterion), OR within one (`a,b`). Result
parameters (`_include`, `_summary`, ...) are set aside untouched for the services that apply them.
Unknown parameters and modifiers, and those not supported yet (chains, `_has`, composite, `:of-type`,
`:in`, `:above`/`:below` outside uri), raise 400 `not-supported` under `strict` and are otherwise listed
in `ignored`, so that the self link can leave them out (FHIR search §3.1.1.1). A malformed value
(`date=notadate`, `_count=-1`, an unknown prefix) is a 400 `invalid` in both modes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo

from fhir_server.definitions.registry import SearchParamDef, SearchParamRegistry
from fhir_server.model.outcome import FhirError
from fhir_server.search.convert import number_range, split_reference
from fhir_server.search.dates import date_query, split_prefix
from fhir_server.search.normalize import fold
from fhir_server.search.request import (
    Criterion,
    NumberQuery,
    Prefix,
    QuantityQuery,
    QueryValue,
    ReferenceQuery,
    SearchRequest,
    SortKey,
    StringQuery,
    TokenQuery,
    UriQuery,
)

RESULT_PARAMETERS = frozenset(
    {
        "_include",
        "_revinclude",
        "_summary",
        "_elements",
        "_total",
        "_format",
        "_pretty",
        "_contained",
        "_containedType",
    }
)
NOT_SUPPORTED = frozenset({"_text", "_content", "_list", "_query", "_has", "_filter", "_type"})
_MODIFIERS: dict[str, frozenset[str]] = {
    "string": frozenset({"exact", "contains", "missing"}),
    "token": frozenset({"not", "text", "missing"}),
    "date": frozenset({"missing"}),
    "reference": frozenset({"identifier", "missing"}),  # plus `:[Type]`
    "number": frozenset({"missing"}),
    "quantity": frozenset({"missing"}),
    "uri": frozenset({"missing"}),  # :below / :above come with the search issue
}
_ID_PATTERN = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_ESCAPED = re.compile(r"\\([\\,|$])")


@dataclass(frozen=True, slots=True)
class ParsedSearch:
    request: SearchRequest
    ignored: tuple[str, ...] = ()  # parameter names (with modifier) left out, lenient mode only
    result_params: tuple[tuple[str, str], ...] = ()  # _include, _summary, ... as received


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


def _invalid(name: str, en: str, vi: str) -> FhirError:
    return FhirError.of(
        400, "invalid", f"Search parameter '{name}': {en}", f"Tham số tìm kiếm '{name}': {vi}", name
    )


class _Parser:
    def __init__(
        self,
        resource_type: str,
        registry: SearchParamRegistry,
        strict: bool,
        tz: tzinfo,
        base_url: str | None,
    ) -> None:
        self.resource_type = resource_type
        self.params = registry.for_type(resource_type)
        self.known_types = frozenset(registry.by_type)
        self.strict = strict
        self.tz = tz
        self.base_url = base_url.rstrip("/") + "/" if base_url else None
        self.ignored: list[str] = []

    def unsupported(self, name: str, en: str, vi: str) -> None:
        if self.strict:
            raise FhirError.of(400, "not-supported", en, vi, name)
        self.ignored.append(name)

    # -- one parameter -----------------------------------------------------------------------------

    def criterion(self, name: str, raw: str) -> Criterion | None:
        code, _, modifier = name.partition(":")
        if code == "_id":
            if modifier:
                self._bad_modifier(name, code, modifier)
                return None
            return Criterion(
                "_id", "token", None, tuple(TokenQuery(None, unescape(v)) for v in self._values(raw))
            )
        if code == "_lastUpdated":
            if modifier:
                self._bad_modifier(name, code, modifier)
                return None
            return Criterion(
                "_lastUpdated", "date", None, tuple(self._date(name, v) for v in self._values(raw))
            )
        definition = self.params.get(code)
        if definition is None or code in NOT_SUPPORTED or "." in code:
            what = "chained search" if "." in code else f"search parameter '{code}'"
            self.unsupported(
                name,
                f"Unknown or unsupported {what} for {self.resource_type}",
                f"Không hỗ trợ tham số tìm kiếm '{code}' cho {self.resource_type}",
            )
            return None
        if definition.type not in _MODIFIERS:
            self.unsupported(
                name,
                f"Search parameters of type {definition.type} ('{code}') are not supported yet",
                f"Chưa hỗ trợ tham số tìm kiếm kiểu {definition.type} ('{code}')",
            )
            return None
        is_type_modifier = definition.type == "reference" and modifier in self.known_types
        if modifier and modifier not in _MODIFIERS[definition.type] and not is_type_modifier:
            self._bad_modifier(name, code, modifier)
            return None
        stored = definition.index_code or code  # the rows it searches (shared expressions are stored once)
        if modifier == "missing":
            if raw not in ("true", "false"):
                raise _invalid(name, "':missing' takes true or false", "':missing' chỉ nhận true hoặc false")
            return Criterion(stored, definition.type, "missing", (), missing=raw == "true")
        values = tuple(self._value(name, definition, modifier, v) for v in self._values(raw))
        return Criterion(stored, definition.type, modifier or None, values)

    def _bad_modifier(self, name: str, code: str, modifier: str) -> None:
        self.unsupported(
            name,
            f"Modifier ':{modifier}' is not supported for search parameter '{code}'",
            f"Không hỗ trợ bổ ngữ ':{modifier}' cho tham số tìm kiếm '{code}'",
        )

    @staticmethod
    def _values(raw: str) -> list[str]:
        return [v for v in split_escaped(raw, ",") if v != ""]

    def _value(self, name: str, definition: SearchParamDef, modifier: str, raw: str) -> QueryValue:
        kind = definition.type
        if kind == "string" or (kind == "token" and modifier == "text"):
            text = unescape(raw)
            return StringQuery(text if modifier == "exact" else fold(text))
        if kind == "token" or (kind == "reference" and modifier == "identifier"):
            return self._token(name, raw)
        if kind == "date":
            return self._date(name, raw)
        if kind == "reference":
            return self._reference(name, unescape(raw), modifier)
        if kind == "number":
            prefix, number = self._prefixed(name, unescape(raw))
            return NumberQuery(prefix, *self._number(name, number, prefix))
        if kind == "quantity":
            return self._quantity(name, raw)
        return UriQuery(unescape(raw))

    def _token(self, name: str, raw: str) -> TokenQuery:
        parts = split_escaped(raw, "|")
        if len(parts) == 1:
            return TokenQuery(None, unescape(parts[0]))
        if len(parts) != 2 or parts == ["", ""]:
            raise _invalid(name, f"'{raw}' is not [system]|[code]", f"'{raw}' không có dạng [system]|[code]")
        system, code = unescape(parts[0]), unescape(parts[1])
        return TokenQuery(system, code or None)

    def _date(self, name: str, raw: str) -> QueryValue:
        try:
            return date_query(unescape(raw), self.tz)
        except ValueError:
            raise _invalid(name, f"'{raw}' is not a valid date", f"'{raw}' không phải ngày hợp lệ") from None

    def _prefixed(self, name: str, raw: str) -> tuple[Prefix, str]:
        try:
            return split_prefix(raw)
        except ValueError:
            raise _invalid(
                name, f"'{raw}' has an unknown prefix", f"'{raw}' có tiền tố không hợp lệ"
            ) from None

    @staticmethod
    def _number(name: str, text: str, prefix: Prefix) -> tuple[float, float, float]:
        """(value, low, high); for `ap` the range is widened to ±10% of the value (FHIR's suggestion)."""
        try:
            value, low, high = number_range(text)
        except ValueError:
            raise _invalid(name, f"'{text}' is not a number", f"'{text}' không phải là số") from None
        if prefix == "ap":
            slack = abs(value) / 10
            low, high = min(low, value - slack), max(high, value + slack)
        return value, low, high

    def _quantity(self, name: str, raw: str) -> QuantityQuery:
        parts = split_escaped(raw, "|")
        if len(parts) not in (1, 3):
            raise _invalid(
                name,
                f"'{raw}' is not [prefix]number|system|code",
                f"'{raw}' không có dạng [tiền tố]số|system|code",
            )
        prefix, number = self._prefixed(name, unescape(parts[0]))
        system, code = (unescape(p) or None for p in parts[1:]) if len(parts) == 3 else (None, None)
        return QuantityQuery(prefix, *self._number(name, number, prefix), system, code)

    def _reference(self, name: str, text: str, modifier: str) -> ReferenceQuery:
        type_hint = modifier or None  # `subject:Patient=123`
        if self.base_url and text.startswith(self.base_url):
            text = text[len(self.base_url) :]  # a reference to this server is the same as a relative one
        if "://" in text or text.startswith(("urn:", "#")):
            return ReferenceQuery(None, None, text)
        target_type, target_id = split_reference(text, self.known_types)
        if target_type is not None and "/" in text and text.startswith(target_type):
            if type_hint and type_hint != target_type:
                raise _invalid(name, f"'{text}' is not a {type_hint}", f"'{text}' không phải là {type_hint}")
            return ReferenceQuery(target_type, target_id, None)
        if _ID_PATTERN.fullmatch(text):
            return ReferenceQuery(type_hint, text, None)
        return ReferenceQuery(None, None, text)

    # -- _sort, _count, _offset ---------------------------------------------------------------------

    def sort(self, raw: str) -> tuple[SortKey, ...]:
        keys, unknown = [], []
        for item in (v.strip() for v in raw.split(",")):
            code = item.lstrip("-")
            if code in ("_id", "_lastUpdated") or (code in self.params and code not in NOT_SUPPORTED):
                keys.append(SortKey(code, item.startswith("-")))
            elif code:
                unknown.append(code)
        if unknown and (self.strict or not keys):
            self.unsupported(
                "_sort",
                f"Cannot sort {self.resource_type} by unknown parameter(s) {', '.join(unknown)}",
                f"Không thể sắp xếp {self.resource_type} theo tham số không rõ {', '.join(unknown)}",
            )
        return tuple(keys)


def _non_negative(name: str, raw: str) -> int:
    if not raw.strip().isdigit():
        raise _invalid(
            name, f"'{raw}' is not a non-negative integer", f"'{raw}' không phải số nguyên không âm"
        )
    return int(raw)


def parse_search(
    resource_type: str,
    params: Sequence[tuple[str, str]],
    registry: SearchParamRegistry,
    *,
    strict: bool,
    default_tz: tzinfo,
    base_url: str | None = None,
) -> ParsedSearch:
    """Parse `params` (decoded name/value pairs in order) for a search on `resource_type`.

    `base_url`, when given, makes absolute references to this server equal to relative ones."""
    parser = _Parser(resource_type, registry, strict, default_tz, base_url)
    criteria: list[Criterion] = []
    result: list[tuple[str, str]] = []
    sort: tuple[SortKey, ...] = ()
    count, offset = 20, 0
    for name, raw in params:
        base_name = name.partition(":")[0]
        if base_name in RESULT_PARAMETERS:
            result.append((name, raw))
        elif name == "_count":
            count = _non_negative(name, raw)
        elif name == "_offset":
            offset = _non_negative(name, raw)
        elif name == "_sort":
            sort = parser.sort(raw)
        elif raw == "" or raw.isspace():
            parser.ignored.append(name)  # FHIR: a parameter without a value is ignored
        elif (criterion := parser.criterion(name, raw)) is not None:
            if criterion.values or criterion.missing is not None:
                criteria.append(criterion)
            else:
                parser.ignored.append(name)  # only empty values, e.g. "a=,"
    request = SearchRequest(resource_type, tuple(criteria), sort, count, offset)
    return ParsedSearch(request, tuple(dict.fromkeys(parser.ignored)), tuple(result))
