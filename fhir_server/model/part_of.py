"""The `partOf` rule of the national Location and Organization profiles (vn-loc-2, vn-org-3): every
vaccination point, health station or other unit below province level belongs, through its chain of
`partOf` parents, to a province-level unit of the same province.

Levels (what a unit is, read from the unit alone):
- a Location is **province level** when it is a jurisdiction (`physicalType` code `jdn`) whose address
  carries a coded province (`vn-province` extension) and no coded commune: the province itself;
  a jurisdiction with neither is **above province** (the country, a region);
- an Organization is **province level** when it is a government authority (`type` code `govt`) whose
  address carries a coded province (a provincial Department of Health or CDC); a `govt` Organization
  without one is **above province** (a national institute);
- anything else is **below province** and must name its parent in `partOf`.

From a unit below province level the chain is followed, parent by parent, for at most MAX_PARENTS steps:
it must not break (every parent readable), not loop, and stop at a province-level unit; that province must
be the unit's own coded province when the unit has one. A unit that is province level or above needs no
parent; its own `partOf`, if any, is not followed.

Pure: the parents come from `read` (the store's snapshot, inside the write's unit of work), so the rule is
checked where the parents can be seen (services/part_of_chains.py), not by the on-resource profile checker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from fhir_server.model.outcome import Issue
from fhir_server.types import JsonResource

MAX_PARENTS = 6  # room -> building -> station -> commune -> (district) -> province, with room to spare
PROVINCE_EXTENSION = "https://fhir.vn/StructureDefinition/vn-province"
COMMUNE_EXTENSION = "https://fhir.vn/StructureDefinition/vn-commune"
JURISDICTION = "jdn"  # http://terminology.hl7.org/CodeSystem/location-physical-type
GOVERNMENT = "govt"  # http://terminology.hl7.org/CodeSystem/organization-type
RULES = {"Location": "vn-loc-2", "Organization": "vn-org-3"}

Reader = Callable[[str, str], JsonResource | None]  # (type, id) -> the live resource, None if none


class Level(Enum):
    BELOW = "below"
    PROVINCE = "province"
    ABOVE = "above"


def _objects(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return [value] if isinstance(value, dict) else []


def _coded(resource: JsonResource, url: str) -> str | None:
    """The first code of the `url` extension over the resource's address(es)."""
    for address in _objects(resource.get("address")):
        for ext in _objects(address.get("extension")):
            coding = ext.get("valueCoding")
            if ext.get("url") == url and isinstance(coding, dict) and isinstance(coding.get("code"), str):
                return str(coding["code"])
    return None


def province_of(resource: JsonResource) -> str | None:
    """The coded province of the resource's address (vn-province), if any."""
    return _coded(resource, PROVINCE_EXTENSION)


def _has_code(concepts: Any, code: str) -> bool:
    return any(
        isinstance(c, dict) and c.get("code") == code
        for concept in _objects(concepts)
        for c in _objects(concept.get("coding"))
    )


def level(resource: JsonResource) -> Level:
    if resource.get("resourceType") == "Location":
        if not _has_code(resource.get("physicalType"), JURISDICTION):
            return Level.BELOW
        if _coded(resource, COMMUNE_EXTENSION) is not None:
            return Level.BELOW
        return Level.ABOVE if province_of(resource) is None else Level.PROVINCE
    if not _has_code(resource.get("type"), GOVERNMENT):
        return Level.BELOW
    return Level.ABOVE if province_of(resource) is None else Level.PROVINCE


def parent_id(resource: JsonResource, resource_type: str) -> str | None:
    """The id `partOf` names (`Type/id`, or an absolute URL ending so); "" when it names something
    that cannot be read here (another server, a contained resource, another type); None when absent."""
    part_of = resource.get("partOf")
    if not isinstance(part_of, dict):
        return None
    reference = part_of.get("reference")
    if not isinstance(reference, str):
        return ""
    parts = reference.split("/")
    if len(parts) >= 2 and parts[-2] == resource_type and parts[-1]:
        return parts[-1]
    return ""


@dataclass(frozen=True, slots=True)
class _Text:
    en: str
    vi: str


def _issue(resource_type: str, text: _Text) -> Issue:
    key = RULES[resource_type]
    return Issue("invariant", f"{text.en} ({key})", f"{text.vi} ({key})", (f"{resource_type}.partOf",))


def chain_issues(resource: JsonResource, read: Reader) -> list[Issue]:
    """The one issue with `resource`'s chain of `partOf` parents ([] when the rule holds). `read` sees
    the store as the write will leave it; `resource` itself is taken as given, not read."""
    rt = str(resource.get("resourceType"))
    if rt not in RULES or level(resource) is not Level.BELOW:
        return []
    own_id, own_province = resource.get("id"), province_of(resource)
    seen = {own_id} if isinstance(own_id, str) else set()
    current, path = resource, f"{rt}/{own_id}" if own_id else rt
    for step in range(MAX_PARENTS + 1):
        parent = parent_id(current, rt)
        if parent is None:
            if step == 0:
                return [_issue(rt, _missing(rt))]
            return [_issue(rt, _never(path))]
        if not parent:
            return [_issue(rt, _unreadable(rt, path))]
        if parent in seen:
            return [_issue(rt, _cycle(rt, parent))]
        if step == MAX_PARENTS:
            return [_issue(rt, _too_deep(rt))]
        found = read(rt, parent)
        if found is None:
            return [_issue(rt, _not_found(rt, parent))]
        seen.add(parent)
        found_level = level(found)
        if found_level is Level.PROVINCE:
            reached = province_of(found)
            if own_province is not None and reached != own_province:
                return [_issue(rt, _mismatch(rt, parent, reached, own_province))]
            return []
        if found_level is Level.ABOVE:
            return [_issue(rt, _above(rt, parent))]
        current, path = found, f"{rt}/{parent}"
    raise AssertionError("unreachable: the loop returns by its last step")


def _missing(rt: str) -> _Text:
    return _Text(
        f"A {rt} below province level must name its parent (partOf), up to its province",
        f"{rt} dưới cấp tỉnh phải có đơn vị cấp trên (partOf), lên đến cấp tỉnh",
    )


def _unreadable(rt: str, path: str) -> _Text:
    return _Text(
        f"The partOf of {path} must reference a {rt} on this server ({rt}/[id])",
        f"partOf của {path} phải tham chiếu tới một {rt} trên máy chủ này ({rt}/[id])",
    )


def _not_found(rt: str, parent: str) -> _Text:
    return _Text(
        f"The parent {rt}/{parent} named in the partOf chain does not exist",
        f"Không tìm thấy đơn vị cấp trên {rt}/{parent} trong chuỗi partOf",
    )


def _cycle(rt: str, parent: str) -> _Text:
    return _Text(
        f"The partOf chain loops back to {rt}/{parent}",
        f"Chuỗi partOf quay vòng lại {rt}/{parent}",
    )


def _too_deep(rt: str) -> _Text:
    return _Text(
        f"The partOf chain does not reach a province-level {rt} within {MAX_PARENTS} parents",
        f"Chuỗi partOf không đến được {rt} cấp tỉnh trong vòng {MAX_PARENTS} cấp",
    )


def _never(path: str) -> _Text:
    return _Text(
        f"The partOf chain ends at {path}, which is not province level: it never reaches a province",
        f"Chuỗi partOf dừng ở {path}, không phải cấp tỉnh: không bao giờ đến được cấp tỉnh",
    )


def _above(rt: str, parent: str) -> _Text:
    return _Text(
        f"The partOf chain passes {rt}/{parent}, which is above province level, without reaching a province",
        f"Chuỗi partOf đi qua {rt}/{parent} (trên cấp tỉnh) mà không qua đơn vị cấp tỉnh nào",
    )


def _mismatch(rt: str, parent: str, reached: str | None, own: str) -> _Text:
    return _Text(
        f"The partOf chain reaches province {reached} ({rt}/{parent}), but the address is in province {own}",
        f"Chuỗi partOf đến tỉnh {reached} ({rt}/{parent}), nhưng địa chỉ thuộc tỉnh {own}",
    )
