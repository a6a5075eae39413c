"""`CodeSystem/$lookup`, `ValueSet/$expand` (with `filter`, accent-insensitive) and `ValueSet/$validate-code`
over the national terminology (terminology/, loaded once). Parameters come as (name, value) pairs from the
query string or a Parameters body; answers are Parameters or ValueSet resources."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from fhir_server.definitions.terminology import Concept, Terminology, ValueSetDef
from fhir_server.model.bundle import instant
from fhir_server.model.outcome import FhirError
from fhir_server.search.normalize import fold
from fhir_server.types import Clock, JsonResource

Params = Sequence[tuple[str, str]]
MAX_EXPANSION = 1000


def one(params: Params, name: str, *, required: bool = False) -> str | None:
    values = [v for n, v in params if n == name]
    if len(values) > 1:
        raise FhirError.of(
            400, "invalid", f"Parameter {name} may be given once", f"Tham số {name} chỉ được một lần"
        )
    if required and not values:
        raise FhirError.of(400, "required", f"Parameter {name} is required", f"Thiếu tham số {name}")
    return values[0] if values else None


def _int(params: Params, name: str, default: int) -> int:
    text = one(params, name)
    if text is None:
        return default
    if not text.isdigit():
        raise FhirError.of(400, "invalid", f"{name} must be a whole number", f"{name} phải là số nguyên")
    return int(text)


class TerminologyOperations:
    def __init__(self, terminology: Terminology, clock: Clock) -> None:
        self._t = terminology
        self._clock = clock
        # ValueSet url -> each member with its folded words, built once per set: type-ahead over the
        # 3,321 communes then compares prefixes only (fold() per member per keystroke cost ~10 ms).
        self._words: dict[str, tuple[tuple[Concept, str], ...]] = {}

    def _value_set(self, params: Params) -> ValueSetDef:
        url = one(params, "url", required=True) or ""
        value_set = self._t.value_sets.get(url.split("|", maxsplit=1)[0])
        if value_set is None:
            raise FhirError.of(404, "not-found", f"Unknown ValueSet {url}", f"Không có tập giá trị {url}")
        return value_set

    def lookup(self, params: Params) -> JsonResource:
        system = one(params, "system", required=True) or ""
        code = one(params, "code", required=True) or ""
        cs = self._t.code_systems.get(system)
        if cs is None:
            raise FhirError.of(404, "not-found", f"Unknown CodeSystem {system}", f"Không có hệ mã {system}")
        concept = cs.concepts.get(code)
        if concept is None:
            raise FhirError.of(
                404,
                "not-found",
                f"Code {code} is not in {system}",
                f"Mã {code} không có trong {system}",
                "code",
            )
        out: list[JsonResource] = [
            {"name": "name", "valueString": cs.resource.get("name", system)},
            {"name": "version", "valueString": cs.resource.get("version", "")},
            {"name": "display", "valueString": concept.display},
        ]
        if concept.vi:
            out.append(
                {
                    "name": "designation",
                    "part": [
                        {"name": "language", "valueCode": "vi"},
                        {"name": "value", "valueString": concept.vi},
                    ],
                }
            )
        for prop, values in concept.properties.items():
            for value in values:
                out.append({"name": "property", "part": [{"name": "code", "valueCode": prop}, _typed(value)]})
        return {"resourceType": "Parameters", "parameter": out}

    def expand(self, params: Params) -> JsonResource:
        value_set = self._value_set(params)
        text = one(params, "filter")
        offset = _int(params, "offset", 0)
        count = min(_int(params, "count", MAX_EXPANSION), MAX_EXPANSION)
        members = list(value_set.members)
        if text:
            words = fold(text).replace("-", " ").split()
            starts = [f" {word}" for word in words]
            members = [m for m, tokens in self._indexed(value_set) if all(w in tokens for w in starts)]
        page = members[offset : offset + count]
        expansion: JsonResource = {
            "identifier": f"urn:uuid:{uuid.uuid4()}",
            "timestamp": instant(self._clock.now()),
            "total": len(members),
            "offset": offset,
            "parameter": [{"name": "filter", "valueString": text}] if text else [],
            "contains": [_contains(m) for m in page],
        }
        if not expansion["parameter"]:
            del expansion["parameter"]
        if not expansion["contains"]:
            del expansion["contains"]
        resource = {k: v for k, v in value_set.resource.items() if k != "compose"}
        resource["expansion"] = expansion
        return resource

    def _indexed(self, value_set: ValueSetDef) -> tuple[tuple[Concept, str], ...]:
        indexed = self._words.get(value_set.url)
        if indexed is None:
            indexed = tuple((m, _tokens(m)) for m in value_set.members)
            self._words[value_set.url] = indexed
        return indexed

    def validate_code(self, params: Params) -> JsonResource:
        value_set = self._value_set(params)
        code = one(params, "code", required=True) or ""
        system = one(params, "system")
        verdict = value_set.contains(system, code)
        concept = value_set.member(system, code)
        out: list[JsonResource] = [{"name": "result", "valueBoolean": verdict is True}]
        if concept is not None:
            out.append({"name": "display", "valueString": concept.display})
            display = one(params, "display")
            if display and fold(display) not in {fold(concept.display), fold(concept.vi or "")}:
                out[0]["valueBoolean"] = False
                out.append({"name": "message", "valueString": f"Wrong display {display!r} for {code}"})
        elif verdict is None:
            out.append(
                {"name": "message", "valueString": f"{system} is not held by this server; cannot decide"}
            )
        else:
            out.append({"name": "message", "valueString": f"{code} is not in {value_set.url}"})
        return {"resourceType": "Parameters", "parameter": out}


def _typed(value: object) -> JsonResource:
    if isinstance(value, bool):
        return {"name": "value", "valueBoolean": value}
    return {"name": "value", "valueString": str(value)}


def _tokens(member: Concept) -> str:
    """The folded words of the display, the Vietnamese designation and the code, each after a space: a
    filter word starts one of them when `" " + word` occurs in this string (one C-level search)."""
    text = f"{fold(member.display)} {fold(member.vi or '')} {fold(member.code)}"
    return " " + " ".join(dict.fromkeys(text.replace("-", " ").split()))


def _contains(member: Concept) -> JsonResource:
    entry: JsonResource = {"system": member.system, "code": member.code, "display": member.display}
    if member.vi:
        entry["designation"] = [{"language": "vi", "value": member.vi}]
    return entry
