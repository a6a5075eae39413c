"""Search benchmark (issue 3): the registry's everyday queries against a real server process.

    python -m bench.search --patients 5000            # build a SQLite file in-process, then measure
    python -m bench.search --database var/big.sqlite3 --patients 100000   # reuse (or build once) a file

The population comes from `bench.population` (about 14 immunizations per child). The file is loaded through
the services in-process (validation and indexing included, no HTTP), then `fhir-server serve` answers the
queries; each query is timed end to end from one client, sequentially, after a warm-up. Figures are
printed and written to bench/results/; nothing is asserted. Loopback only; bounded by --repeat.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import server_process
from bench.population import generate
from bench.population.systems import CCCD, CVX

RESULTS = Path(__file__).parent / "results"


BATCH = 1000  # resources per unit of work while building


def build(database: Path, patients: int, seed: int) -> dict[str, list[str]]:
    """Load the population into `database` (skipped when it is already there) and return samples.

    Resources go straight to the store in units of work of BATCH, with the index rows the server's
    extractor computes (what searches read); validation and the forecast upkeep are left out: they do
    not change what is searched, and at 100,000 children they would make the build take hours."""
    from fhir_server.app import build_services
    from fhir_server.settings import Settings

    services = build_services(Settings(database_url=f"sqlite:///{database}", forecast_upkeep=False))
    samples: dict[str, list[str]] = {"patients": [], "identifiers": [], "vaccines": []}
    loaded = services.store.read("Organization", "org-0001") is not None
    started, count = time.perf_counter(), 0
    pending: list[dict[str, Any]] = []
    try:
        for resource in generate(patients, seed=seed):
            kind = resource["resourceType"]
            if kind == "Patient":
                samples["patients"].append(resource["id"])
                samples["identifiers"].extend(
                    i["value"] for i in resource.get("identifier", ()) if i.get("system") == CCCD
                )
            elif kind == "Immunization" and len(samples["vaccines"]) < 50:
                samples["vaccines"].extend(
                    c["code"] for c in resource["vaccineCode"].get("coding", ()) if c.get("system") == CVX
                )
            if not loaded:
                pending.append(resource)
                if len(pending) == BATCH:
                    count += _write(services, pending)
                    if count % 50000 == 0:
                        rate = count / (time.perf_counter() - started)
                        print(f"  loaded {count:,} resources ({rate:,.0f}/s)", flush=True)
        if pending and not loaded:
            count += _write(services, pending)
    finally:
        services.store.close()
    if count:
        print(f"loaded {count:,} resources in {time.perf_counter() - started:,.0f} s", flush=True)
    return samples


def _write(services: Any, batch: list[dict[str, Any]]) -> int:
    with services.store.unit_of_work() as uow:
        for resource in batch:
            uow.write(resource, services.extractor.extract(resource), method="PUT")
    written = len(batch)
    batch.clear()
    return written


def index_cost(count: int = 2000, seed: int = 7) -> dict[str, float]:
    """What indexing adds to an Immunization write, in process on a fresh SQLite file: extraction, and
    one write per unit of work with its index rows against the same write with none (median of 3).
    CPU time of this process (`time.process_time`): on a shared machine wall time mostly measures the
    other processes; SQLite's commit here writes to the WAL without fsync (synchronous=NORMAL)."""
    from fhir_server.app import build_services
    from fhir_server.search.index import IndexValues
    from fhir_server.settings import Settings

    immunizations = [r for r in generate(count // 10, seed=seed) if r["resourceType"] == "Immunization"]
    immunizations = immunizations[:count]
    rounds: dict[str, list[float]] = {"extract_ms": [], "rows_ms": []}
    with tempfile.TemporaryDirectory(prefix="bench-index-") as tmp:
        for attempt in range(3):
            services = build_services(
                Settings(database_url=f"sqlite:///{tmp}/{attempt}.sqlite3", forecast_upkeep=False)
            )
            try:
                started = time.process_time()
                indexes = [services.extractor.extract(r) for r in immunizations]
                rounds["extract_ms"].append((time.process_time() - started) * 1000 / len(immunizations))
                timings = {}
                for label, rows in (("bare", [IndexValues()] * len(indexes)), ("indexed", indexes)):
                    started = time.process_time()
                    for resource, index in zip(immunizations, rows, strict=True):
                        copy = {**resource, "id": f"{label}-{resource['id']}"}
                        with services.store.unit_of_work() as uow:
                            uow.write(copy, index, method="PUT")
                    timings[label] = (time.process_time() - started) * 1000 / len(immunizations)
                rounds["rows_ms"].append(timings["indexed"] - timings["bare"])
            finally:
                services.store.close()
    found = {name: round(statistics.median(values), 3) for name, values in rounds.items()}
    found["total_ms"] = round(found["extract_ms"] + found["rows_ms"], 3)
    return found


def queries(samples: dict[str, list[str]], rng: random.Random) -> dict[str, list[str]]:
    """Query strings per benchmark row, a different patient or value each time."""
    patients, identifiers = samples["patients"], samples["identifiers"]
    vaccines = sorted(set(samples["vaccines"]))
    n = 200
    return {
        "Immunization?patient=Patient/X": [
            f"Immunization?patient=Patient/{rng.choice(patients)}" for _ in range(n)
        ],
        "Patient?identifier=sys|val": [
            f"Patient?identifier={CCCD}|{rng.choice(identifiers)}" for _ in range(n)
        ],
        "Patient?name=nguyen thi (first 20)": ["Patient?name=nguyen%20thi&_count=20"] * n,
        "Immunization?vaccine-code=…&date=ge2024-01-01 (first 20)": [
            f"Immunization?vaccine-code={CVX}|{rng.choice(vaccines)}&date=ge2024-01-01&_count=20"
            for _ in range(n)
        ],
        "Patient?_id=X&_revinclude=Immunization:patient": [
            f"Patient?_id={rng.choice(patients)}&_revinclude=Immunization:patient" for _ in range(n)
        ],
    }


def measure(base: str, urls: list[str], repeat: int, warmup: int = 20) -> dict[str, Any]:
    times: list[float] = []
    statuses: dict[int, int] = {}
    with httpx.Client(timeout=30.0) as client:
        for i, url in enumerate(urls[: repeat + warmup]):
            started = time.perf_counter()
            response = client.get(f"{base}/{url}")
            elapsed = (time.perf_counter() - started) * 1000
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if i >= warmup:
                times.append(elapsed)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2),
        "statuses": statuses,
    }


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__.split("\n", 1)[0])
    root.add_argument("--patients", type=int, default=5000, help="children in the population (issue: 100000)")
    root.add_argument("--database", type=Path, help="SQLite file to build or reuse (default: a temp dir)")
    root.add_argument("--repeat", type=int, default=100, help="timed requests per query (max 180)")
    root.add_argument("--seed", type=int, default=42)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        workdir = Path(tmp)
        target = workdir / "bench.sqlite3"
        if args.database:
            args.database.parent.mkdir(parents=True, exist_ok=True)
            samples = build(args.database, args.patients, args.seed)
            target.symlink_to(args.database.resolve())
        else:
            samples = build(target, args.patients, args.seed)
        server = server_process.start(workdir, workers=1)
        try:
            server_process.wait_ready(server_process.health_urls(server.base), 60, server.process)
            rows = {
                name: measure(server.base, urls, min(args.repeat, 180))
                for name, urls in queries(samples, random.Random(args.seed)).items()
            }
        finally:
            server_process.stop(server)
    print(f"\n{args.patients:,} children; one client, sequential; end-to-end latency")
    for name, row in rows.items():
        print(f"  {name:<58} p50 {row['p50_ms']:>7} ms  p95 {row['p95_ms']:>7} ms  {row['statuses']}")
    cost = index_cost()
    print(
        f"  index cost per Immunization write: extraction {cost['extract_ms']} ms + index rows"
        f" {cost['rows_ms']} ms = {cost['total_ms']} ms (CPU time in process, median of 3 x 2,000)"
    )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"search-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps({"patients": args.patients, "rows": rows, "index_cost": cost}, indent=2))
    print(f"result: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
