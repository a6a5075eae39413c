"""The SearchParameter registry: official R4 definitions (and national ones) split per resource type.

A SearchParameter may have several bases and one union expression for all of them
("Patient.name | Practitioner.name"); each base gets only its own branches, once, at start-up. Parameters
on `Resource` / `DomainResource` (`_id`, `_lastUpdated`, `_tag`, `_profile`, `_security`, `_source`,
`_text`, `_content`, ...) apply to every resource type, their expression rewritten to that type
("Resource.meta.tag" -> "Patient.meta.tag"). Pure code: the loader reads the file and passes the bundle.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any, get_args

from fhir_server.definitions.registry import ParamType, SearchParamDef, SearchParamRegistry

_PARAM_TYPES = frozenset(get_args(ParamType))
# The only R4 resource types that are not DomainResources (they carry no narrative, so no `_text`).
_NOT_DOMAIN_RESOURCES = frozenset({"Bundle", "Binary", "Parameters"})
_GENERIC_BASES = frozenset({"Resource", "DomainResource"})
_LEADING_NAME = re.compile(r"\(*([A-Za-z]+)")


def split_top_level(text: str, sep: str) -> list[str]:
    """Split a FHIRPath expression on `sep` outside parentheses and quoted literals."""
    parts: list[str] = []
    depth, quoted, start = 0, False, 0
    for i, char in enumerate(text):
        if char == "'":
            quoted = not quoted
        elif quoted:
            continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and text.startswith(sep, i) and i >= start:
            parts.append(text[start:i].strip())
            start = i + len(sep)
    parts.append(text[start:].strip())
    return parts


def expression_for(expression: str | None, base: str, bases: Iterable[str]) -> str | None:
    """The branches of a union `expression` that belong to `base` (branches naming no type go to all)."""
    if not expression:
        return None
    others = set(bases) - {base}
    kept = []
    for branch in split_top_level(expression, "|"):
        match = _LEADING_NAME.match(branch)
        leading = match.group(1) if match else ""
        if leading == base or leading not in others:
            kept.append(branch)
    return " | ".join(kept) if kept else None


def _specialise(expression: str | None, generic: str, resource_type: str) -> str | None:
    """`Resource.meta.tag` -> `Patient.meta.tag` for a parameter defined on Resource/DomainResource."""
    if expression is None:
        return None
    return re.sub(rf"(?<![\w.]){generic}\.", f"{resource_type}.", expression)


def _definition(resource: Mapping[str, Any], base: str, expression: str | None) -> SearchParamDef:
    kind = resource["type"]
    if kind not in _PARAM_TYPES:
        raise ValueError(f"SearchParameter {resource.get('url')}: unknown type {kind!r}")
    components = tuple(
        (str(c.get("definition", "")), str(c.get("expression", ""))) for c in resource.get("component", ())
    )
    return SearchParamDef(
        code=resource["code"],
        resource_type=base,
        type=kind,
        expression=expression,
        url=resource["url"],
        targets=tuple(resource.get("target", ())),
        components=components,
    )


def build_search_registry(bundle: dict[str, Any], resource_types: frozenset[str]) -> SearchParamRegistry:
    """Index every SearchParameter of `bundle` by (resource type, code); later entries override earlier ones
    (so national parameters appended after the official ones win)."""
    table: dict[str, dict[str, SearchParamDef]] = {rt: {} for rt in resource_types}
    for entry in bundle.get("entry", ()):
        resource = entry.get("resource") or {}
        if resource.get("resourceType") != "SearchParameter":
            continue
        bases: list[str] = list(resource.get("base", ()))
        for base in bases:
            if base in _GENERIC_BASES:
                own = expression_for(resource.get("expression"), base, bases)
                targets = (
                    resource_types - _NOT_DOMAIN_RESOURCES if base == "DomainResource" else resource_types
                )
                for rt in targets:
                    table[rt][resource["code"]] = _definition(resource, rt, _specialise(own, base, rt))
            elif base in resource_types:
                own = expression_for(resource.get("expression"), base, bases)
                table[base][resource["code"]] = _definition(resource, base, own)
    kinds = {d.url: d.type for params in table.values() for d in params.values()}
    for params in table.values():
        for code, definition in params.items():
            if definition.components:
                # A component whose definition is unknown leaves the composite unusable (types empty).
                types = tuple(kinds.get(url) for url, _ in definition.components)
                known = tuple(t for t in types if t is not None)
                params[code] = replace(definition, component_types=known if len(known) == len(types) else ())
    return SearchParamRegistry(
        by_type=MappingProxyType({rt: MappingProxyType(_share_rows(params)) for rt, params in table.items()})
    )


def _share_rows(params: dict[str, SearchParamDef]) -> dict[str, SearchParamDef]:
    """Parameters of one type with the same expression and type (Patient `name` and `phonetic`) index the
    same values: store them once, under the first code, and let the others search those rows. Composites
    share only with the same components (`code-value-quantity` and `code-value-concept` both have the
    expression `Observation`)."""
    first: dict[tuple[str | None, str, tuple[tuple[str, str], ...]], str] = {}
    shared: dict[str, SearchParamDef] = {}
    for code in sorted(params):
        definition = params[code]
        key = (definition.expression, definition.type, definition.components)
        owner = first.setdefault(key, code) if definition.expression else code
        shared[code] = replace(definition, index_code=owner)
    return shared


NATIONAL_BASE = "https://fhir.vn/SearchParameter/"


def check_national(resource: Mapping[str, Any], resource_types: frozenset[str]) -> None:
    """Raise ValueError unless `resource` is a usable national SearchParameter: its id the last segment of a
    url under NATIONAL_BASE (so `GET /SearchParameter/<id>` and `?url=` agree), a known type, known bases
    and an expression with a branch for each base (else that base would index nothing)."""
    if resource.get("resourceType") != "SearchParameter":
        raise ValueError("not a SearchParameter")
    if resource.get("url") != NATIONAL_BASE + str(resource.get("id")):
        raise ValueError(
            f"url {resource.get('url')!r} is not {NATIONAL_BASE}<id> for id {resource.get('id')!r}"
        )
    if not isinstance(resource.get("code"), str) or not resource["code"]:
        raise ValueError("no code")
    if resource.get("type") not in _PARAM_TYPES or resource["type"] in ("composite", "special"):
        raise ValueError(f"type {resource.get('type')!r} is not one a national parameter may have")
    bases = resource.get("base")
    if not isinstance(bases, list) or not bases:
        raise ValueError("no base")
    for base in bases:
        if base not in resource_types:
            raise ValueError(f"base {base!r} is not a resource type")
        branches = split_top_level(str(resource.get("expression") or ""), "|")
        if not any((m := _LEADING_NAME.match(b)) and m.group(1) == base for b in branches):
            raise ValueError(f"expression {resource.get('expression')!r} has no branch for {base}")
