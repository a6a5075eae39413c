"""Measured sizes of the MongoDB documents and index keys, scaled to a national registry (docs/scaling.md).

    python -m bench.mongo_sizes                       # 2,000 children of bench.population
    python -m bench.mongo_sizes --patients 5000 --target-patients 100000000 --target-immunizations 2000000000

Each resource of the synthetic population is stamped and indexed exactly as the Mongo backend stores it
(`storage.mongo.unit_of_work.resource_document` / `history_document`, index values from
`search.extract`), and measured with `bson.encode`. Index sizes are counted from the keys each index
holds for those documents (a multikey index holds one key per `_idx` row of its kind): key bytes as
BSON plus ~16 bytes per entry for the record id and the B-tree's own overhead, before WiredTiger's
prefix compression, which shrinks these type- and parameter-led keys further. So the index figures are
an upper bound; documents are stored with snappy block compression on top of the BSON size shown.
Nothing is asserted; no database is needed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import zlib
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import bson

from bench.population import generate
from fhir_server.definitions.loader import load_definitions
from fhir_server.search.extract import Extractor
from fhir_server.storage.base import StoredResource
from fhir_server.storage.mongo.documents import compartment, resource_key
from fhir_server.storage.mongo.indexes import HISTORY_INDEXES, RESOURCE_INDEXES
from fhir_server.storage.mongo.unit_of_work import history_document, resource_document
from fhir_server.storage.versioning import stamp

_ENTRY_OVERHEAD = 16  # record id + B-tree slot, bytes per index entry (WiredTiger, before compression)
_MB = 1024 * 1024
_GB = 1024 * _MB


def _field(doc: Any, path: str) -> list[Any]:
    """Values of a dotted path, spreading arrays (what a multikey index sees)."""
    values = [doc]
    for part in path.split("."):
        spread: list[Any] = []
        for value in values:
            items = value if isinstance(value, list) else [value]
            spread += [item.get(part) for item in items if isinstance(item, dict)]
        values = spread
    return [v for value in values for v in (value if isinstance(value, list) else [value])]


def _index_keys(doc: dict[str, Any], fields: list[str]) -> list[int]:
    """Byte size of each key the index holds for `doc`. Fields inside one `_idx` array are taken row by
    row (a compound multikey index over one array keys each element), scalar fields once."""
    array = next((f.rsplit(".", 1)[0] for f in fields if f.startswith("_idx.")), None)
    if array is None:
        return [len(bson.encode({str(n): v for n, f in enumerate(fields) for v in _field(doc, f)[:1]}))]
    rows = [row for row in _field(doc, array) if isinstance(row, dict)]
    if not rows:
        return []  # the caller counts the null key a (non-partial) index still holds
    scalars = {f: _field(doc, f)[:1] for f in fields if not f.startswith(array + ".")}
    sizes = []
    for row in rows:
        key = {f: values[0] if values else None for f, values in scalars.items()}
        key.update({f: row.get(f.rsplit(".", 1)[1]) for f in fields if f.startswith(array + ".")})
        sizes.append(len(bson.encode(key)))
    return sizes


class _Pages:
    """Documents packed into 32 KB pages, WiredTiger's leaf page size, each page compressed with zlib
    (one of WiredTiger's block compressors): how much the disk format may shrink them."""

    def __init__(self) -> None:
        self._page = bytearray()
        self.raw = 0
        self.compressed = 0

    def add(self, document: bytes) -> None:
        self._page += document
        if len(self._page) >= 32 * 1024:
            self.raw += len(self._page)
            self.compressed += len(zlib.compress(bytes(self._page), 6))
            self._page.clear()

    def ratio(self) -> float:
        return self.raw / self.compressed if self.compressed else 1.0


def measure(patients: int, seed: int) -> dict[str, Any]:
    definitions = load_definitions()
    extractor = Extractor(definitions.search_params, ZoneInfo("Asia/Ho_Chi_Minh"))
    moment = datetime(2026, 11, 1, tzinfo=UTC)
    sizes: dict[str, list[int]] = defaultdict(list)
    history_sizes: dict[str, list[int]] = defaultdict(list)
    body_sizes: dict[str, list[int]] = defaultdict(list)
    idx_rows: dict[str, list[int]] = defaultdict(list)
    keys: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    shared: set[str] = set()  # types outside any patient compartment (facilities)
    history_keys: dict[str, list[int]] = defaultdict(list)  # all history index entries of a version
    pages = {"resources": _Pages(), "history": _Pages()}
    for seq, resource in enumerate(generate(patients, seed=seed), start=1):
        rtype, id = resource["resourceType"], resource["id"]
        index = extractor.extract(resource)
        body = stamp(resource, 1, moment)
        stored = StoredResource(rtype, id, 1, moment, False, "PUT", body)
        pc = compartment(rtype, id, index)
        doc = resource_document(resource_key(rtype, id), stored, seq, index, pc)
        encoded = bson.encode(doc)
        sizes[rtype].append(len(encoded))
        history_sizes[rtype].append(len(bson.encode(history_document(stored, seq, pc))))
        pages["resources"].add(encoded)
        pages["history"].add(bson.encode(history_document(stored, seq, pc)))
        body_sizes[rtype].append(len(body))
        idx_rows[rtype].append(sum(len(rows) for rows in doc["_idx"].values()))
        if pc is None:
            shared.add(rtype)
        for model in RESOURCE_INDEXES:
            spec = model.document
            fields = list(spec["key"].keys())
            # A partial index holds nothing for a document outside its filter (a `$exists` on one path);
            # another index holds one null key for a document without rows of its kind.
            partial = spec.get("partialFilterExpression")
            if partial and not any(v is not None for path in partial for v in _field(doc, path)):
                entries = []
            else:
                entries = _index_keys(doc, fields) or [len(bson.encode(dict.fromkeys(fields)))]
            keys[rtype][spec["name"]].append(sum(e + _ENTRY_OVERHEAD for e in entries))
        keys[rtype]["_id_"].append(len(bson.encode({"_id": doc["_id"]})) + _ENTRY_OVERHEAD)
        version = history_document(stored, seq, pc)
        for model in HISTORY_INDEXES:
            fields = list(model.document["key"].keys())
            history_keys[rtype].append(sum(e + _ENTRY_OVERHEAD for e in _index_keys(version, fields)))
        history_keys[rtype].append(len(bson.encode({"_id": version["_id"]})) + _ENTRY_OVERHEAD)
    return {
        "patients": patients,
        "types": {
            rtype: {
                "count": len(values),
                "document": statistics.fmean(values),
                "history": statistics.fmean(history_sizes[rtype]),
                "body": statistics.fmean(body_sizes[rtype]),
                "idx_rows": statistics.fmean(idx_rows[rtype]),
                "index_bytes": {name: statistics.fmean(v) for name, v in keys[rtype].items()},
                "history_index_bytes": sum(history_keys[rtype]) / len(values),
            }
            for rtype, values in sorted(sizes.items())
        },
        "history_index_names": [m.document["name"] for m in HISTORY_INDEXES],
        "shared": sorted(shared),
        "zlib_ratio": {name: p.ratio() for name, p in pages.items()},
    }


def report(measured: dict[str, Any], target_patients: int, target_immunizations: int, facilities: int) -> str:
    types = measured["types"]
    per_patient = {t: v["count"] / measured["patients"] for t, v in types.items()}
    scale = {t: facilities if t in measured["shared"] else per_patient[t] * target_patients for t in types}
    if "Immunization" in types:
        scale["Immunization"] = float(target_immunizations)
    lines = [
        f"Measured on {measured['patients']:,} children of bench.population "
        f"(`python -m bench.mongo_sizes --patients {measured['patients']}`).",
        "",
        "| type | measured docs | BSON bytes/doc (resources) | history bytes/version | JSON body bytes"
        " | _idx rows/doc | index bytes/doc (all resource indexes) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for rtype, v in types.items():
        lines.append(
            f"| {rtype} | {v['count']:,} | {v['document']:,.0f} | {v['history']:,.0f} | {v['body']:,.0f}"
            f" | {v['idx_rows']:.1f} | {sum(v['index_bytes'].values()):,.0f} |"
        )
    lines += [
        "",
        f"Scaled to {target_patients:,} patients and {target_immunizations:,} immunizations "
        f"(one version each; {', '.join(measured['shared'])}: {facilities:,} each; other types in their"
        " measured proportion to patients):",
        "",
        "| type | documents | resources GB (BSON) | history GB (BSON) | resource indexes GB (upper bound)"
        " | history indexes GB (upper bound) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    totals = [0.0, 0.0, 0.0, 0.0]
    per_index: dict[str, float] = defaultdict(float)
    for rtype, v in types.items():
        count = scale[rtype]
        row = [
            count * v["document"] / _GB,
            count * v["history"] / _GB,
            count * sum(v["index_bytes"].values()) / _GB,
            count * v["history_index_bytes"] / _GB,
        ]
        totals = [a + b for a, b in zip(totals, row, strict=True)]
        for name, size in v["index_bytes"].items():
            per_index[name] += count * size / _GB
        lines.append(f"| {rtype} | {count:,.0f} | " + " | ".join(f"{x:,.0f}" for x in row) + " |")
    lines.append("| **total** | | " + " | ".join(f"**{x:,.0f}**" for x in totals) + " |")
    lines += ["", "| resource index | GB at that scale (upper bound) |", "|---|---:|"]
    lines += [f"| {name} | {size:,.1f} |" for name, size in sorted(per_index.items(), key=lambda i: -i[1])]
    ratios = measured["zlib_ratio"]
    lines += [
        "",
        f"zlib (level 6) over 32 KB pages of consecutive documents: resources {ratios['resources']:.1f}x, "
        f"history {ratios['history']:.1f}x (synthetic data: an upper bound for real records).",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mongo_sizes", description=__doc__)
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--target-patients", type=int, default=100_000_000)
    parser.add_argument("--target-immunizations", type=int, default=2_000_000_000)
    parser.add_argument("--facilities", type=int, default=20_000, help="Organizations (and Locations)")
    args = parser.parse_args(argv)
    measured = measure(args.patients, args.seed)
    print(report(measured, args.target_patients, args.target_immunizations, args.facilities))
    return 0


if __name__ == "__main__":
    sys.exit(main())
