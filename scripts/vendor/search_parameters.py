#!/usr/bin/env python3
"""Regenerate conformance/search-parameters.json from the official R4 SearchParameters.

Run by hand, never at run time (see conformance/README.md):

    .venv/bin/python scripts/vendor/search_parameters.py --examples /tmp/npmpkgs/ex/package

Input: Bundle-searchParams.json of the npm package hl7.fhir.r4.examples@4.0.1 (CC0), all 1,375 R4
SearchParameters. Output: the same Bundle with each SearchParameter trimmed to the fields a server needs
(narrative, descriptions, contacts, publisher, dates, extensions and XPath dropped), one entry per line so
that a diff shows which parameter changed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
KEEP = (
    "resourceType",
    "id",
    "url",
    "version",
    "name",
    "status",
    "code",
    "base",
    "type",
    "expression",
    "xpathUsage",
    "target",
    "multipleOr",
    "multipleAnd",
    "comparator",
    "modifier",
    "chain",
    "component",
)


def trim(resource: dict[str, Any]) -> dict[str, Any]:
    out = {key: resource[key] for key in KEEP if key in resource}
    if "component" in out:
        out["component"] = [
            {k: c[k] for k in ("definition", "expression") if k in c} for c in out["component"]
        ]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=Path, required=True, help="extracted hl7.fhir.r4.examples package")
    parser.add_argument("--out", type=Path, default=ROOT / "conformance" / "search-parameters.json")
    args = parser.parse_args()
    source = json.loads((args.examples / "Bundle-searchParams.json").read_text(encoding="utf-8"))
    resources = [e["resource"] for e in source["entry"]]
    entries = [trim(r) for r in resources if r["resourceType"] == "SearchParameter"]
    lines = [
        json.dumps({"fullUrl": r["url"], "resource": r}, ensure_ascii=False, separators=(",", ":"))
        for r in entries
    ]
    header = {"resourceType": "Bundle", "id": source.get("id", "searchParams"), "type": "collection"}
    text = json.dumps(header, separators=(",", ":"))[:-1] + ',"entry":[\n' + ",\n".join(lines) + "\n]}\n"
    json.loads(text)  # self-check: the output is valid JSON
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {len(entries)} SearchParameters to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
