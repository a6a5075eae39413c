"""The index rows of an AuditEvent this server built (services.audit), without evaluating FHIRPath.

The audit writer knows every element it put into an event, so it converts them directly with the same
converters the Extractor uses (search.convert): the rows are the Extractor's exactly (a test compares
them over every kind of event the trail writes). Most elements repeat from event to event (the event
type, the server, the caller, the interaction), so converted rows are remembered by value: an event
then costs a few dictionary lookups plus its date and whatever is new in it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from fhir_server.search.convert import Rows, to_dates, to_references, to_strings, to_tokens, to_uris
from fhir_server.search.extract import Extractor
from fhir_server.search.index import IndexValues
from fhir_server.types import JsonResource

Converter = Callable[[Rows, tuple[str, ...], Any, str | None], None]
_Converted = tuple[tuple[Any, ...], tuple[Any, ...], tuple[Any, ...]]  # strings, tokens, references
_MEMO_SIZE: Final = 4096
_memo: dict[tuple[str, str, object], _Converted] = {}  # the writer thread's; dict operations are atomic


def audit_index(event: JsonResource, extractor: Extractor) -> IndexValues:
    rows = extractor.new_rows()
    _convert(rows, to_tokens, "action", event.get("action"), None)
    for agent in event.get("agent", ()):
        _convert(rows, to_strings, "address", (agent.get("network") or {}).get("address"), None)
        _reference(rows, "agent", agent.get("who"))
        _convert(rows, to_strings, "agent-name", agent.get("name"), None)
        for role in agent.get("role", ()):
            _convert(rows, to_tokens, "agent-role", role, "CodeableConcept")
        _convert(rows, to_tokens, "altid", agent.get("altId"), None)
        for policy in agent.get("policy", ()):
            to_uris(rows, ("policy",), policy, None)
    to_dates(rows, ("date",), event.get("recorded"), None)
    for entity in event.get("entity", ()):
        _reference(rows, "entity", entity.get("what"))
        _convert(rows, to_strings, "entity-name", entity.get("name"), None)
        _convert(rows, to_tokens, "entity-role", entity.get("role"), "Coding")
        _convert(rows, to_tokens, "entity-type", entity.get("type"), "Coding")
    _convert(rows, to_tokens, "outcome", event.get("outcome"), None)
    source = event.get("source") or {}
    _convert(rows, to_tokens, "site", source.get("site"), None)
    _convert(rows, to_references, "source", source.get("observer"), "Reference")
    for subtype in event.get("subtype", ()):
        _convert(rows, to_tokens, "subtype", subtype, "Coding")
    _convert(rows, to_tokens, "type", event.get("type"), "Coding")
    return IndexValues(
        tuple(dict.fromkeys(rows.strings)),
        tuple(dict.fromkeys(rows.tokens)),
        tuple(rows.dates),
        tuple(dict.fromkeys(rows.references)),
        (),
        (),
        tuple(dict.fromkeys(rows.uris)),
        (),
    )


def _reference(rows: Rows, code: str, value: Any) -> None:
    """`agent`/`entity`, and `patient` when the reference is to a Patient (FHIRPath's `resolve() is
    Patient` on a relative reference)."""
    _convert(rows, to_references, code, value, "Reference")
    reference = value.get("reference") if isinstance(value, dict) else None
    if isinstance(reference, str) and reference.startswith("Patient/"):
        _convert(rows, to_references, "patient", {"reference": reference}, "Reference")


def _convert(rows: Rows, converter: Converter, code: str, value: Any, kind: str | None) -> None:
    if value is None:
        return
    key = _key(value)
    if key is None:  # a shape not worth remembering: convert it as it is
        converter(rows, (code,), value, kind)
        return
    memo_key = (converter.__name__, code, key)
    found = _memo.get(memo_key)
    if found is None:
        scratch = Rows(rows.tz, rows.known_types)
        converter(scratch, (code,), value, kind)
        found = (tuple(scratch.strings), tuple(scratch.tokens), tuple(scratch.references))
        if len(_memo) >= _MEMO_SIZE:
            _memo.clear()
        _memo[memo_key] = found
    rows.strings.extend(found[0])
    rows.tokens.extend(found[1])
    rows.references.extend(found[2])


def _key(value: Any) -> object | None:
    """A hashable stand-in for a string or a flat-or-nested dict/list of strings; None otherwise."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        items = []
        for name, item in value.items():
            inner = _key(item)
            if inner is None:
                return None
            items.append((name, inner))
        return ("dict", tuple(items))
    if isinstance(value, list):
        inner_items = [_key(item) for item in value]
        return None if any(i is None for i in inner_items) else ("list", tuple(inner_items))
    return None
