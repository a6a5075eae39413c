"""Writing a population to a directory: one NDJSON file per resource type (what `fhir-server import` and
Bulk Data exchanges use), and optionally transaction Bundles of N entries, one Bundle per line of
`transactions-N.ndjson`, for `POST [base]`.

Each Bundle entry is a `PUT Type/id` (the population's ids are client-assigned), so loading a Bundle twice
changes nothing but versions; entries have no fullUrl, which a PUT entry does not need (its
references are plain `Type/id`). Bundles keep the generation order, in which a referenced resource always
comes before the one referring to it, in the same Bundle or an earlier one.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

import orjson

from fhir_server.types import JsonResource


def transaction(resources: list[JsonResource]) -> JsonResource:
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"resource": r, "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}}
            for r in resources
        ],
    }


def write_directory(resources: Iterable[JsonResource], out: Path, bundle_sizes: Iterable[int] = ()) -> int:
    """Write `out/<Type>.ndjson` (and `out/transactions-<N>.ndjson` for each size); returns the count."""
    out.mkdir(parents=True, exist_ok=True)
    per_type: dict[str, BinaryIO] = {}
    sizes = sorted(set(bundle_sizes))
    bundles = {n: (out / f"transactions-{n}.ndjson").open("wb") for n in sizes}
    pending: dict[int, list[JsonResource]] = {n: [] for n in sizes}
    count = 0
    try:
        for resource in resources:
            kind = resource["resourceType"]
            if kind not in per_type:
                per_type[kind] = (out / f"{kind}.ndjson").open("wb")
            per_type[kind].write(orjson.dumps(resource) + b"\n")
            count += 1
            for n in sizes:
                pending[n].append(resource)
                if len(pending[n]) == n:
                    bundles[n].write(orjson.dumps(transaction(pending[n])) + b"\n")
                    pending[n] = []
        for n in sizes:
            if pending[n]:
                bundles[n].write(orjson.dumps(transaction(pending[n])) + b"\n")
    finally:
        for stream in [*per_type.values(), *bundles.values()]:
            stream.close()
    return count
