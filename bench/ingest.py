"""Ingest and export benchmark (issue 4): `fhir-server import` and `$export` against raw SQLite.

    python -m bench.ingest --patients 2000                 # a small run
    python -m bench.ingest --patients 100000 --workdir /tmp/ingest   # the issue's scale (~1.4 M resources)

In one run, on the same population (`bench.population`, per-type NDJSON files):
1. raw SQLite: the same JSON rows inserted into one plain table (500 per transaction, WAL, no validation,
   no index rows, no history), then read back and written to NDJSON: the storage limit of this machine;
2. `fhir-server import --workers 2` as a separate process: resources/s, peak RSS of its process tree
   (parent + workers, sampled every 0.1 s), database bytes per resource;
3. `fhir-server serve` on the imported file and `GET [base]/$export`: resources/s from kick-off to the
   manifest, and the server's peak RSS while exporting;
4. with `--transactions`: the `transactions-10/100.ndjson` Bundles POSTed to `[base]` (needs transaction
   support) by 4 clients.
Each figure is printed with its ratio to the raw SQLite figure. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench import server_process
from bench.population import generate
from bench.population.files import write_directory

TYPE_ORDER = ("Organization", "Location", "Patient", "RelatedPerson", "Immunization", "AdverseEvent")


class PeakRss:
    """Samples the RSS of a process tree (kB) in a thread until stopped; keeps the peak, and the CPU
    seconds each process of the tree had used when last seen (worker processes included)."""

    def __init__(self, pid: int) -> None:
        self.peak_kb = 0
        self.cpu: dict[int, float] = {}
        self._pid = pid
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            sizes = server_process.tree_rss_kb(self._pid)
            self.peak_kb = max(self.peak_kb, sizes["total"])
            for pid in sizes:
                if pid != "total":
                    with contextlib.suppress(OSError, IndexError):  # it ended while we looked
                        self.cpu[int(pid)] = _process_cpu(int(pid))
            self._stop.wait(0.1)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak_kb


def ndjson_files(directory: Path) -> list[Path]:
    present = {p.stem: p for p in directory.glob("*.ndjson") if not p.name.startswith("transactions-")}
    ordered = [present.pop(t) for t in TYPE_ORDER if t in present]
    return ordered + sorted(present.values())


def raw_sqlite(files: list[Path], database: Path, export_to: Path) -> dict[str, float]:
    conn = sqlite3.connect(database, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE raw (rid INTEGER PRIMARY KEY, type TEXT, id TEXT, body BLOB)")
    count = 0
    started = time.perf_counter()
    for path in files:
        kind = path.stem
        with path.open("rb") as lines:
            batch: list[tuple[str, str, bytes]] = []
            for line in lines:
                # The id is cut out of the text, not parsed: the baseline does no JSON work at all.
                start = line.index(b'"id":"') + 6
                batch.append((kind, line[start : line.index(b'"', start)].decode(), line.rstrip(b"\n")))
                if len(batch) == 500:
                    _insert(conn, batch)
                    count += len(batch)
                    batch = []
            _insert(conn, batch)
            count += len(batch)
    insert_seconds = time.perf_counter() - started
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    started = time.perf_counter()
    with export_to.open("wb") as out:
        for (body,) in conn.execute("SELECT body FROM raw ORDER BY type, rid"):
            out.write(body + b"\n")
    read_seconds = time.perf_counter() - started
    conn.close()
    return {
        "resources": count,
        "insert_per_s": count / insert_seconds,
        "export_per_s": count / read_seconds,
        "bytes_per_resource": server_process.database_bytes(database) / count,
    }


def _insert(conn: sqlite3.Connection, rows: list[tuple[str, str, bytes]]) -> None:
    if rows:
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO raw (type, id, body) VALUES (?, ?, ?)", rows)
        conn.execute("COMMIT")


def run_import(files: list[Path], database: Path, workers: int, forecasts: bool = False) -> dict[str, float]:
    command = [sys.executable, "-m", "fhir_server", "import", *map(str, files)]
    command += ["--database-url", f"sqlite:///{database}", "--workers", str(workers)]
    command += [] if forecasts else ["--no-forecasts"]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    sampler = PeakRss(process.pid)
    out, _ = process.communicate()
    seconds = time.perf_counter() - started
    peak = sampler.stop()
    cpu = sum(sampler.cpu.values())  # as last sampled: up to 0.1 s of each process's end is missed
    lines = out.decode().splitlines()
    summary = next(line for line in lines if line.startswith("total: "))  # "total: read N = stored S + …"
    stored = int(summary.split("stored ")[1].split()[0])
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {
        "resources": stored,
        "seconds": seconds,
        "per_s": stored / seconds,
        "peak_rss_mb": peak / 1024,
        "cpu_us": cpu / stored * 1e6,
        "bytes_per_resource": server_process.database_bytes(database) / stored,
        "exit": float(process.returncode),
    }


def _process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_export(server: server_process.ServerProcess) -> dict[str, float]:
    sampler = PeakRss(server.pid)
    cpu_before = _process_cpu(server.pid)
    with httpx.Client(timeout=60) as http:
        started = time.perf_counter()
        kickoff = http.get(f"{server.base}/$export", headers={"Prefer": "respond-async"})
        kickoff.raise_for_status()
        location = kickoff.headers["content-location"]
        while (status := http.get(location)).status_code == 202:
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        status.raise_for_status()
        count = sum(o["count"] for o in status.json()["output"])
        cpu = _process_cpu(server.pid) - cpu_before
        http.delete(location)
    return {
        "resources": count,
        "seconds": seconds,
        "per_s": count / seconds,
        "cpu_us": cpu / count * 1e6,
        "peak_rss_mb": sampler.stop() / 1024,
    }


def run_transactions(server: server_process.ServerProcess, path: Path, clients: int = 4) -> dict[str, float]:
    bundles = path.read_bytes().splitlines()
    headers = {"Content-Type": "application/fhir+json"}
    local = threading.local()

    def post(body: bytes) -> int:
        if not hasattr(local, "http"):
            local.http = httpx.Client(timeout=60)
        response = local.http.post(server.base, content=body, headers=headers)
        return body.count(b'"request":') if response.status_code == 200 else -1

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(post, bundles))
    seconds = time.perf_counter() - started
    stored = sum(r for r in results if r > 0)
    return {
        "resources": stored,
        "failed_bundles": sum(1 for r in results if r < 0),
        "per_s": stored / seconds,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workers", type=int, default=2, help="import worker processes")
    parser.add_argument("--workdir", help="keep the files here (default: a temporary directory)")
    parser.add_argument("--transactions", action="store_true", help="also POST transaction Bundles")
    parser.add_argument(
        "--forecasts", action="store_true", help="import refreshing recommendations (default: --no-forecasts)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as temporary:
        workdir = Path(args.workdir or temporary)
        workdir.mkdir(parents=True, exist_ok=True)
        data = workdir / "population"
        sizes = (10, 100) if args.transactions else ()
        total = write_directory(generate(args.patients, seed=args.seed), data, sizes)
        files = ndjson_files(data)
        size = sum(f.stat().st_size for f in files)
        print(f"population: {args.patients} children, {total} resources, {size:,} bytes NDJSON")

        raw = raw_sqlite(files, workdir / "raw.sqlite3", workdir / "raw-export.ndjson")
        print(
            f"raw SQLite: insert {raw['insert_per_s']:,.0f}/s,"
            f" read+write NDJSON {raw['export_per_s']:,.0f}/s,"
            f" {raw['bytes_per_resource']:,.0f} bytes/resource"
        )

        database = workdir / "bench.sqlite3"
        for leftover in workdir.glob("bench.sqlite3*"):
            leftover.unlink()
        imported = run_import(files, database, args.workers, args.forecasts)
        print(
            f"import: {imported['resources']:,.0f} resources in {imported['seconds']:.1f} s"
            f" = {imported['per_s']:,.0f}/s (x{imported['per_s'] / raw['insert_per_s']:.3f} of raw insert),"
            f" {imported['cpu_us']:,.0f} CPU-us/resource (all processes),"
            f" peak RSS {imported['peak_rss_mb']:.0f} MB (parent + {args.workers} workers),"
            f" {imported['bytes_per_resource']:,.0f} bytes/resource"
            f" (x{imported['bytes_per_resource'] / raw['bytes_per_resource']:.2f} of raw),"
            f" exit {imported['exit']:.0f}"
        )

        server = server_process.start(workdir, workers=1)
        try:
            server_process.wait_ready(server_process.health_urls(server.base), 60, server.process)
            idle = server_process.tree_rss_kb(server.pid)["total"] / 1024
            exported = run_export(server)
            print(
                f"export: {exported['resources']:,.0f} resources in {exported['seconds']:.1f} s"
                f" = {exported['per_s']:,.0f}/s (x{exported['per_s'] / raw['export_per_s']:.3f} of raw"
                f" read+write), {exported['cpu_us']:,.1f} server CPU-us/resource (incl. polling"
                f"), server RSS {idle:.0f} MB idle,"
                f" peak {exported['peak_rss_mb']:.0f} MB exporting"
            )
            for size in sizes:
                result = run_transactions(server, data / f"transactions-{size}.ndjson")
                print(
                    f"transactions of {size}: {result['per_s']:,.0f} resources/s"
                    f" (x{result['per_s'] / raw['insert_per_s']:.3f} of raw insert),"
                    f" failed bundles {result['failed_bundles']:.0f}"
                )
        finally:
            server_process.stop(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
