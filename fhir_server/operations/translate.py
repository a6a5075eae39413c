"""`ConceptMap/$translate` over the national ConceptMaps (terminology/): a former province or commune code to
today's unit, a national vaccine product to its CVX type, and back with `reverse=true`.

Each map is indexed once, on first use, both ways: (system, code) -> its matches, in the map's order (a
split commune's default successor first). R4's equivalence says what the target is relative to the
source, so a reversed match reads the other way round (`wider` becomes `narrower`).
Inputs: `code` + `system`, or `coding` (POST); `url` or the instance picks the map, else every map from
`system` (`source`/`target` ValueSets narrow the choice); `targetsystem`; `reverse`. The R4 inputs this
server cannot honour (`codeableConcept`, `dependency`, versions) are refused, never silently ignored."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from fhir_server.definitions.terminology import Terminology
from fhir_server.model.outcome import FhirError
from fhir_server.operations.terminology import Params, one
from fhir_server.types import JsonResource


@dataclass(frozen=True, slots=True)
class Match:
    system: str
    code: str
    display: str
    equivalence: str
    comment: str
    map_url: str


Index = Mapping[tuple[str, str], tuple[Match, ...]]
_REVERSED = {"wider": "narrower", "narrower": "wider", "subsumes": "specializes", "specializes": "subsumes"}
_REFUSED = ("codeableConcept", "dependency", "conceptMapVersion", "version")
_URIS = ("sourceUri", "targetUri")


def _index(concept_map: JsonResource, reverse: bool) -> Index:
    out: dict[tuple[str, str], list[Match]] = {}
    url = concept_map["url"]
    for group in concept_map.get("group", ()):
        source, target = group.get("source", ""), group.get("target", "")
        for element in group.get("element", ()):
            for t in element.get("target", ()):
                equivalence = t.get("equivalence", "")
                if "code" not in t:
                    if not reverse:
                        out.setdefault((source, element["code"]), [])  # known, but `unmatched`
                    continue
                if reverse:
                    key = (target, t["code"])
                    reversed_equivalence = _REVERSED.get(equivalence, equivalence)
                    match = Match(
                        source, element["code"], element.get("display", ""), reversed_equivalence, "", url
                    )
                else:
                    key = (source, element["code"])
                    match = Match(
                        target, t["code"], t.get("display", ""), equivalence, t.get("comment", ""), url
                    )
                out.setdefault(key, []).append(match)
    return {key: tuple(matches) for key, matches in out.items()}


class Translator:
    def __init__(self, terminology: Terminology) -> None:
        self._maps = terminology.concept_maps
        self._indexes: dict[tuple[str, bool], Index] = {}

    def translate(self, params: Params, id: str | None = None) -> JsonResource:
        refused = [name for name, _ in params if name in _REFUSED]
        if refused:
            raise FhirError.of(
                400, "not-supported", f"$translate here does not take {refused[0]}: send system and code",
                f"$translate không nhận tham số {refused[0]}: hãy gửi system và code", refused[0],
            )  # fmt: skip
        coded = one(params, "coding.code") is not None
        code = one(params, "coding.code" if coded else "code", required=True) or ""
        system = one(params, "coding.system" if coded else "system", required=True) or ""
        reverse = (one(params, "reverse") or "false").lower()
        if reverse not in ("true", "false"):
            raise FhirError.of(
                400, "invalid", "reverse takes true or false", "reverse chỉ nhận true hoặc false", "reverse"
            )
        target_system = one(params, "targetsystem")
        maps = self._chosen(id, one(params, "url"))
        # `source`/`target`: the ValueSets of the code given and of the answer (swapped when reversed).
        value_sets = (one(params, "source"), one(params, "target"))
        if reverse == "true":
            value_sets = value_sets[::-1]
        maps = [
            cm for cm in maps if all(v in (None, cm.get(k)) for v, k in zip(value_sets, _URIS, strict=True))
        ]
        matches: list[Match] = []
        known = False
        for concept_map in maps:
            found = self._index(concept_map, reverse == "true").get((system, code))
            if found is not None:
                known = True
                matches += [m for m in found if target_system in (None, m.system)]
        out: list[JsonResource] = [{"name": "result", "valueBoolean": bool(matches)}]
        if not matches:
            text = f"{system}|{code} has no match" if known else f"{system}|{code} is in no map used here"
            out.append({"name": "message", "valueString": text})
        elif matches[0].comment:  # R4's match has no comment part: a split unit's note goes here
            out.append({"name": "message", "valueString": f"{matches[0].code}: {matches[0].comment}"})
        out += [_match(m) for m in matches]
        return {"resourceType": "Parameters", "parameter": out}

    def _chosen(self, id: str | None, url: str | None) -> Iterable[JsonResource]:
        if id is not None:
            found = [cm for cm in self._maps.values() if cm.get("id") == id]
            if not found:
                raise FhirError.of(404, "not-found", f"No ConceptMap {id}", f"Không có ConceptMap {id}")
            return found
        if url is not None:
            concept_map = self._maps.get(url.split("|", maxsplit=1)[0])
            if concept_map is None:
                raise FhirError.of(
                    404, "not-found", f"Unknown ConceptMap {url}", f"Không có ConceptMap {url}", "url"
                )
            return [concept_map]
        return self._maps.values()  # every map: each is indexed by its own source system

    def _index(self, concept_map: JsonResource, reverse: bool) -> Index:
        key = (concept_map["url"], reverse)
        index = self._indexes.get(key)
        if index is None:
            index = self._indexes[key] = _index(concept_map, reverse)
        return index


def _match(m: Match) -> JsonResource:
    parts: list[JsonResource] = [
        {"name": "equivalence", "valueCode": m.equivalence},
        {"name": "concept", "valueCoding": {"system": m.system, "code": m.code, "display": m.display}},
        {"name": "source", "valueUri": m.map_url},
    ]
    return {"name": "match", "part": parts}
