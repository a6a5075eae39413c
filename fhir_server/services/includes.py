"""`_include` and `_revinclude` for type-level search (FHIR search §3.1.1.5.4).

`_include=Type:param[:target]` (or `*`) adds the resources the page's matches refer to through `param`;
`_revinclude=Type:param[:target]` adds the resources of `Type` that refer to the matches through `param`.
The references of a match are those the Extractor indexes for the parameter, so include and search agree.
Only local references (`Type/id`, or absolute URLs on this server) are followed.

`:iterate` (and its R3 name `:recurse`) applies the spec again to the resources the previous round included,
at most ITERATE_DEPTH rounds after the first (a cycle stops earlier: each resource is included once). Other
modifiers, like unknown or non-reference parameters, are ignored in lenient mode and 400 in strict mode.
At most INCLUDE_CAP resources are included per page; the rest are left out silently (the page can be made
smaller with `_count`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from fhir_server.definitions.registry import SearchParamDef, SearchParamRegistry
from fhir_server.model.json import loads
from fhir_server.model.outcome import FhirError
from fhir_server.search.extract import Extractor
from fhir_server.search.index import ReferenceValue
from fhir_server.search.request import Criterion, ReferenceQuery, SearchRequest
from fhir_server.storage.base import Store, StoredResource

INCLUDE_CAP: Final = 1000
ITERATE_DEPTH: Final = 3
# An OR of ids is one SQL expression per id: chunks keep it well below SQLite's expression depth limit.
_REVINCLUDE_CHUNK: Final = 100
Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class IncludeSpec:
    kind: Literal["_include", "_revinclude"]
    source_type: str  # the type holding the reference
    param: SearchParamDef | None  # None: `*`, every reference parameter of source_type
    target_type: str | None  # `:target`, the referenced type
    iterate: bool = False  # `:iterate`: also applied to the included resources, round after round


def parse_includes(
    result_params: Sequence[tuple[str, str]],
    registry: SearchParamRegistry,
    *,
    strict: bool,
) -> tuple[list[IncludeSpec], list[tuple[str, str]]]:
    """The include specs among `result_params`, and the (name, value) pairs ignored (lenient mode)."""
    specs: list[IncludeSpec] = []
    ignored: list[tuple[str, str]] = []
    for name, raw in result_params:
        base, _, modifier = name.partition(":")
        if base not in ("_include", "_revinclude"):
            continue
        spec = _spec(base, modifier, raw, registry)
        if isinstance(spec, IncludeSpec):
            specs.append(spec)
        elif strict:
            raise FhirError.of(400, "not-supported", spec[0], spec[1], name)
        else:
            ignored.append((name, raw))
    return specs, ignored


def _spec(kind: str, modifier: str, raw: str, registry: SearchParamRegistry) -> IncludeSpec | tuple[str, str]:
    """A spec, or the (English, Vietnamese) reason it is not supported."""
    if modifier and modifier not in ("iterate", "recurse"):
        return (
            f"{kind}:{modifier} is not supported yet",
            f"Chưa hỗ trợ {kind}:{modifier}",
        )
    literal: Literal["_include", "_revinclude"] = "_include" if kind == "_include" else "_revinclude"
    iterate = bool(modifier)
    if kind == "_include" and raw == "*":
        return IncludeSpec(literal, "*", None, None, iterate)
    source_type, _, rest = raw.partition(":")
    code, _, target = rest.partition(":")
    if kind == "_include" and code == "*" and source_type in registry.by_type and not target:
        return IncludeSpec(literal, source_type, None, None, iterate)
    definition = registry.get(source_type, code)
    if definition is None or definition.type != "reference" or (target and target not in registry.by_type):
        return (
            f"{kind}={raw}: expected Type:parameter[:target] with a reference search parameter",
            f"{kind}={raw}: cần Type:tham-số[:kiểu-đích] với một tham số tìm kiếm kiểu tham chiếu",
        )
    return IncludeSpec(literal, source_type, definition, target or None, iterate)


class Includer:
    """Finds the included resources of one page of matches."""

    def __init__(
        self, store: Store, extractor: Extractor, cap: int = INCLUDE_CAP, depth: int = ITERATE_DEPTH
    ) -> None:
        self._store = store
        self._extractor = extractor
        self._cap = cap
        self._depth = depth

    def included(
        self, matches: Sequence[StoredResource], specs: Sequence[IncludeSpec], base_url: str
    ) -> list[StoredResource]:
        """Distinct resources, none of them among `matches`, at most `cap`: the first round applies every
        spec to the matches, each later round the `:iterate` specs to what the round before included."""
        seen: set[Key] = {(r.resource_type, r.id) for r in matches}
        found: list[StoredResource] = []
        iterating = [spec for spec in specs if spec.iterate]
        frontier, round_specs = list(matches), list(specs)
        for _ in range(self._depth + 1):
            start = len(found)
            for spec in round_specs:
                if spec.kind == "_include":
                    candidates = self._forward(frontier, spec, base_url)
                else:
                    candidates = self._reverse(frontier, spec, self._cap - len(found))
                for resource in candidates:
                    key = (resource.resource_type, resource.id)
                    if key in seen:
                        continue
                    seen.add(key)
                    found.append(resource)
                    if len(found) >= self._cap:
                        return found
            frontier, round_specs = found[start:], iterating
            if not frontier or not round_specs:
                break
        return found

    def _forward(
        self, matches: Sequence[StoredResource], spec: IncludeSpec, base_url: str
    ) -> Iterable[StoredResource]:
        codes = None if spec.param is None else {spec.param.index_code or spec.param.code}
        wanted: dict[Key, None] = {}
        for match in matches:
            if spec.source_type not in ("*", match.resource_type):
                continue
            for ref in self._extractor.extract(loads(match.body)).references:
                if codes is not None and ref.param not in codes:
                    continue
                key = _local_key(ref, base_url)
                if key is not None and spec.target_type in (None, key[0]):
                    wanted[key] = None
        for resource_type, id in wanted:
            stored = self._store.read(resource_type, id)
            if stored is not None and not stored.deleted:
                yield stored

    def _reverse(
        self, matches: Sequence[StoredResource], spec: IncludeSpec, limit: int
    ) -> Iterable[StoredResource]:
        assert spec.param is not None  # `*` is an _include form only
        stored_code = spec.param.index_code or spec.param.code
        by_type: dict[str, list[str]] = {}
        for match in matches:
            if spec.target_type in (None, match.resource_type):
                by_type.setdefault(match.resource_type, []).append(match.id)
        for target_type, ids in by_type.items():
            for start in range(0, len(ids), _REVINCLUDE_CHUNK):
                if limit <= 0:
                    return
                values = tuple(
                    ReferenceQuery(target_type, id, None) for id in ids[start:][:_REVINCLUDE_CHUNK]
                )
                criterion = Criterion(stored_code, "reference", None, values)
                request = SearchRequest(spec.source_type, (criterion,), (), limit, 0)
                page = self._store.search(request, with_total=False).resources
                limit -= len(page)
                yield from page


def _local_key(ref: ReferenceValue, base_url: str) -> Key | None:
    """(type, id) of a reference to a resource on this server, else None."""
    if ref.target_type is None or ref.target_id is None:
        return None
    local = f"{ref.target_type}/{ref.target_id}"
    url = ref.url.removeprefix(base_url.rstrip("/") + "/")
    if url == local or url.startswith(local + "/_history/"):
        return ref.target_type, ref.target_id
    return None
