"""Reference strings (R4 2.3.0.1 `Reference.reference`): which forms are well-formed, and what they name.

Accepted: relative `Type/id` and `Type/id/_history/vid`; absolute URLs (typed when they end that way);
`urn:uuid:` and `urn:oid:` (Bundle entries); `#id` and `#` (contained resources); and the conditional
form `Type?query` that a transaction Bundle may carry until the server resolves it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from fhir_server.model.ids import ID

_RELATIVE = re.compile(rf"(?P<type>[A-Z][A-Za-z]+)/(?P<id>{ID})(?:/_history/{ID})?")
_ABSOLUTE_TAIL = re.compile(rf".*/(?P<type>[A-Z][A-Za-z]+)/(?P<id>{ID})(?:/_history/{ID})?")
_CONDITIONAL = re.compile(r"(?P<type>[A-Z][A-Za-z]+)\?\S+")
_LOCAL = re.compile(rf"#(?P<id>{ID})?")
_UUID = re.compile(r"urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_OID = re.compile(r"urn:oid:[0-2](?:\.(?:0|[1-9][0-9]*))+")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://\S+")

ReferenceKind = Literal["relative", "absolute", "conditional", "local", "urn"]


@dataclass(frozen=True, slots=True)
class ParsedReference:
    kind: ReferenceKind
    resource_type: str | None  # the type the string names, when it names one
    id: str | None  # logical id, or the contained id for a local reference ("" for "#")


def parse_reference(value: str, resource_types: frozenset[str]) -> ParsedReference | None:
    """What the reference names, or None when it is malformed (or names a type FHIR R4 does not have)."""
    if value.startswith("#"):
        local = _LOCAL.fullmatch(value)
        return ParsedReference("local", None, local.group("id") or "") if local else None
    if value.startswith("urn:"):
        return ParsedReference("urn", None, None) if _UUID.fullmatch(value) or _OID.fullmatch(value) else None
    relative = _RELATIVE.fullmatch(value)
    if relative is not None:
        rt = relative.group("type")
        return ParsedReference("relative", rt, relative.group("id")) if rt in resource_types else None
    conditional = _CONDITIONAL.fullmatch(value)
    if conditional is not None:
        rt = conditional.group("type")
        return ParsedReference("conditional", rt, None) if rt in resource_types else None
    if _URL.fullmatch(value):
        tail = _ABSOLUTE_TAIL.fullmatch(value)
        if tail is not None and tail.group("type") in resource_types:
            return ParsedReference("absolute", tail.group("type"), tail.group("id"))
        return ParsedReference("absolute", None, None)  # not a FHIR REST URL: nothing more to check
    return None
