"""Fast load of a benchmark population into a store: index, write, no validation.

    python -m bench.population --patients 214000 --province 79 --communes 100 --out DIR
    python -m bench.bulk_load --database-url sqlite:////work/data/coverage200k/fhir.sqlite3 DIR/*.ndjson

For building large benchmark data sets only (DESIGN §10): `fhir-server import` validates every resource
(~2 ms each on a loaded 2-core machine), which would make 3.4 million resources a multi-hour job. The
generator's output is what `bench.population`'s tests validate against every national profile, so here
the worker processes extract index values and write them through the store's ordinary unit of work (the
same rows, history and derived tables a PUT writes), each its own chunks (SQLite orders the writers).
Resumable: a file whose
last resource is stored is skipped; otherwise loading restarts at the first resource not yet stored.
Never use it for data from outside. It keeps no coverage aggregate: run `fhir-server coverage rebuild`
afterwards (reports compute from the index until then).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from itertools import islice
from pathlib import Path
from typing import Any

import orjson

_worker: dict[str, Any] = {}


def _start(timezone: str, url: str) -> None:
    from zoneinfo import ZoneInfo

    from fhir_server.app import SystemClock
    from fhir_server.definitions.loader import load_definitions
    from fhir_server.search.extract import Extractor
    from fhir_server.storage.sqlite import SqliteStore

    _worker["extractor"] = Extractor(load_definitions().search_params, ZoneInfo(timezone))
    # No summarizer: `fhir-server coverage rebuild` builds the aggregate once, after the load.
    _worker["store"] = SqliteStore(Path(url.removeprefix("sqlite:///")), SystemClock(), lock_timeout=300.0)


def _load(lines: list[bytes], check: bool) -> int:
    extractor, store = _worker["extractor"], _worker["store"]
    resources = [orjson.loads(line) for line in lines]
    indexed = [(r, extractor.extract(r)) for r in resources]
    with store.unit_of_work() as unit:
        for resource, index in indexed:
            if check and unit.read(resource["resourceType"], resource["id"]) is not None:
                continue  # resumed: already stored
            unit.write(resource, index, method="PUT")
    return len(lines)


def _chunks(path: Path, size: int, skip: int) -> Iterator[list[bytes]]:
    with path.open("rb") as stream:
        lines = (line for line in islice(stream, skip, None) if line.strip())
        while chunk := list(islice(lines, size)):
            yield chunk


def _stored_prefix(store: Any, path: Path) -> int:
    """How many leading resources of `path` are stored already (binary search: written in file order)."""
    with path.open("rb") as stream:
        ids = [orjson.loads(line) for line in stream if line.strip()]
    keys = [(r["resourceType"], r["id"]) for r in ids]
    low, high = 0, len(keys)
    while low < high:
        mid = (low + high) // 2
        if store.read(*keys[mid]) is not None:
            low = mid + 1
        else:
            high = mid
    return low


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bulk_load", description=__doc__)
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--workers", type=int, default=min(os.cpu_count() or 1, 3))
    parser.add_argument("--batch-size", type=int, default=1000)
    args = parser.parse_args(argv)

    from fhir_server.app import SystemClock
    from fhir_server.settings import Settings
    from fhir_server.storage.factory import open_store

    settings = Settings()
    store = open_store(args.database_url, SystemClock())
    started, total = time.perf_counter(), 0
    init = (settings.default_timezone, args.database_url)
    with ProcessPoolExecutor(args.workers, initializer=_start, initargs=init) as pool:
        for path in args.paths:
            skip = _stored_prefix(store, path) if path.stat().st_size < 1 << 30 else 0
            chunks = _chunks(path, args.batch_size, skip)
            pending = [pool.submit(_load, c, skip == 0) for c in islice(chunks, 2 * args.workers)]
            while pending:
                total += pending.pop(0).result()
                if (nxt := next(chunks, None)) is not None:
                    pending.append(pool.submit(_load, nxt, skip == 0))
                rate = total / (time.perf_counter() - started)
                print(
                    f"\r{path.name}: {total:,} resources, {rate:,.0f}/s", end="", file=sys.stderr, flush=True
                )
            print(file=sys.stderr)
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
