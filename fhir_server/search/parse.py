"""Query parameters -> a typed `SearchRequest`, checked against the SearchParameter registry.

AND across parameters (a repeated parameter is another criterion), OR within one (`a,b`). Result
parameters (`_include`, `_summary`, ...) are set aside untouched for the services that apply them.
Chains (`patient.identifier=`, `subject:Patient.name=`) and reverse chains
(`_has:Immunization:patient:vaccine-code=`), nested at most MAX_NESTING levels together, parse into
`ChainQuery` / `HasQuery` values whose
inner criterion is parsed against the other resource type by the same rules.
`:in` / `:not-in` on tokens take the ValueSet's expansion from the registry (registry.value_sets, built
once) as one `ValueSetQuery` value, whatever its size (`:not-in` as `:not` of it). Unknown parameters
and modifiers, and those not supported yet (composite, `:above`/`:below` outside uri), raise 400
`not-supported` under `strict` and are otherwise listed in `ignored`, so that the self link can leave
them out (FHIR search §3.1.1.1). A malformed value
(`date=notadate`, `_count=-1`, an unknown prefix) is a 400 `invalid` in both modes; the value syntax of
each parameter type lives in `search.query_values`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo

from fhir_server.definitions.registry import ParamType, SearchParamDef, SearchParamRegistry
from fhir_server.model.outcome import FhirError
from fhir_server.search.index import of_type_param
from fhir_server.search.query_values import (
    date_value,
    invalid,
    non_negative,
    number_query,
    of_type_query,
    quantity_query,
    reference_query,
    split_escaped,
    string_query,
    token_query,
    unescape,
)
from fhir_server.search.request import (
    ChainQuery,
    CompositeQuery,
    Criterion,
    HasQuery,
    QueryValue,
    SearchRequest,
    SortKey,
    TokenQuery,
    UriQuery,
    ValueSetQuery,
)

MAX_VALUES = 100  # ORed values of one parameter (SQLite unions at most 500 arms)
MAX_NESTING = 2  # chain hops plus _has levels: `patient.organization.name` is 2; deeper nests SQL too far
RESULT_PARAMETERS = frozenset(
    {
        "_include",
        "_revinclude",
        "_summary",
        "_elements",
        "_total",
        "_format",
        "_pretty",
    }
)
NOT_SUPPORTED = frozenset({"_text", "_content", "_list", "_query", "_filter", "_type"})
_SPECIAL_SORT: dict[str, ParamType] = {"_id": "token", "_lastUpdated": "date"}
_MODIFIERS: dict[str, frozenset[str]] = {
    "string": frozenset({"exact", "contains", "missing"}),
    "token": frozenset({"not", "text", "missing", "of-type", "in", "not-in"}),
    "date": frozenset({"missing"}),
    "reference": frozenset({"identifier", "missing"}),  # plus `:[Type]`
    "number": frozenset({"missing"}),
    "quantity": frozenset({"missing"}),
    "uri": frozenset({"below", "above", "missing"}),
    "composite": frozenset({"missing"}),  # components take no modifiers
}
SUPPORTED_TYPES: frozenset[str] = frozenset(_MODIFIERS)
"""Parameter types searched; the others are answered per `Prefer: handling` (and logged at start-up)."""


@dataclass(frozen=True, slots=True)
class ParsedSearch:
    request: SearchRequest
    ignored: tuple[str, ...] = ()  # parameter names (with modifier) left out, lenient mode only
    result_params: tuple[tuple[str, str], ...] = ()  # _include, _summary, ... as received


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
        self.registry = registry
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
        if name.count(".") + name.count("_has:") > MAX_NESTING:
            raise FhirError.of(
                400,
                "too-costly",
                f"'{name}' nests chains or _has more than {MAX_NESTING} levels deep",
                f"'{name}' lồng chuỗi tham chiếu hoặc _has sâu hơn {MAX_NESTING} cấp",
                name,
            )
        if name.startswith("_has:"):
            return self._has(name, raw)
        head, dot, rest = name.partition(".")
        if dot:
            return self._chain(name, head, rest, raw)
        code, _, modifier = name.partition(":")
        if code == "_id":
            if modifier:
                self._bad_modifier(name, code, modifier)
                return None
            return Criterion(
                "_id", "token", None, tuple(TokenQuery(None, unescape(v)) for v in self._values(name, raw))
            )
        if code == "_lastUpdated":
            if modifier:
                self._bad_modifier(name, code, modifier)
                return None
            return Criterion(
                "_lastUpdated",
                "date",
                None,
                tuple(date_value(name, v, self.tz) for v in self._values(name, raw)),
            )
        definition = self.params.get(code)
        if definition is None or code in NOT_SUPPORTED:
            self.unsupported(
                name,
                f"Unknown or unsupported search parameter '{code}' for {self.resource_type}",
                f"Không hỗ trợ tham số tìm kiếm '{code}' cho {self.resource_type}",
            )
            return None
        if definition.type not in _MODIFIERS or (
            definition.type == "composite" and not definition.component_types
        ):
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
        if modifier == "of-type":  # plain tokens under a derived code (index.of_type_param)
            queries = tuple(of_type_query(name, v) for v in self._values(name, raw))
            return Criterion(of_type_param(stored), "token", None, queries)
        if modifier in ("in", "not-in"):
            return Criterion(stored, "token", "not" if modifier == "not-in" else None, self._in(name, raw))
        if modifier == "missing":
            if raw not in ("true", "false"):
                raise invalid(name, "':missing' takes true or false", "':missing' chỉ nhận true hoặc false")
            return Criterion(stored, definition.type, "missing", (), missing=raw == "true")
        values = tuple(self._value(name, definition, modifier, v) for v in self._values(name, raw))
        return Criterion(stored, definition.type, modifier or None, values)

    def _in(self, name: str, raw: str) -> tuple[QueryValue, ...]:
        """`code:in=[ValueSet url]`: one value holding the expansion (`:not-in`: none of it), as the
        registry built it once at start-up; no bound on its size (each backend tests membership per
        system). An empty value set matches no code, so `:in` finds nothing and `:not-in` everything."""
        url = unescape(raw).split("|", maxsplit=1)[0]
        codes = self.registry.value_sets.get(url)
        if codes is None:
            raise invalid(
                name,
                f"Unknown ValueSet {url}, or one this server cannot expand (see GET ValueSet?url=)",
                f"Không có tập giá trị {url}, hoặc máy chủ không mở rộng được tập này",
            )
        return (ValueSetQuery(codes),)

    def _inner(self, resource_type: str, name: str, raw: str) -> Criterion | None:
        """`name=raw` parsed for another resource type; its own lenient leftovers are not reported
        (the caller reports the whole parameter)."""
        inner = _Parser(resource_type, self.registry, self.strict, self.tz, self.base_url)
        criterion = inner.criterion(name, raw)
        if criterion is None or (not criterion.values and criterion.missing is None):
            return None
        return criterion

    def _chain(self, name: str, head: str, rest: str, raw: str) -> Criterion | None:
        """`ref[:Type].rest`: the targets of `ref` (or the one `:Type`) that know the first parameter of
        `rest`, ORed when there are several (R4 targets are broad: Immunization.patient lists Group too,
        and a reference's own type settles which one applies, so the OR never mixes types)."""
        code, _, modifier = head.partition(":")
        definition = self.params.get(code)
        if definition is None or definition.type != "reference":
            self.unsupported(
                name,
                f"'{code}' is not a reference parameter of {self.resource_type}: it cannot be chained",
                f"'{code}' không phải tham số tham chiếu của {self.resource_type}: không thể nối chuỗi",
            )
            return None
        targets = definition.targets or tuple(sorted(self.known_types))
        if modifier:
            targets = tuple(t for t in targets if t == modifier)
        first = rest.partition(".")[0].partition(":")[0]
        special = first in ("_id", "_lastUpdated") or rest.startswith("_has:")
        candidates = [t for t in targets if special or first in self.registry.for_type(t)]
        values: list[QueryValue] = []
        for target in candidates:
            inner = self._inner(target, rest, raw)
            if inner is not None:
                values.append(ChainQuery(target, inner))
        if not values:
            if candidates:  # the inner parameter was ignored (lenient)
                self.ignored.append(name)
                return None
            self.unsupported(
                name,
                f"No target of '{head}' has a search parameter '{first}'",
                f"Không đích nào của '{head}' có tham số tìm kiếm '{first}'",
            )
            return None
        return Criterion(definition.index_code or code, "reference", None, tuple(values))

    def _has(self, name: str, raw: str) -> Criterion | None:
        """`_has:Type:ref:inner`: some `Type` resource matching `inner` refers here through `ref`."""
        referring, ref, inner_name = [*name.split(":", 3), "", "", ""][1:4]
        definition = self.registry.get(referring, ref)
        if (
            definition is None
            or definition.type != "reference"
            or not inner_name
            or (definition.targets and self.resource_type not in definition.targets)
        ):
            self.unsupported(
                name,
                f"'{name}' does not name a reference parameter of a resource type that can refer to"
                f" {self.resource_type}",
                f"'{name}' không chỉ ra tham số tham chiếu của loại tài nguyên có thể tham chiếu đến"
                f" {self.resource_type}",
            )
            return None
        inner = self._inner(referring, inner_name, raw)
        if inner is None:
            self.ignored.append(name)
            return None
        return Criterion(
            "_has", "reference", None, (HasQuery(referring, definition.index_code or ref, inner),)
        )

    def _bad_modifier(self, name: str, code: str, modifier: str) -> None:
        self.unsupported(
            name,
            f"Modifier ':{modifier}' is not supported for search parameter '{code}'",
            f"Không hỗ trợ bổ ngữ ':{modifier}' cho tham số tìm kiếm '{code}'",
        )

    @staticmethod
    def _values(name: str, raw: str) -> list[str]:
        values = [v for v in split_escaped(raw, ",") if v != ""]
        if len(values) > MAX_VALUES:
            raise FhirError.of(
                400,
                "too-costly",
                f"'{name}' has more than {MAX_VALUES} values",
                f"'{name}' có hơn {MAX_VALUES} giá trị",
                name,
            )
        return values

    def _value(self, name: str, definition: SearchParamDef, modifier: str, raw: str) -> QueryValue:
        if definition.type == "composite":
            return self._composite(name, definition.component_types, raw)
        return self._typed(name, definition.type, modifier, raw)

    def _composite(self, name: str, types: tuple[ParamType, ...], raw: str) -> QueryValue:
        """`part$part`: one value per component, each parsed by its component's type."""
        parts = split_escaped(raw, "$")
        if len(parts) != len(types) or any(not part for part in parts):
            raise invalid(
                name,
                f"'{raw}' needs {len(types)} values joined by '$'",
                f"'{raw}' cần {len(types)} giá trị nối bằng '$'",
            )
        return CompositeQuery(
            tuple(self._typed(name, kind, "", part) for kind, part in zip(types, parts, strict=True))
        )

    def _typed(self, name: str, kind: ParamType, modifier: str, raw: str) -> QueryValue:
        if kind == "string" or (kind == "token" and modifier == "text"):
            return string_query(raw, modifier)
        if kind == "token" or (kind == "reference" and modifier == "identifier"):
            return token_query(name, raw)
        if kind == "date":
            return date_value(name, raw, self.tz)
        if kind == "reference":
            return reference_query(name, unescape(raw), modifier, self.base_url, self.known_types)
        if kind == "number":
            return number_query(name, raw)
        if kind == "quantity":
            return quantity_query(name, raw)
        return UriQuery(unescape(raw))

    # -- _sort ---------------------------------------------------------------------

    def sort(self, raw: str) -> tuple[SortKey, ...]:
        keys, unknown = [], []
        for item in (v.strip() for v in raw.split(",")):
            code = item.lstrip("-")
            descending = item.startswith("-")
            if code in _SPECIAL_SORT:
                keys.append(SortKey(code, descending, _SPECIAL_SORT[code]))
            elif code in self.params and code not in NOT_SUPPORTED:
                definition = self.params[code]
                keys.append(SortKey(definition.index_code or code, descending, definition.type))
            elif code:
                unknown.append(code)
        if unknown and (self.strict or not keys):
            self.unsupported(
                "_sort",
                f"Cannot sort {self.resource_type} by unknown parameter(s) {', '.join(unknown)}",
                f"Không thể sắp xếp {self.resource_type} theo tham số không rõ {', '.join(unknown)}",
            )
        return tuple(keys)


def is_empty(raw: str) -> bool:
    """A value that names nothing: blank, or only commas (the caller leaves it out of links too)."""
    return not raw.replace(",", "").strip()


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
    cursor: str | None = None
    for name, raw in params:
        base_name = name.partition(":")[0]
        if base_name in RESULT_PARAMETERS:
            result.append((name, raw))
        elif name == "_count":
            count = non_negative(name, raw)
        elif name == "_offset":
            offset = non_negative(name, raw)
        elif name == "_cursor":  # opaque, from a next link: the store decodes it (a bad one is a 400)
            cursor = raw or None
        elif name == "_sort":
            sort = parser.sort(raw)
        elif not is_empty(raw):  # FHIR: a parameter without a value (`a=`, `a=,`) is ignored
            criterion = parser.criterion(name, raw)
            if criterion is not None and (criterion.values or criterion.missing is not None):
                criteria.append(criterion)
    request = SearchRequest(resource_type, tuple(criteria), sort, count, offset, cursor)
    return ParsedSearch(request, tuple(dict.fromkeys(parser.ignored)), tuple(result))
