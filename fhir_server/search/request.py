"""A parsed, typed search: what `search.parse` produces and every backend compiles.

A request is an AND of criteria; each criterion is an OR of values of one parameter. `alternatives`
adds ORs across parameters (compartment membership: Observation is in Patient/1's compartment by
`subject` OR `performer`), each group ANDed with the criteria.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fhir_server.definitions.registry import CodeSet, ParamType

Prefix = Literal["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"]


@dataclass(frozen=True, slots=True)
class TokenQuery:
    system: str | None  # None: any system; "" : no system ("|code")
    code: str | None  # None: any code ("system|")


@dataclass(frozen=True, slots=True)
class ValueSetQuery:
    """`code:in=[ValueSet url]`: the token is a member of the expansion (its system and its code, as
    `system|code` matches; a member without a system matches as `|code`). `:not-in` is this value under
    the `:not` modifier. One value for the whole set (the 3,321 communes included): each backend
    compiles it to a set-membership test per system, not to one OR term per code."""

    codes: CodeSet


@dataclass(frozen=True, slots=True)
class StringQuery:
    text: str  # normalized for the default/contains match, as written for :exact


@dataclass(frozen=True, slots=True)
class DateQuery:
    prefix: Prefix
    low: int  # the query value's own range [low, high) in microseconds UTC
    high: int


@dataclass(frozen=True, slots=True)
class ReferenceQuery:
    target_type: str | None
    target_id: str | None
    url: str | None  # absolute URL or canonical to compare with the stored url


@dataclass(frozen=True, slots=True)
class NumberQuery:
    prefix: Prefix
    value: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class CanonicalQuantity:
    """A UCUM query value in its canonical unit (`search.ucum`): value, range [low, high), unit."""

    value: float
    low: float
    high: float
    code: str


@dataclass(frozen=True, slots=True)
class QuantityQuery:
    prefix: Prefix
    value: float
    low: float
    high: float
    system: str | None
    code: str | None
    # Set by `search.parse` when system is UCUM and the code converts: then rows compare canonically
    # (canonical_code equal, canonical_value against this range) instead of by system|code.
    canonical: CanonicalQuantity | None = None


@dataclass(frozen=True, slots=True)
class UriQuery:
    uri: str


@dataclass(frozen=True, slots=True)
class ChainQuery:
    """`param.inner=v` / `param:Type.inner=v`: the reference points at a current `target_type` resource
    that satisfies `inner` (itself possibly a chain). Used as a value of a reference criterion."""

    target_type: str
    inner: Criterion


@dataclass(frozen=True, slots=True)
class HasQuery:
    """`_has:Referring:param:inner=v`: some current `referring_type` resource satisfying `inner` refers
    to the searched resource through its reference parameter `reference_param` (its stored code).
    Used as the value of a `_has` criterion."""

    referring_type: str
    reference_param: str
    inner: Criterion


@dataclass(frozen=True, slots=True)
class CompositeQuery:
    """`code-value-quantity=http://loinc.org|8480-6$gt100`: one value per component, in the order of the
    parameter's components, each of its component's type; they must all match the same element."""

    parts: tuple[QueryValue, ...]


QueryValue = (
    TokenQuery
    | ValueSetQuery
    | StringQuery
    | DateQuery
    | ReferenceQuery
    | NumberQuery
    | QuantityQuery
    | UriQuery
    | ChainQuery
    | HasQuery
    | CompositeQuery
)


@dataclass(frozen=True, slots=True)
class Criterion:
    """One parameter in the query string: `param[:modifier]=v1,v2` (values are ORed)."""

    param: str  # SearchParameter code, or "_id" / "_lastUpdated" / "_has" (values: HasQuery)
    type: ParamType
    modifier: str | None
    values: tuple[QueryValue, ...]
    missing: bool | None = None  # set for :missing=true|false; values is then empty


@dataclass(frozen=True, slots=True)
class SortKey:
    param: str
    descending: bool
    type: ParamType  # of the SearchParameter; `_id` is a token, `_lastUpdated` a date


@dataclass(frozen=True, slots=True)
class SearchRequest:
    resource_type: str
    criteria: tuple[Criterion, ...] = ()
    sort: tuple[SortKey, ...] = ()
    count: int = 20
    offset: int = 0  # applied after `cursor` when both are given
    cursor: str | None = None  # opaque, from SearchPage.next_cursor of the same search (same `sort`)
    # Each group: at least one of its criteria matches. The groups and `criteria` are ANDed. Not from
    # the query string: services add them (compartments, later SMART patient scopes).
    alternatives: tuple[tuple[Criterion, ...], ...] = ()
