"""SMART on FHIR scope grammar (App Launch 2.x, with 1.x read/write still accepted), parsed into typed
values the resource server queries: "may this token do interaction X on resource type T, and narrowed how?".

    patient/Immunization.rs                  v2: context / type . interactions (c r u d s, in that order)
    patient/Observation.rs?category=a|b      v2 with search-parameter narrowing (AND of the parameters)
    user/*.cruds   system/Immunization.c     wildcard type; user and system contexts
    patient/*.read   user/Immunization.write v1: read = r s, write = c u d, * = c r u d s

Every other scope (openid, fhirUser, launch, launch/patient, offline_access, online_access, ...) is kept
as an opaque string in `ScopeSet.other`. Pure: no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import parse_qsl


class Context(StrEnum):
    PATIENT = "patient"
    USER = "user"
    SYSTEM = "system"


class Interaction(StrEnum):
    """SMART v2 permission letters, in the only order the grammar allows."""

    CREATE = "c"
    READ = "r"
    UPDATE = "u"
    DELETE = "d"
    SEARCH = "s"


_ORDER = "cruds"
_V1 = {
    "read": frozenset({Interaction.READ, Interaction.SEARCH}),
    "write": frozenset({Interaction.CREATE, Interaction.UPDATE, Interaction.DELETE}),
    "*": frozenset(Interaction),
}
_RESOURCE_SCOPE = re.compile(r"^(patient|user|system)/(\*|[A-Z][A-Za-z]{0,63})\.([A-Za-z*]+)(?:\?(.*))?$")
_OTHER_SCOPE = re.compile(r"^[\x21\x23-\x5B\x5D-\x7E]{1,200}$")  # RFC 6749 scope-token characters


class ScopeError(ValueError):
    """A scope that looks like a SMART resource scope but breaks its grammar."""


Filter = tuple[tuple[str, str], ...]
"""Search-parameter narrowing of one scope: (name, value) pairs that must all hold (sorted)."""


@dataclass(frozen=True, slots=True)
class ResourceScope:
    context: Context
    resource_type: str
    """A FHIR resource type, or "*" for every type."""
    interactions: frozenset[Interaction]
    narrowing: Filter = ()
    version: int = 2

    def applies_to(self, context: Context, resource_type: str, interaction: Interaction) -> bool:
        return (
            self.context is context
            and self.resource_type in ("*", resource_type)
            and interaction in self.interactions
        )

    def covers(self, other: ResourceScope) -> bool:
        """True when every request `other` permits is also permitted by this scope."""
        return (
            self.context is other.context
            and self.resource_type in ("*", other.resource_type)
            and other.interactions <= self.interactions
            and set(self.narrowing) <= set(other.narrowing)
        )

    def __str__(self) -> str:
        if self.version == 1:
            name = next(k for k, v in _V1.items() if v == self.interactions)
        else:
            name = "".join(letter for letter in _ORDER if Interaction(letter) in self.interactions)
        query = "&".join(f"{k}={v}" for k, v in self.narrowing)
        return f"{self.context}/{self.resource_type}.{name}" + (f"?{query}" if query else "")


@dataclass(frozen=True, slots=True)
class Grant:
    """What one context allows for one (type, interaction): everything, or only resources matching at
    least one of `filters` (each an AND of search parameters)."""

    context: Context
    filters: tuple[Filter, ...] = ()

    @property
    def unrestricted(self) -> bool:
        return not self.filters


@dataclass(frozen=True, slots=True)
class ScopeSet:
    resource_scopes: tuple[ResourceScope, ...] = ()
    other: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def parse(cls, text: str | None) -> ScopeSet:
        """Parses a space-separated scope string; raises ScopeError on a malformed token."""
        resource: list[ResourceScope] = []
        other: set[str] = set()
        for token in (text or "").split():
            parsed = parse_scope(token)
            if isinstance(parsed, ResourceScope):
                if parsed not in resource:
                    resource.append(parsed)
            else:
                other.add(parsed)
        return cls(tuple(resource), frozenset(other))

    def grant(self, context: Context, resource_type: str, interaction: Interaction) -> Grant | None:
        """The access `context` scopes give to `interaction` on `resource_type`; None when refused."""
        filters: list[Filter] = []
        for scope in self.resource_scopes:
            if scope.applies_to(context, resource_type, interaction):
                if not scope.narrowing:
                    return Grant(context)
                if scope.narrowing not in filters:
                    filters.append(scope.narrowing)
        return Grant(context, tuple(filters)) if filters else None

    def grants(self, resource_type: str, interaction: Interaction) -> tuple[Grant, ...]:
        """Every context's access to (type, interaction), in patient, user, system order."""
        found = (self.grant(context, resource_type, interaction) for context in Context)
        return tuple(g for g in found if g is not None)

    def allows(self, context: Context, resource_type: str, interaction: Interaction) -> bool:
        """True when some scope permits it, possibly narrowed by search parameters (see `grant`)."""
        return self.grant(context, resource_type, interaction) is not None

    @property
    def contexts(self) -> frozenset[Context]:
        return frozenset(s.context for s in self.resource_scopes)

    def has(self, scope: str) -> bool:
        """For non-resource scopes: `has("openid")`, `has("launch/patient")`, `has("offline_access")`."""
        return scope in self.other

    def covers(self, requested: ScopeSet) -> bool:
        """True when everything `requested` asks for is within these scopes (the refresh and registration
        check: a token may narrow its scopes, never widen them)."""
        return requested.other <= self.other and all(
            any(mine.covers(theirs) for mine in self.resource_scopes) for theirs in requested.resource_scopes
        )

    def within(self, allowed: ScopeSet) -> ScopeSet:
        """The part of these scopes that `allowed` covers (what a client may be granted of a request)."""
        return ScopeSet(
            tuple(s for s in self.resource_scopes if any(a.covers(s) for a in allowed.resource_scopes)),
            self.other & allowed.other,
        )

    def only(self, contexts: frozenset[Context]) -> ScopeSet:
        """Drops resource scopes of other contexts (e.g. a parent may hold patient/ scopes only)."""
        return ScopeSet(tuple(s for s in self.resource_scopes if s.context in contexts), self.other)

    def __str__(self) -> str:
        return " ".join([*(str(s) for s in self.resource_scopes), *sorted(self.other)])

    def __bool__(self) -> bool:
        return bool(self.resource_scopes or self.other)


def parse_scope(token: str) -> ResourceScope | str:
    """One scope token: a ResourceScope, or the token itself when it is not a resource scope."""
    if not token.startswith(("patient/", "user/", "system/")):
        if not _OTHER_SCOPE.match(token):
            raise ScopeError(f"invalid scope token {token[:80]!r}")
        return token
    match = _RESOURCE_SCOPE.match(token)
    if match is None:
        raise ScopeError(f"malformed resource scope {token[:80]!r}")
    context, resource_type, permissions, query = match.groups()
    narrowing = _narrowing(query, token)
    if permissions in _V1:
        if narrowing:
            raise ScopeError(f"search narrowing needs v2 permissions: {token[:80]!r}")
        return ResourceScope(Context(context), resource_type, _V1[permissions], (), 1)
    return ResourceScope(Context(context), resource_type, _v2_interactions(permissions, token), narrowing)


def _v2_interactions(permissions: str, token: str) -> frozenset[Interaction]:
    position = -1
    for letter in permissions:
        index = _ORDER.find(letter)
        if index <= position:  # unknown letter, repeated letter or letters out of order
            raise ScopeError(f"permissions must be a subsequence of 'cruds': {token[:80]!r}")
        position = index
    return frozenset(Interaction(letter) for letter in permissions)


def _narrowing(query: str | None, token: str) -> Filter:
    if query is None:
        return ()
    try:
        pairs = parse_qsl(query, keep_blank_values=False, strict_parsing=True)
    except ValueError as error:
        raise ScopeError(f"malformed search narrowing: {token[:80]!r}") from error
    if not pairs or any(not name for name, _ in pairs):
        raise ScopeError(f"malformed search narrowing: {token[:80]!r}")
    return tuple(sorted(pairs))
