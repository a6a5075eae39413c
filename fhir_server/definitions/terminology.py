"""National terminology as frozen data: CodeSystems, ValueSets (expanded once), ConceptMaps, NamingSystems.

Built by `definitions.loader.load_artifacts` from terminology/; pure (no files). A ValueSet's expansion is
`complete` when every included system is one of ours with all its concepts (or the include lists its
concepts); otherwise membership of codes from the unknown part cannot be decided here (`contains` -> None).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from fhir_server.definitions.registry import CodeSet
from fhir_server.types import JsonResource


@dataclass(frozen=True, slots=True)
class Concept:
    system: str
    code: str
    display: str
    vi: str | None  # Vietnamese designation
    properties: Mapping[str, tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class CodeSystemDef:
    url: str
    resource: JsonResource
    concepts: Mapping[str, Concept]
    complete: bool  # content = complete: a code not listed is not in the system


@dataclass(frozen=True, slots=True)
class ValueSetDef:
    url: str
    resource: JsonResource
    members: tuple[Concept, ...]
    open_systems: frozenset[str]  # systems included whole whose concepts we do not hold
    # code -> its members (one per system): membership is a lookup, not a scan of 3,321 communes
    by_code: Mapping[str, tuple[Concept, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, list[Concept]] = {}
        for member in self.members:
            index.setdefault(member.code, []).append(member)
        object.__setattr__(self, "by_code", MappingProxyType({k: tuple(v) for k, v in index.items()}))

    @property
    def complete(self) -> bool:
        return not self.open_systems

    def member(self, system: str | None, code: str) -> Concept | None:
        return next((m for m in self.by_code.get(code, ()) if system is None or m.system == system), None)

    def contains(self, system: str | None, code: str) -> bool | None:
        """True/False, or None when the code's system is included whole but unknown here."""
        if self.member(system, code) is not None:
            return True
        if system in self.open_systems or (system is None and self.open_systems):
            return None
        return False


@dataclass(frozen=True, slots=True)
class Terminology:
    code_systems: Mapping[str, CodeSystemDef]
    value_sets: Mapping[str, ValueSetDef]
    concept_maps: Mapping[str, JsonResource]
    naming_systems: tuple[JsonResource, ...]

    def lookup(self, system: str, code: str) -> Concept | None:
        cs = self.code_systems.get(system)
        return cs.concepts.get(code) if cs else None

    def expansions(self) -> Mapping[str, CodeSet]:
        """Complete ValueSets grouped by system: what the search modifiers :in / :not-in use."""
        return MappingProxyType(
            {
                url: CodeSet.of(url, ((m.system, m.code) for m in vs.members))
                for url, vs in self.value_sets.items()
                if vs.complete
            }
        )

    def resources(self) -> Iterable[JsonResource]:
        yield from (cs.resource for cs in self.code_systems.values())
        yield from (vs.resource for vs in self.value_sets.values())
        yield from self.concept_maps.values()
        yield from self.naming_systems


def _concept(system: str, raw: Mapping[str, Any]) -> Concept:
    vi = next((d["value"] for d in raw.get("designation", ()) if d.get("language") == "vi"), None)
    props: dict[str, list[Any]] = {}
    for prop in raw.get("property", ()):
        value = next(v for k, v in prop.items() if k.startswith("value"))
        props.setdefault(prop["code"], []).append(value)
    return Concept(
        system,
        raw["code"],
        raw.get("display", raw["code"]),
        vi,
        MappingProxyType({k: tuple(v) for k, v in props.items()}),
    )


def _flatten(system: str, concepts: Iterable[Mapping[str, Any]]) -> Iterable[Concept]:
    for raw in concepts:
        yield _concept(system, raw)
        yield from _flatten(system, raw.get("concept", ()))


def code_system(resource: JsonResource) -> CodeSystemDef:
    url = resource["url"]
    concepts = {c.code: c for c in _flatten(url, resource.get("concept", ()))}
    return CodeSystemDef(url, resource, MappingProxyType(concepts), resource.get("content") == "complete")


def _matches(concept: Concept, filters: Iterable[Mapping[str, Any]]) -> bool:
    for f in filters:
        if f.get("op") != "=":
            raise ValueError(f"ValueSet filter op {f.get('op')!r} is not supported (only '=')")
        values = concept.properties.get(f["property"], ())
        if not any(str(v).lower() == str(f["value"]).lower() for v in values):
            return False
    return True


class _Expander:
    def __init__(self, code_systems: Mapping[str, CodeSystemDef], raw: Mapping[str, JsonResource]) -> None:
        self._cs = code_systems
        self._raw = raw
        self._done: dict[str, ValueSetDef] = {}
        self._active: set[str] = set()

    def expand(self, url: str) -> ValueSetDef:
        if url in self._done:
            return self._done[url]
        if url in self._active:
            raise ValueError(f"ValueSet {url} imports itself")
        if url not in self._raw:
            raise ValueError(f"unknown ValueSet {url}")
        self._active.add(url)
        members: dict[tuple[str, str], Concept] = {}
        open_systems: set[str] = set()
        compose = self._raw[url].get("compose", {})
        for include in compose.get("include", ()):
            self._include(include, members, open_systems)
        for exclude in compose.get("exclude", ()):
            removed: dict[tuple[str, str], Concept] = {}
            self._include(exclude, removed, set())
            for key in removed:
                members.pop(key, None)
        self._active.discard(url)
        result = ValueSetDef(url, self._raw[url], tuple(members.values()), frozenset(open_systems))
        self._done[url] = result
        return result

    def _include(
        self, include: Mapping[str, Any], members: dict[tuple[str, str], Concept], open_systems: set[str]
    ) -> None:
        for imported in include.get("valueSet", ()):
            sub = self.expand(imported)
            members.update({(c.system, c.code): c for c in sub.members})
            open_systems |= sub.open_systems
        system = include.get("system")
        if system is None:
            return
        known = self._cs.get(system)
        if "concept" in include:
            for raw in include["concept"]:
                base = known.concepts.get(raw["code"]) if known else None
                if known and known.complete and base is None:
                    raise ValueError(f"code {raw['code']} is not in CodeSystem {system}")
                members[(system, raw["code"])] = _concept(system, raw) if base is None else base
        elif known is None:
            open_systems.add(system)
        else:
            for concept in known.concepts.values():
                if _matches(concept, include.get("filter", ())):
                    members[(system, concept.code)] = concept
            if not known.complete:
                open_systems.add(system)


def build_terminology(resources: Iterable[JsonResource]) -> Terminology:
    """Raises ValueError (naming the resource) when a ValueSet cannot be expanded."""
    by_type: dict[str, list[JsonResource]] = {}
    for resource in resources:
        by_type.setdefault(resource["resourceType"], []).append(resource)
    systems = {cs["url"]: code_system(cs) for cs in by_type.get("CodeSystem", ())}
    raw_sets = {vs["url"]: vs for vs in by_type.get("ValueSet", ())}
    expander = _Expander(systems, raw_sets)
    value_sets = {url: expander.expand(url) for url in raw_sets}
    return Terminology(
        MappingProxyType(systems),
        MappingProxyType(value_sets),
        MappingProxyType({cm["url"]: cm for cm in by_type.get("ConceptMap", ())}),
        tuple(by_type.get("NamingSystem", ())),
    )
