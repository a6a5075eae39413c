"""CRUD benchmark against a real server process: creates/s, reads by id/s with latency, server RSS.

    python -m bench.crud                       # or `make bench`: 20,000 resources, server with 2 workers
    python -m bench.crud --resources 100000    # the size at which issue 2 sets the RSS target
    python -m bench.crud --base http://127.0.0.1:8080/fhir --pid <server pid>   # an already running server

It starts `fhir-server serve --host 127.0.0.1 --port <free> --workers N` on a fresh SQLite file in a
temporary directory, waits for /health, PUTs the synthetic facilities (bench.population), then with
`--clients` concurrent clients (one keep-alive HTTP/1.1 connection each) POSTs each child's Patient, the
mother's RelatedPerson and the Immunizations until `--resources` are created, rewriting references to the
server-assigned Patient id. It then reads `--reads` random created resources by id, and reports rates,
client-side p50/p95/p99 latency, the server's own time per request (from its access log) and the summed
RSS of the server and its uvicorn workers (/proc/<pid>/status). On a 2-core machine the Python client
shares the CPU with the server and limits the rates it sees; so if Debian's `hey` is installed, a
`--hey-seconds` run per request kind (GET one Patient, GET one Immunization, POST one Immunization body)
follows as a cross-check with a cheaper client. A table is printed and a JSON result written to
bench/results/ (git-ignored). Everything is bounded and on loopback; the server is stopped at the end.

Side by side with a peer server (../shared/peers/README.md), in the same run so that ratios compare:
    bash ../shared/peers/setup-medplum.sh        # Medplum's FHIR router, 127.0.0.1:8103, base /fhir/R4
    python -m bench.crud --peer http://127.0.0.1:8103/fhir/R4 --peer-pid "$(cat <peer dir>/server.pid)"
    kill "$(cat <peer dir>/server.pid)"
The peer gets the same population, client count and read mix after our server. Compare ratios from one
run, never absolute figures across runs; record them in docs/performance.md with the machine and command.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from bench import hey, server_process, workload
from bench.population import generate

RESULTS = Path(__file__).resolve().parent / "results"


def _machine() -> dict[str, Any]:
    def first(path: str, key: str) -> str | None:
        try:
            lines = Path(path).read_text().splitlines()
        except OSError:
            return None
        return next((line.split(":", 1)[1].strip() for line in lines if line.startswith(key)), None)

    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cpus": os.cpu_count(),
        "cpu_model": first("/proc/cpuinfo", "model name"),
        "memory": first("/proc/meminfo", "MemTotal"),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "commit": commit or None,
    }


def _rss(pid: int | None) -> dict[str, int] | None:
    return server_process.tree_rss_kb(pid) if pid else None


async def _measure(args: argparse.Namespace, base: str, pid: int | None, log: Path | None) -> dict[str, Any]:
    facilities, groups = workload.population(args.resources, args.seed)
    mapping = await workload.load_facilities(base, facilities)
    result: dict[str, Any] = {"base": base, "facilities": len(facilities), "rss_kb_start": _rss(pid)}
    creates, created = await workload.create_phase(base, groups, args.clients, mapping)
    result["create"] = creates.summary()
    result["rss_kb_after_load"] = _rss(pid)
    targets = workload.read_targets(created, args.reads, args.seed)
    reads = await workload.read_phase(base, targets, args.clients)
    result["read"] = reads.summary()
    result["rss_kb_after_reads"] = _rss(pid)
    if log is not None:
        await asyncio.sleep(0.5)  # let the workers flush their last access-log lines
        own = server_process.server_ms(log, "POST", "/{resource_type}")
        result["create"]["server_ms"] = workload.percentiles(own)
        own = server_process.server_ms(log, "GET", "/{resource_type}/{id}")[-len(targets) :]
        result["read"]["server_ms"] = workload.percentiles(own)
    if args.hey_seconds and hey.available():
        result["hey"] = _hey(args, base, created, mapping)
    return result


def _hey(
    args: argparse.Namespace, base: str, created: list[str], mapping: dict[str, str]
) -> list[dict[str, Any]]:
    """Reads of one Patient and one Immunization, then repeated creates of one Immunization."""
    runs = []
    for kind in ("Patient", "Immunization"):
        path = next((c for c in created if c.startswith(f"{kind}/")), None)
        if path:
            runs.append(hey.run(f"GET {kind}/id", f"{base}/{path}", args.hey_seconds, args.clients))
    patient = next((c for c in created if c.startswith("Patient/")), None)
    if patient:
        body = next(r for r in generate(1, seed=args.seed) if r["resourceType"] == "Immunization")
        body = workload.rewrite_references({k: v for k, v in body.items() if k != "id"}, mapping)
        body["patient"] = {"reference": patient}
        url = f"{base}/Immunization"
        runs.append(hey.run("POST Immunization", url, args.hey_seconds, args.clients, orjson.dumps(body)))
    return runs


def _run_ours(args: argparse.Namespace) -> dict[str, Any]:
    if args.base:
        server_process.wait_ready(server_process.health_urls(args.base), args.startup_timeout)
        return asyncio.run(_measure(args, args.base, args.pid, None))
    with tempfile.TemporaryDirectory(prefix="fhir-bench-") as workdir:
        server = server_process.start(Path(workdir), args.workers)
        try:
            server_process.wait_ready(
                server_process.health_urls(server.base), args.startup_timeout, server.process
            )
            result = asyncio.run(_measure(args, server.base, server.pid, server.log_path))
            result["database_bytes"] = server_process.database_bytes(server.database)
        except Exception:
            print(server.log_path.read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            server_process.stop(server)
        result["workers"] = args.workers
        return result


def _mb(rss: dict[str, int] | None) -> str:
    return f"{rss['total'] / 1024:.0f}" if rss else "-"


def _table(runs: dict[str, dict[str, Any]]) -> str:
    head = f"{'server':<10}{'created':>9}{'create/s':>10}{'p50':>7}{'p95':>7}{'p99':>7}"
    head += f"{'reads':>8}{'read/s':>9}{'p50':>7}{'p95':>7}{'p99':>7}{'srv p50':>9}{'RSS MB':>8}"
    lines = [head, "-" * len(head)]
    for name, run in runs.items():
        c, r = run["create"], run["read"]
        cl, rl, srv = c["latency_ms"], r["latency_ms"], r.get("server_ms", {}).get("p50")
        lines.append(
            f"{name:<10}{c['succeeded']:>9}{c['per_second'] or 0:>10.0f}{cl['p50'] or 0:>7.1f}"
            f"{cl['p95'] or 0:>7.1f}{cl['p99'] or 0:>7.1f}{r['succeeded']:>8}{r['per_second'] or 0:>9.0f}"
            f"{rl['p50'] or 0:>7.2f}{rl['p95'] or 0:>7.2f}{rl['p99'] or 0:>7.2f}"
            f"{'-' if srv is None else f'{srv:.2f}':>9}{_mb(run['rss_kb_after_load']):>8}"
        )
    lines.append("latencies in ms (client side; 'srv' = server's own time per read); RSS after loading")
    for name, run in runs.items():
        for h in run.get("hey", []):
            lat = h["latency_ms"]
            lines.append(
                f"{name} hey -c {h['connections']} -z {h['seconds']}s {h['request']}: "
                f"{h['per_second']} /s, p50 {lat.get('p50')} p95 {lat.get('p95')} p99 {lat.get('p99')} ms"
            )
    for name, run in runs.items():
        for phase in ("create", "read"):
            if run[phase]["errors"]:
                lines.append(f"{name} {phase} errors: {run[phase]['status_codes']} {run[phase]['errors'][0]}")
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.crud", description=__doc__.split("\n")[0])
    p.add_argument("--resources", type=int, default=20_000, help="resources to create (100000: issue target)")
    p.add_argument("--reads", type=int, default=20_000, help="reads by id after loading")
    p.add_argument("--clients", type=int, default=8, help="concurrent clients, one connection each")
    p.add_argument("--workers", type=int, default=2, help="server worker processes")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument(
        "--hey-seconds", type=int, default=5, help="also time reads of one id with `hey` if installed (0: no)"
    )
    p.add_argument("--base", help="target an already running server at this FHIR base URL")
    p.add_argument("--pid", type=int, help="with --base: the server's pid, to report its RSS")
    p.add_argument("--peer", help="also run against a peer server at this FHIR base URL")
    p.add_argument("--peer-pid", type=int, help="the peer server's pid, to report its RSS")
    p.add_argument("--peer-name", default="peer")
    p.add_argument("--startup-timeout", type=float, default=60.0, help="seconds to wait for readiness")
    p.add_argument("--out", type=Path, help="JSON result file (default: bench/results/crud-<time>.json)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if min(args.resources, args.reads, args.clients, args.workers) < 1:
        parser().error("--resources, --reads, --clients and --workers must be positive")
    stamp = datetime.now(UTC)
    runs = {"ours": _run_ours(args)}
    if args.peer:
        server_process.wait_ready(server_process.health_urls(args.peer)[1:], args.startup_timeout)
        runs[args.peer_name] = asyncio.run(_measure(args, args.peer, args.peer_pid, None))
    report = {
        "benchmark": "crud",
        "started": stamp.isoformat(timespec="seconds"),
        "command": " ".join(["python -m bench.crud", *(argv if argv is not None else sys.argv[1:])]),
        "config": {k: v for k, v in vars(args).items() if k != "out" and v is not None},
        "machine": _machine(),
        "runs": runs,
    }
    out = args.out or RESULTS / f"crud-{stamp:%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    print(_table(runs))
    print(f"result: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
