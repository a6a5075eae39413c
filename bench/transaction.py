"""Transaction Bundles over HTTP: resources/s for bundles of about 10 and about 100 entries.

    python -m bench.transaction                          # 20,000 resources per bundle size, 4 clients
    python -m bench.transaction --resources 50000 --sizes 10 100 --clients 8

It starts `fhir-server serve` on a fresh SQLite file (as bench.crud does), PUTs the synthetic facilities,
then POSTs the children's records as transaction Bundles: each child's Patient, mother and Immunizations
as `urn:uuid:` entries that reference each other, several children per Bundle up to the size asked. Each
size runs on its own fresh server. The same rows are then inserted into a bare SQLite table (one
transaction per Bundle, no validation, no indexing) to give the storage limit on this machine in the same
run: the ratio tells how close the server comes to it.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench import server_process, workload
from fhir_server.types import JsonResource

_NAMESPACE = uuid.UUID("5b0d7b4e-8c1a-4f43-9a52-2f0f3e4d5c6b")


def bundles(
    groups: Iterator[list[JsonResource]], size: int, mapping: dict[str, str]
) -> Iterator[JsonResource]:
    """Whole children packed into transaction Bundles of about `size` entries."""
    entries: list[JsonResource] = []
    for group in groups:
        local = {
            f"{r['resourceType']}/{r['id']}": f"urn:uuid:{uuid.uuid5(_NAMESPACE, r['id'])}" for r in group
        }
        for resource in group:
            body = {k: v for k, v in resource.items() if k != "id"}
            body = workload.rewrite_references(body, {**mapping, **local})
            entries.append(
                {
                    "fullUrl": local[f"{resource['resourceType']}/{resource['id']}"],
                    "resource": body,
                    "request": {"method": "POST", "url": resource["resourceType"]},
                }
            )
        if len(entries) >= size:
            yield {"resourceType": "Bundle", "type": "transaction", "entry": entries}
            entries = []
    if entries:
        yield {"resourceType": "Bundle", "type": "transaction", "entry": entries}


async def post_all(base: str, items: list[bytes], clients: int) -> dict[str, Any]:
    latencies: list[float] = []
    failures = 0
    queue = iter(items)

    async def worker() -> None:
        nonlocal failures
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        headers = {**workload.HEADERS, "Prefer": "return=minimal"}
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120, limits=limits) as client:
            for body in queue:
                started = time.perf_counter()
                response = await client.post("", content=body)
                latencies.append((time.perf_counter() - started) * 1000)
                failures += response.status_code != 200

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "failures": failures, "latency_ms": workload.percentiles(latencies)}


def raw_sqlite(items: list[JsonResource], path: Path) -> float:
    """Seconds to insert the same resources as JSON rows, one SQLite transaction per Bundle (WAL)."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE r (id TEXT PRIMARY KEY, type TEXT, body BLOB)")
    started = time.perf_counter()
    for bundle in items:
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(
            "INSERT INTO r VALUES (?, ?, ?)",
            [(str(uuid.uuid4()), e["request"]["url"], orjson.dumps(e["resource"])) for e in bundle["entry"]],
        )
        connection.execute("COMMIT")
    seconds = time.perf_counter() - started
    connection.close()
    return seconds


def run_size(args: argparse.Namespace, size: int, workdir: Path) -> dict[str, Any]:
    serverdir = workdir / f"size-{size}"
    serverdir.mkdir()
    server = server_process.start(serverdir, args.workers)
    try:
        server_process.wait_ready(
            server_process.health_urls(server.base), args.startup_timeout, server.process
        )
        facilities, groups = workload.population(args.resources, args.seed)
        mapping = asyncio.run(workload.load_facilities(server.base, facilities))
        items = list(bundles(groups, size, mapping))
        payloads = [orjson.dumps(b) for b in items]
        resources = sum(len(b["entry"]) for b in items)
        result = asyncio.run(post_all(server.base, payloads, args.clients))
        result["rss_kb"] = server_process.tree_rss_kb(server.pid)
    finally:
        server_process.stop(server)
    raw = raw_sqlite(items, workdir / f"raw-{size}.sqlite3")
    result |= {
        "size": size,
        "bundles": len(items),
        "resources": resources,
        "resources_per_s": resources / result["seconds"],
        "raw_sqlite_per_s": resources / raw,
    }
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.transaction", description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=20_000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--startup-timeout", type=float, default=120.0)
    args = parser.parse_args(argv)
    print(
        f"{'entries/bundle':>15} {'bundles':>8} {'resources/s':>12} {'raw SQLite/s':>13} {'ratio':>6} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'failed':>6} {'RSS MB':>7}"
    )
    with tempfile.TemporaryDirectory(prefix="fhir-bench-tx-") as workdir:
        for size in args.sizes:
            r = run_size(args, size, Path(workdir))
            latency = r["latency_ms"]
            print(
                f"{r['resources'] / r['bundles']:>15.1f} {r['bundles']:>8} {r['resources_per_s']:>12,.0f} "
                f"{r['raw_sqlite_per_s']:>13,.0f} {r['resources_per_s'] / r['raw_sqlite_per_s']:>6.3f} "
                f"{latency['p50'] or 0:>8.1f} {latency['p95'] or 0:>8.1f} {r['failures']:>6} "
                f"{r['rss_kb']['total'] / 1024:>7.0f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
