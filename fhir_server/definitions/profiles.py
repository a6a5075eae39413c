"""National profiles as frozen data: what the profile checker (model/profile_checker.py) enforces of a
StructureDefinition's differential. Pure; built by `definitions.loader.load_artifacts` from profiles/.

Read from each differential element: `min`, `max`, `fixed[x]`/`pattern[x]`, a `binding` (only `required`
is enforced), `type[].targetProfile` of References, and `constraint`s (FHIRPath with the resource as
context; Vietnamese text and the element named in two extensions). Anything else in an element (slicing,
`mustSupport`, ...) is refused at load time rather than silently ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fhir_server.types import JsonResource

VI_EXTENSION = "https://fhir.vn/StructureDefinition/constraint-vi"
LOCATION_EXTENSION = "https://fhir.vn/StructureDefinition/constraint-location"
_CORE = "http://hl7.org/fhir/StructureDefinition/"
_UNDERSTOOD = frozenset({"id", "path", "min", "max", "binding", "type", "constraint", "short", "definition"})


@dataclass(frozen=True, slots=True)
class ElementRule:
    path: str  # "Immunization.protocolApplied" (choice elements end in [x])
    min: int | None = None
    max: int | None = None  # None: unbounded or not restricted
    fixed: tuple[str, Any] | None = None  # ("fixed" | "pattern", value); JSON type suffix dropped
    binding: str | None = None  # required ValueSet url
    targets: tuple[str, ...] = ()  # allowed reference target types
    # the path split once: ("protocolApplied",) for "Immunization.protocolApplied"
    steps: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", tuple(self.path.split(".")[1:]))


@dataclass(frozen=True, slots=True)
class Invariant:
    key: str
    expression: str
    en: str
    vi: str | None
    location: str  # the element the issue names


@dataclass(frozen=True, slots=True)
class Profile:
    url: str
    type: str  # the constrained type: a resource type, or "Extension"
    source: str  # file name, for start-up errors
    resource: JsonResource
    rules: tuple[ElementRule, ...]
    invariants: tuple[Invariant, ...]


def _ext(raw: Mapping[str, Any], url: str) -> str | None:
    return next((e.get("valueString") for e in raw.get("extension", ()) if e.get("url") == url), None)


def _rule(element: Mapping[str, Any]) -> ElementRule:
    path = element["path"]
    fixed = None
    for key, value in element.items():
        if key.startswith(("fixed", "pattern")):
            fixed = ("fixed" if key.startswith("fixed") else "pattern", value)
        elif key not in _UNDERSTOOD:
            raise ValueError(f"{path}: element property {key!r} is not supported by the profile checker")
    binding = element.get("binding")
    targets = tuple(
        t.removeprefix(_CORE)
        for typ in element.get("type", ())
        for t in typ.get("targetProfile", ())
        if typ.get("code") == "Reference"
    )
    maximum = element.get("max")
    return ElementRule(
        path=path,
        min=element.get("min"),
        max=None if maximum in (None, "*") else int(maximum),
        fixed=fixed,
        binding=binding["valueSet"] if binding and binding.get("strength") == "required" else None,
        targets=targets,
    )


def _invariants(element: Mapping[str, Any]) -> list[Invariant]:
    out = []
    for c in element.get("constraint", ()):
        if c.get("severity") != "error":
            continue
        if not c.get("expression"):
            raise ValueError(f"constraint {c.get('key')}: no FHIRPath expression")
        out.append(
            Invariant(
                c["key"],
                c["expression"],
                c["human"],
                _ext(c, VI_EXTENSION),
                _ext(c, LOCATION_EXTENSION) or element["path"],
            )
        )
    return out


def build_profile(resource: JsonResource, source: str) -> Profile:
    """Raises ValueError (the loader adds the file name) for what it cannot enforce faithfully."""
    if resource.get("resourceType") != "StructureDefinition" or resource.get("derivation") != "constraint":
        raise ValueError("not a constraining StructureDefinition")
    type_ = resource["type"]
    if resource.get("baseDefinition") != _CORE + type_:
        raise ValueError(f"baseDefinition must be the core {type_} (profiles on profiles are not supported)")
    rules, invariants = [], []
    for element in resource["differential"]["element"]:
        path = element["path"]
        if path != type_ and not path.startswith(type_ + "."):
            raise ValueError(f"element {path} is outside {type_}")
        if path == type_:
            if element.get("constraint"):
                invariants.extend(_invariants(element))
            continue
        if element.get("constraint"):
            raise ValueError(f"{path}: constraints go on the root element (evaluated on the resource)")
        rules.append(_rule(element))
    return Profile(resource["url"], type_, source, resource, tuple(rules), tuple(invariants))
