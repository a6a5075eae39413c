"""Validation layer 5 (DESIGN.md §7): the national profiles (profiles/, loaded by definitions.loader).

For a resource of a type whose profile is enforced (or named in `$validate?profile=`): cardinality, fixed
values and patterns, required bindings to our ValueSets, reference target types, and the FHIRPath
invariants (compiled once, at start-up, with fhirpathpy's R4 model). Extensions with one of our URLs
(`vn-province`, `vn-commune`) are checked wherever they occur. Every failure is one Issue naming the element;
the caller turns them into a 422.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

from fhirpathpy import compile as fhirpath_compile
from fhirpathpy.models import models

from fhir_server.definitions.artifacts import Artifacts
from fhir_server.definitions.profiles import ElementRule, Invariant, Profile
from fhir_server.definitions.terminology import Terminology, ValueSetDef
from fhir_server.model.native_invariants import IMMUNIZATION, OTHER, Native, native_invariants
from fhir_server.model.outcome import Issue
from fhir_server.types import JsonResource

_MODEL: Final[dict[str, Any]] = models["r4"]
# `Patient/1`, `http://x/fhir/Patient/1/_history/2`, `Patient?identifier=...`; not `#local` or `urn:`
_TARGET = re.compile(r"^(?:https?://.*/)?([A-Z][A-Za-z]+)(?:/[A-Za-z0-9\-.]{1,64}(?:/_history/.*)?|\?.*)$")
Located = tuple[str, Any]  # (FHIRPath of the node, JSON value)
PROVINCE_EXTENSION = "https://fhir.vn/StructureDefinition/vn-province"
COMMUNE_EXTENSION = "https://fhir.vn/StructureDefinition/vn-commune"
VN_COMMUNE = "https://fhir.vn/CodeSystem/vn-commune"


class ProfileError(Exception):
    """An invariant fhirpathpy cannot compile: start-up stops naming the profile's file."""


class ProfileChecker:
    def __init__(self, artifacts: Artifacts, *, native: bool = True) -> None:
        """`native=False` evaluates every invariant with fhirpathpy (the parity test compares both)."""
        self._terminology: Terminology = artifacts.terminology
        self._by_url: Mapping[str, Profile] = artifacts.profiles
        self._extensions = artifacts.extensions()
        self._for_type = {p.type: p for p in self._by_url.values() if p.type != "Extension"}
        self._compiled: dict[tuple[str, str], Callable[..., list[Any]]] = {}
        any_province = artifacts.terminology.value_sets.get("https://fhir.vn/ValueSet/vn-province-any")
        natives = native_invariants({m.code for m in any_province.members} if any_province else ())
        # Identifier invariants evaluated natively (FHIRPath is the definition; a test checks they agree).
        self._native: dict[tuple[str, str], Native] = {}
        for profile in self._by_url.values():
            empty = {"resourceType": profile.type}
            for inv in profile.invariants:
                try:
                    compiled = fhirpath_compile(inv.expression, _MODEL)
                    # fhirpathpy's parser recovers from syntax errors: a trial run finds them
                    compiled(empty, {"resource": empty})
                except Exception as exc:  # fhirpathpy raises several types for a bad expression
                    raise ProfileError(
                        f"{profile.source}: invariant {inv.key} does not compile: {exc}"
                    ) from exc
                self._compiled[(profile.url, inv.key)] = compiled
                suffix = "-".join(inv.key.split("-")[-2:])
                if native and inv.key.startswith(("vn-pat-", "vn-rp-")) and suffix in natives:
                    self._native[(profile.url, inv.key)] = natives[suffix]
                elif native and (inv.key in IMMUNIZATION or inv.key in OTHER):
                    self._native[(profile.url, inv.key)] = IMMUNIZATION.get(inv.key) or OTHER[inv.key]

    @property
    def native_keys(self) -> frozenset[tuple[str, str]]:
        """(profile url, invariant key) of the invariants evaluated natively rather than by fhirpathpy."""
        return frozenset(self._native)

    def profile(self, url: str) -> Profile | None:
        return self._by_url.get(url.split("|", maxsplit=1)[0])

    def for_type(self, resource_type: str) -> Profile | None:
        return self._for_type.get(resource_type)

    def check(self, resource: JsonResource, profile: Profile) -> list[Issue]:
        rt = resource["resourceType"]
        issues: list[Issue] = []
        for rule in profile.rules:
            issues.extend(self._rule(resource, rt, rule))
        for inv in profile.invariants:
            issues.extend(self._invariant(resource, profile, inv))
        issues.extend(self._extension_issues(resource, rt))
        return issues

    # -- element rules -------------------------------------------------------------------------

    def _rule(self, resource: JsonResource, rt: str, rule: ElementRule) -> Iterator[Issue]:
        steps = rule.steps
        for parent_path, parent in _nodes([(rt, resource)], steps[:-1]):
            values = list(_children(parent_path, parent, steps[-1]))
            element = f"{parent_path}.{steps[-1].removesuffix('[x]')}"
            if rule.min and len(values) < rule.min:
                yield Issue(
                    "required",
                    f"{element} is required by the national profile (at least {rule.min})",
                    f"{element} là bắt buộc theo hồ sơ quốc gia (ít nhất {rule.min})",
                    (element,),
                )
            if rule.max is not None and len(values) > rule.max:
                yield Issue(
                    "structure",
                    f"{element} may occur at most {rule.max} time(s) in the national profile",
                    f"{element} chỉ được có tối đa {rule.max} lần theo hồ sơ quốc gia",
                    (element,),
                )
            for path, value in values:
                yield from self._value(path, value, rule)

    def _value(self, path: str, value: Any, rule: ElementRule) -> Iterator[Issue]:
        if rule.fixed is not None:
            kind, expected = rule.fixed
            ok = value == expected if kind == "fixed" else _matches_pattern(value, expected)
            if not ok:
                yield Issue(
                    "value",
                    f"{path} must be {expected!r} in the national profile",
                    f"{path} phải là {expected!r} theo hồ sơ quốc gia",
                    (path,),
                )
        if rule.binding is not None:
            yield from _binding(path, value, self._terminology.value_sets[rule.binding])
        if rule.targets and isinstance(value, dict) and isinstance(value.get("reference"), str):
            target = _target_type(value["reference"])
            if target is not None and target not in rule.targets:
                allowed = ", ".join(rule.targets)
                yield Issue(
                    "value",
                    f"{path} must refer to {allowed}, not {target}",
                    f"{path} phải tham chiếu đến {allowed}, không phải {target}",
                    (f"{path}.reference",),
                )

    # -- invariants and extensions -----------------------------------------------------------------

    def _invariant(self, resource: JsonResource, profile: Profile, inv: Invariant) -> Iterator[Issue]:
        native = self._native.get((profile.url, inv.key))
        if native is not None:
            if native(resource):
                return
            yield _invariant_issue(inv)
            return
        try:
            result = self._compiled[(profile.url, inv.key)](resource, {"resource": resource})
        except Exception:  # an expression that fails on this input is reported, never a 500
            result = [False]
        if result in ([True], []):
            return
        yield _invariant_issue(inv)

    def _extension_issues(self, resource: JsonResource, rt: str) -> Iterator[Issue]:
        if not self._extensions:
            return
        units: dict[str, dict[str, tuple[str, Any]]] = {}  # address path -> extension url -> (path, code)
        for path, ext in _extensions(rt, resource):
            url = ext.get("url", "")
            profile = self._extensions.get(url)
            if profile is None:
                continue
            for rule in profile.rules:
                if rule.path != "Extension.value[x]":
                    continue
                values = list(_children(path, ext, "value[x]"))
                if not values:
                    yield Issue(
                        "required", f"{path}.value[x] is required", f"{path}.value[x] là bắt buộc", (path,)
                    )
                for value_path, value in values:
                    if rule.binding is not None:
                        yield from _binding(value_path, value, self._terminology.value_sets[rule.binding])
                    if url in (PROVINCE_EXTENSION, COMMUNE_EXTENSION) and isinstance(value, dict):
                        address = path.rsplit(".extension[", 1)[0]
                        units.setdefault(address, {})[url] = (value_path, value.get("code"))
        for coded in units.values():
            yield from self._commune_in_province(coded)

    def _commune_in_province(self, coded: Mapping[str, tuple[str, Any]]) -> Iterator[Issue]:
        """An address coding both its province and its commune: the commune lies in that province."""
        if PROVINCE_EXTENSION not in coded or COMMUNE_EXTENSION not in coded:
            return
        province = coded[PROVINCE_EXTENSION][1]
        commune_path, commune = coded[COMMUNE_EXTENSION]
        concept = self._terminology.lookup(VN_COMMUNE, commune) if isinstance(commune, str) else None
        home = concept.properties.get("province", ()) if concept else ()
        if home and province not in home:
            yield Issue(
                "value",
                f"{commune_path}: commune {commune} ({concept.display if concept else ''}) is in province "
                f"{home[0]}, not in the address's province {province}",
                f"{commune_path}: xã/phường {commune} thuộc tỉnh/thành phố {home[0]}, không thuộc "
                f"tỉnh/thành phố {province} của địa chỉ",
                (commune_path,),
            )


def _nodes(start: list[Located], steps: tuple[str, ...]) -> list[Located]:
    nodes = start
    for step in steps:
        nodes = [child for path, node in nodes for child in _children(path, node, step)]
    return nodes


def _children(path: str, node: Any, name: str) -> Iterator[Located]:
    if not isinstance(node, dict):
        return
    if name.endswith("[x]"):
        base = name[:-3]
        keys = [k for k in node if k.startswith(base) and len(k) > len(base) and k[len(base)].isupper()]
    else:
        keys = [name] if name in node else []
    for key in keys:
        value = node[key]
        if isinstance(value, list):
            for i, item in enumerate(value):
                yield f"{path}.{key}[{i}]", item
        else:
            yield f"{path}.{key}", value


def _extensions(path: str, node: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every extension in the resource (not in contained ones) with its FHIRPath, in document order.
    One list filled by recursion over containers only: paths are built for objects and arrays, never
    for the primitives that make up most of a resource (half the cost of a Patient's check before)."""
    found: list[tuple[str, dict[str, Any]]] = []
    _collect(path, node, found)
    return found


def _collect(path: str, node: dict[str, Any], found: list[tuple[str, dict[str, Any]]]) -> None:
    for key, value in node.items():
        if type(value) is dict:
            _collect(f"{path}.{key}", value, found)
        elif type(value) is list:
            if key == "extension":
                found.extend((f"{path}.extension[{i}]", e) for i, e in enumerate(value) if type(e) is dict)
            elif key != "contained":
                for i, item in enumerate(value):
                    if type(item) is dict:
                        _collect(f"{path}.{key}[{i}]", item, found)


def _matches_pattern(value: Any, pattern: Any) -> bool:
    """FHIR pattern semantics: every element of the pattern is present in the value (arrays: each
    pattern item matches some value item)."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            k in value and _matches_pattern(value[k], v) for k, v in pattern.items()
        )
    if isinstance(pattern, list):
        return isinstance(value, list) and all(any(_matches_pattern(v, p) for v in value) for p in pattern)
    return bool(value == pattern)


def _binding(path: str, value: Any, value_set: ValueSetDef) -> Iterator[Issue]:
    name = value_set.resource.get("title", value_set.url)
    if isinstance(value, str):
        verdicts = [value_set.contains(None, value)]
        shown = value
    elif isinstance(value, dict) and "coding" in value:
        codings = [c for c in value["coding"] if isinstance(c, dict) and "code" in c]
        verdicts = [value_set.contains(c.get("system"), c["code"]) for c in codings]
        shown = ", ".join(f"{c.get('system', '')}|{c['code']}" for c in codings) or "(no code)"
    elif isinstance(value, dict) and "code" in value:
        verdicts = [value_set.contains(value.get("system"), value["code"])]
        shown = f"{value.get('system', '')}|{value['code']}"
    else:
        verdicts, shown = [False], "(no code)"
    if any(v is not False for v in verdicts):  # one coding in the set (or undecidable here) suffices
        return
    yield Issue(
        "code-invalid",
        f"{path}: {shown} is not in the value set {name} ({value_set.url})",
        f"{path}: {shown} không thuộc tập giá trị {name} ({value_set.url})",
        (path,),
    )


def _target_type(reference: str) -> str | None:
    match = _TARGET.match(reference)
    return match.group(1) if match else None


def _invariant_issue(inv: Invariant) -> Issue:
    vi = f"{inv.vi} ({inv.key})" if inv.vi else None
    return Issue("invariant", f"{inv.en} ({inv.key})", vi, (inv.location,))
