#!/usr/bin/env python3
"""Regenerate conformance/summary-elements.json from the official R4 StructureDefinitions.

Run by hand, never at run time (see conformance/README.md):

    .venv/bin/python scripts/vendor/summary_elements.py --examples /tmp/npmpkgs/ex/package

Input: Bundle-resources.json of the npm package hl7.fhir.r4.examples@4.0.1 (CC0), the StructureDefinitions
of the 146 R4 resource types. Output: {resourceType: {"summary": [...], "mandatory": [...]}}, the top-level
elements of each type flagged `isSummary` and those with `min >= 1`, in definition order. Choice elements
keep their base name (`value[x]`); the server expands them to JSON names (`valueQuantity`) when it uses them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def elements_of(definition: dict[str, Any]) -> dict[str, list[str]]:
    """The summary and mandatory top-level element names of one resource StructureDefinition."""
    type_name = definition["type"]
    summary: list[str] = []
    mandatory: list[str] = []
    for element in definition["snapshot"]["element"]:
        prefix, dot, name = element["path"].partition(".")
        if prefix != type_name or not dot or "." in name:
            continue
        if element.get("isSummary"):
            summary.append(name)
        if int(element.get("min", 0)) >= 1:
            mandatory.append(name)
    return {"summary": summary, "mandatory": mandatory}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=Path, required=True, help="extracted hl7.fhir.r4.examples package")
    parser.add_argument("--out", type=Path, default=ROOT / "conformance" / "summary-elements.json")
    args = parser.parse_args()
    source = json.loads((args.examples / "Bundle-resources.json").read_text(encoding="utf-8"))
    table: dict[str, dict[str, list[str]]] = {}
    for entry in source["entry"]:
        definition = entry["resource"]
        if (
            definition.get("resourceType") == "StructureDefinition"
            and definition.get("kind") == "resource"
            and definition.get("derivation") == "specialization"
            and not definition.get("abstract")
        ):
            table[definition["type"]] = elements_of(definition)
    lines = [f"  {json.dumps(rt)}: {json.dumps(table[rt], ensure_ascii=False)}" for rt in sorted(table)]
    args.out.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")
    print(f"{len(table)} resource types written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
