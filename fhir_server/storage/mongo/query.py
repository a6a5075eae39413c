"""A SearchRequest compiled to a MongoDB filter over `resources` and, for `_sort`, an aggregation.

An AND of criteria, each an OR of its values; each value is an `$elemMatch` on the `_idx` array of its
kind, led by the parameter code, which the multikey indexes (`ensure_indexes`) answer. Chains and
`_has` are answered first by a search of the other type (`Lookup`), whose ids become an `$in`: MongoDB
has no correlated subquery, and `$lookup` cannot join sharded collections cheaply.

Order: `_sort` keys, then `seq`, the creation position (stable under concurrent writes). Each sort key
is computed from the resource's own rows with the tiers of `search.sorting`, the oracle.
"""

from __future__ import annotations

from typing import Any, Final, Protocol

from fhir_server.search.request import (
    ChainQuery,
    CompositeQuery,
    Criterion,
    DateQuery,
    HasQuery,
    NumberQuery,
    QuantityQuery,
    QueryValue,
    ReferenceQuery,
    SearchRequest,
    SortKey,
    StringQuery,
    TokenQuery,
    UriQuery,
    ValueSetQuery,
)
from fhir_server.search.sorting import TOKEN_SEPARATOR, SortValue
from fhir_server.storage.mongo.documents import (
    COMPARTMENT_REFERENCE,
    KINDS,
    PARTIAL_KINDS,
    SHARED_TYPES,
    composite_part,
    resource_key,
)
from fhir_server.storage.mongo.filters import (
    CONDITIONS,
    NOTHING,
    Condition,
    is_absolute,
    modifier_error,
    not_supported,
    range_condition,
    value_set_conditions,
)

Pipeline = list[dict[str, Any]]


class Lookup(Protocol):
    """What a chain or `_has` needs from the database: ids of another type's matches."""

    def ids(self, request: SearchRequest) -> list[str]: ...

    def referred(self, request: SearchRequest, reference_param: str, target_type: str) -> list[str]: ...


def request_filter(request: SearchRequest, lookup: Lookup) -> Condition:
    """The current, non-deleted resources of the type that match every criterion."""
    parts: list[Condition] = [{"t": request.resource_type}, {"del": False}]
    parts += [_criterion(request.resource_type, c, lookup) for c in request.criteria]
    parts += [_alternatives(request.resource_type, group, lookup) for group in request.alternatives]
    parts += [hint for c in request.criteria if (hint := compartment_hint(request.resource_type, c))]
    if request.resource_type in SHARED_TYPES:  # outside every compartment: all in the one `pc: null` chunk
        parts.append({"pc": None})
    return {"$and": [part for part in parts if part]}  # `{}` (always true) adds nothing


def _alternatives(resource_type: str, group: tuple[Criterion, ...], lookup: Lookup) -> Condition:
    """One group of `SearchRequest.alternatives`: at least one of its criteria (none: nothing matches)."""
    if not group:
        return NOTHING
    conditions = [_criterion(resource_type, c, lookup) for c in group]
    return conditions[0] if len(conditions) == 1 else {"$or": conditions}


def compartment_hint(resource_type: str, criterion: Criterion) -> Condition | None:
    """`pc` (the shard key, documents.compartment) implied by a criterion, so that a sharded cluster
    sends the query to the shards of those children only: a Patient's `_id`, or the 1..1 patient
    reference of the types in COMPARTMENT_REFERENCE. Redundant with the criterion itself (same matches)."""
    wanted: set[str | None] = set()
    if resource_type == "Patient" and criterion.param == "_id" and criterion.missing is None:
        wanted = {v.code for v in criterion.values if isinstance(v, TokenQuery)}
    elif COMPARTMENT_REFERENCE.get(resource_type) == criterion.param and criterion.modifier in (
        None,
        "Patient",
    ):
        if criterion.missing is not None or not all(
            isinstance(v, ReferenceQuery) and v.target_type in (None, "Patient") and v.url is None
            for v in criterion.values
        ):
            return None
        wanted = {v.target_id for v in criterion.values if isinstance(v, ReferenceQuery)}
    ids = sorted(id for id in wanted if id is not None)
    return {"pc": {"$in": ids}} if ids and len(ids) == len(wanted) else None


def _criterion(resource_type: str, criterion: Criterion, lookup: Lookup) -> Condition:
    if criterion.param == "_id":
        return _id_criterion(resource_type, criterion)
    if criterion.param == "_lastUpdated":
        return _last_updated_criterion(criterion)
    if criterion.param == "_has":
        return _has_criterion(resource_type, criterion, lookup)
    kind = "token" if criterion.modifier == "identifier" else criterion.type
    if kind not in KINDS:
        raise not_supported(
            f"Search on {criterion.type} parameters ({criterion.param}) is not supported",
            f"Chưa hỗ trợ tìm kiếm theo tham số kiểu {criterion.type} ({criterion.param})",
            criterion.param,
        )
    field = f"_idx.{KINDS[kind]}"
    if criterion.missing is not None:
        present = {field: {"$elemMatch": {"p": criterion.param}}}
        return {"$nor": [present]} if criterion.missing else present
    if not criterion.values:
        raise _no_values(criterion)
    conditions = [c for value in criterion.values for c in _value(kind, value, criterion, lookup)]
    if not conditions:  # an empty ValueSet: `:in` matches nothing, `:not-in` everything
        return {} if criterion.modifier == "not" else NOTHING
    alternatives = [{field: {"$elemMatch": {"p": criterion.param, **c}}} for c in conditions]
    matched: Condition = alternatives[0] if len(alternatives) == 1 else {"$or": alternatives}
    if _chains_to_compartment(resource_type, criterion):
        # `patient.identifier=…`: the patients found are the shard keys of the matches (compartment_hint).
        ids = sorted({id for c in conditions for id in c["ti"]["$in"]})
        matched = {"$and": [{"pc": {"$in": ids}}, matched]}
    if kind in PARTIAL_KINDS:  # lets the planner use the kind's partial index (indexes.py)
        matched = {"$and": [{field: {"$exists": True}}, matched]}
    elif kind == "reference" and all(_by_absolute_url(v) for v in criterion.values):
        matched = {"$and": [{"_idx.r.u": {"$exists": True}}, matched]}  # the partial url index
    # :not selects the resources with no matching value, including those without the element.
    return {"$nor": [matched]} if criterion.modifier == "not" else matched


def _chains_to_compartment(resource_type: str, criterion: Criterion) -> bool:
    return (
        criterion.param == COMPARTMENT_REFERENCE.get(resource_type)
        and criterion.modifier is None
        and all(isinstance(v, ChainQuery) and v.target_type == "Patient" for v in criterion.values)
    )


def _by_absolute_url(value: QueryValue) -> bool:
    return isinstance(value, ReferenceQuery) and value.target_id is None and is_absolute(value.url or "")


def _value(kind: str, value: QueryValue, criterion: Criterion, lookup: Lookup) -> list[Condition]:
    """The row conditions of one value, ORed (an `:in` value has one per system of its ValueSet)."""
    if isinstance(value, ChainQuery):
        ids = lookup.ids(SearchRequest(value.target_type, (value.inner,)))
        return [{"tt": value.target_type, "ti": {"$in": ids}}]
    if kind == "composite":
        return [_composite(value, criterion.param)]
    if kind == "token" and isinstance(value, ValueSetQuery):
        return value_set_conditions(value)
    return [CONDITIONS[kind](value, criterion.modifier, criterion.param)]


_PART_KINDS: Final[dict[type, str]] = {
    TokenQuery: "token",
    StringQuery: "string",
    DateQuery: "date",
    ReferenceQuery: "reference",
    NumberQuery: "number",
    QuantityQuery: "quantity",
    UriQuery: "uri",
}


def _composite(value: QueryValue, param: str) -> Condition:
    """Each part's condition (of its component's type, no modifier) renamed onto that part's field of the
    same combination row (documents.composite_part), as search.matcher.composite_matches does."""
    if not isinstance(value, CompositeQuery) or any(type(part) not in _PART_KINDS for part in value.parts):
        raise not_supported(
            f"Unsupported value for the composite parameter {param}",
            f"Giá trị không được hỗ trợ cho tham số tổ hợp {param}",
            param,
        )
    # A row has as many parts as the parameter has components: a query with another count matches none.
    conditions: list[Condition] = [{composite_part(len(value.parts)): {"$exists": False}}]
    for n, part in enumerate(value.parts):
        part_condition = CONDITIONS[_PART_KINDS[type(part)]](part, None, param)
        conditions.append(_renamed(part_condition, composite_part(n) + "."))
    return {"$and": conditions}


def _renamed(condition: Condition, prefix: str) -> Condition:
    """Field names prefixed (`c` -> `k0.c`); operators and their operands kept, logical ones recursed."""
    renamed: Condition = {}
    for key, operand in condition.items():
        if key in ("$or", "$and", "$nor"):
            renamed[key] = [_renamed(c, prefix) for c in operand]
        elif key.startswith("$"):
            renamed[key] = operand
        else:
            renamed[prefix + key] = operand
    return renamed


def _has_criterion(resource_type: str, criterion: Criterion, lookup: Lookup) -> Condition:
    """`_has`: the ids that the referring resources matching the inner criterion refer to."""
    ids: list[str] = []
    for value in criterion.values:
        if not isinstance(value, HasQuery):
            raise not_supported("Unsupported _has value", "Giá trị _has không được hỗ trợ", "_has")
        inner = SearchRequest(value.referring_type, (value.inner,))
        ids += lookup.referred(inner, value.reference_param, resource_type)
    if not criterion.values:
        raise _no_values(criterion)
    return {"_id": {"$in": [resource_key(resource_type, id) for id in dict.fromkeys(ids)]}}


def _id_criterion(resource_type: str, criterion: Criterion) -> Condition:
    if criterion.missing is not None:
        return NOTHING if criterion.missing else {}  # every resource has an id
    if criterion.modifier is not None:
        raise modifier_error(criterion.param, criterion.modifier)
    ids: list[str] = []
    for value in criterion.values:
        if not isinstance(value, TokenQuery):
            raise not_supported("Unsupported _id value", "Giá trị _id không được hỗ trợ", "_id")
        if value.code is not None:
            ids.append(resource_key(resource_type, value.code))
    return {"_id": {"$in": ids}} if ids else NOTHING


def _last_updated_criterion(criterion: Criterion) -> Condition:
    """meta.lastUpdated is an instant: the stored range is the single microsecond [lu, lu + 1)."""
    if criterion.missing is not None:
        return NOTHING if criterion.missing else {}
    if criterion.modifier is not None:
        raise modifier_error(criterion.param, criterion.modifier)
    parts: list[Condition] = []
    for value in criterion.values:
        if not isinstance(value, DateQuery):
            raise not_supported(
                "Unsupported _lastUpdated value", "Giá trị _lastUpdated không được hỗ trợ", "_lastUpdated"
            )
        parts.append(range_condition(value.prefix, "lu", "lu", value.low, value.high, high_offset=1))
    if not parts:
        raise _no_values(criterion)
    return parts[0] if len(parts) == 1 else {"$or": parts}


def _no_values(criterion: Criterion) -> Exception:
    return not_supported(
        f"The parameter {criterion.param} has no value",
        f"Tham số {criterion.param} không có giá trị",
        criterion.param,
    )


# What `search.sorting.sort_values` compares, by parameter type: tiers of (IR kind, row condition,
# value ascending, value descending); the first tier with a value wins.
_PRESENT: Final = {"$ne": ["$$x.c", None]}
_TOKEN_TEXT: Final = {"$concat": ["$$x.c", TOKEN_SEPARATOR, {"$ifNull": ["$$x.s", ""]}]}
_SORT_TIERS: Final[dict[str, tuple[tuple[str, object, object, object], ...]]] = {
    "date": (("d", None, "$$x.lo", "$$x.hi"),),
    "reference": (("r", {"$ne": ["$$x.ti", None]}, "$$x.ti", "$$x.ti"), ("r", None, "$$x.u", "$$x.u")),
    "token": (("t", _PRESENT, _TOKEN_TEXT, _TOKEN_TEXT),),
    "string": (("s", None, "$$x.n", "$$x.n"),),
    "number": (("n", None, "$$x.v", "$$x.v"),),
    "quantity": (("q", None, "$$x.v", "$$x.v"),),
    "uri": (("u", None, "$$x.u", "$$x.u"),),
}


def sort_pipeline(request: SearchRequest) -> tuple[Pipeline, dict[str, int]]:
    """Stages that compute one value per sort key (`_s<n>`, with `_m<n>` = 1 when missing, so that
    missing values sort last both ways), and the `$sort` specification (ties: creation order)."""
    values: dict[str, Any] = {}
    minimums: dict[str, Any] = {}
    chosen: dict[str, Any] = {}
    order: dict[str, int] = {}
    for n, key in enumerate(request.sort):
        direction = -1 if key.descending else 1
        if key.param in ("_id", "_lastUpdated"):
            order["id" if key.param == "_id" else "lu"] = direction
            continue
        tiers = _SORT_TIERS.get(key.type, ())
        for t, (kind, condition, ascending, descending) in enumerate(tiers):
            values[f"_a{n}_{t}"] = _tier_values(
                key, kind, condition, descending if key.descending else ascending
            )
            minimums[f"_v{n}_{t}"] = {"$max" if key.descending else "$min": f"$_a{n}_{t}"}
        value: Any = None
        for t in reversed(range(len(tiers))):
            value = f"$_v{n}_{t}" if value is None else {"$ifNull": [f"$_v{n}_{t}", value]}
        chosen[f"_s{n}"] = value
        order[f"_m{n}"] = 1
        order[f"_s{n}"] = direction
    order["seq"] = 1
    missing = {
        f"_m{n}": {"$cond": [{"$eq": [{"$ifNull": [f"$_s{n}", None]}, None]}, 1, 0]}
        for n, key in enumerate(request.sort)
        if key.param not in ("_id", "_lastUpdated")
    }
    stages = [{"$addFields": stage} for stage in (values, minimums, chosen, missing) if stage]
    return stages, order


def sort_fields(keys: tuple[SortKey, ...]) -> dict[str, int]:
    """The computed sort values a page returns, for its next cursor (sort_point_of)."""
    return {f"_s{n}": 1 for n, key in enumerate(keys) if key.param not in ("_id", "_lastUpdated")}


def sort_point_of(doc: dict[str, Any], keys: tuple[SortKey, ...]) -> tuple[SortValue, ...]:
    """What search.sorting.sort_point gives for this document: the values the pipeline computed."""
    point: list[SortValue] = []
    for n, key in enumerate(keys):
        if key.param == "_id":
            point.append(str(doc["id"]))
        elif key.param == "_lastUpdated":
            point.append(int(doc["lu"]))
        else:
            point.append(doc.get(f"_s{n}"))
    return tuple(point)


def after_point(keys: tuple[SortKey, ...], point: tuple[SortValue, ...], position: int) -> Condition:
    """The documents after (point, position) in the order of sort_pipeline: the keyset condition
    (a1 > v1) or (a1 = v1 and a2 > v2) or ..., each key missing-last (`_m<n>`), then `seq`."""
    components: list[tuple[str, int, object]] = []  # (field, direction, value) in sort order
    for n, (key, value) in enumerate(zip(keys, point, strict=True)):
        direction = -1 if key.descending else 1
        if key.param in ("_id", "_lastUpdated"):
            components.append(("id" if key.param == "_id" else "lu", direction, value))
        elif value is None:
            components.append((f"_m{n}", 1, 1))  # every missing value is the same: nothing to compare
        else:
            components += [(f"_m{n}", 1, 0), (f"_s{n}", direction, value)]
    components.append(("seq", 1, position))
    alternatives: list[Condition] = []
    for i, (field, direction, bound) in enumerate(components):
        condition: Condition = {f: {"$eq": v} for f, _, v in components[:i]}
        condition[field] = {"$gt" if direction == 1 else "$lt": bound}
        alternatives.append(condition)
    return {"$or": alternatives}


def _tier_values(key: SortKey, kind: str, condition: object, value: object) -> dict[str, Any]:
    wanted: Any = {"$eq": ["$$x.p", key.param]}
    if condition is not None:
        wanted = {"$and": [wanted, condition]}
    rows = {"$filter": {"input": {"$ifNull": [f"$_idx.{kind}", []]}, "as": "x", "cond": wanted}}
    return {"$map": {"input": rows, "as": "x", "in": value}}


def redacted(condition: Any) -> Any:
    """A filter or pipeline with every bound value replaced by "?": for the explain log, which must
    never show what was searched (names, identifiers). Parameter codes (`p`) are kept."""
    if isinstance(condition, dict):
        return {k: (v if k == "p" else redacted(v)) for k, v in condition.items()}
    if isinstance(condition, list):
        return [redacted(v) for v in condition]
    if isinstance(condition, str) and condition.startswith("$"):
        return condition  # a field path in an aggregation expression
    return "?" if condition is not None and not isinstance(condition, bool) else condition
