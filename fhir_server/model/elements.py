"""Subsetting a resource for `_elements` and `_summary=true|text|data` (FHIR search §3.1.1.5.8-9). Pure.

A subsetted resource carries the `SUBSETTED` tag so that nobody takes it for the whole record. The element
names of the summary and mandatory sets come from the StructureDefinitions (definitions.ElementFlags);
a choice element is named by its base (`value[x]`) and matches each JSON name (`valueQuantity`).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Final

from fhir_server.types import JsonResource

SUBSETTED: Final[dict[str, str]] = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "SUBSETTED",
    "display": "Resource encoded in summary mode",
}
ALWAYS_KEPT: Final = frozenset({"resourceType", "id", "meta"})


def parse_elements(raw_values: Collection[str], resource_type: str) -> frozenset[str]:
    """Element names from one or more `_elements` values; `Type.name` is accepted for the searched type."""
    names: set[str] = set()
    for raw in raw_values:
        for item in raw.split(","):
            name = item.strip()
            prefix, dot, rest = name.partition(".")
            if dot and prefix == resource_type:
                name = rest
            if name:
                names.add(name)
    return frozenset(names)


def select_elements(
    resource: JsonResource, elements: Collection[str], mandatory: Collection[str] = ()
) -> JsonResource:
    """Only the given top-level elements (and their `_name` primitive extensions), plus resourceType,
    id, meta and the `mandatory` elements (which `_elements` SHOULD keep), tagged SUBSETTED."""
    return mark_subsetted(_keep(resource, {*elements, *mandatory, *ALWAYS_KEPT}))


def select_summary(resource: JsonResource, summary: Collection[str]) -> JsonResource:
    """`_summary=true`: the elements flagged isSummary (and resourceType, id, meta), tagged SUBSETTED."""
    return mark_subsetted(_keep(resource, {*summary, *ALWAYS_KEPT}))


def select_text(resource: JsonResource, mandatory: Collection[str]) -> JsonResource:
    """`_summary=text`: the narrative, id, meta and the mandatory top-level elements, tagged SUBSETTED."""
    return mark_subsetted(_keep(resource, {"text", *mandatory, *ALWAYS_KEPT}))


def without_text(resource: JsonResource) -> JsonResource:
    """`_summary=data`: everything but the narrative, tagged SUBSETTED."""
    return mark_subsetted({k: v for k, v in resource.items() if k != "text"})


def _keep(resource: JsonResource, names: Collection[str]) -> JsonResource:
    plain = {n for n in names if not n.endswith("[x]")}
    choices = tuple(n[:-3] for n in names if n.endswith("[x]"))

    def wanted(key: str) -> bool:
        key = key.removeprefix("_")
        if key in plain:
            return True
        # `value[x]` matches `valueQuantity`: the base, then a type name (types start upper-case).
        return any(key.startswith(base) and key[len(base) : len(base) + 1].isupper() for base in choices)

    return {k: v for k, v in resource.items() if k == "resourceType" or wanted(k)}


def mark_subsetted(resource: JsonResource) -> JsonResource:
    """A copy with SUBSETTED in meta.tag (once); the input is not changed."""
    meta: dict[str, Any] = dict(resource.get("meta") or {})
    tags = list(meta.get("tag") or [])
    if not any(t.get("system") == SUBSETTED["system"] and t.get("code") == "SUBSETTED" for t in tags):
        tags.append(dict(SUBSETTED))
    meta["tag"] = tags
    result = {**resource, "meta": meta}
    head: dict[str, Any] = {k: result[k] for k in ("resourceType", "id", "meta") if k in result}
    return {**head, **{k: v for k, v in result.items() if k not in head}}
