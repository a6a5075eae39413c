"""`python -m bench` (what `make bench` runs): every benchmark once, at a size that finishes in minutes.

    python -m bench                 # all of them, small sizes
    python -m bench search coverage # only these
    python -m bench --list

Each benchmark prints its own figures; the issues' sizes (100,000 children and more) are given in each
module's docstring and in docs/performance.md, with the command that produced every recorded figure.
Nothing is asserted: a benchmark that fails to run is reported and the others still run."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Sequence

# name -> arguments of `python -m bench.<name>`, sized for a run of a few minutes on a 2-core machine.
SUITE: dict[str, list[str]] = {
    "crud": ["--resources", "5000", "--reads", "5000"],
    "search": ["--patients", "2000", "--repeat", "30"],
    "transaction": ["--resources", "2000", "--clients", "2"],
    "ingest": ["--patients", "1000"],
    "forecast": ["--runs", "500", "--schedule", "vn"],
    "auth_verify": ["--tokens", "500"],
    "auth_enforce": ["--requests", "500", "--rounds", "3"],
    "audit_rows": ["--batches", "10", "--patients", "1"],
    "booking": ["--requests", "100", "--capacity", "10", "--children", "500"],
    "coverage": ["--patients", "1000", "--repeat", "3"],
    "sqlite_pages": ["--resources", "2000"],
    "value_sets": ["--patients", "500", "--repeat", "20"],
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and their arguments")
    args = parser.parse_args(argv)
    if args.list:
        for name, arguments in SUITE.items():
            print(f"python -m bench.{name} {' '.join(arguments)}")
        return 0
    unknown = [name for name in args.names if name not in SUITE]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; see --list")
    failed: list[str] = []
    for name in args.names or list(SUITE):
        command = [sys.executable, "-m", f"bench.{name}", *SUITE[name]]
        print(f"\n=== {' '.join(command[1:])}", flush=True)
        started = time.perf_counter()
        if subprocess.run(command, check=False).returncode != 0:
            failed.append(name)
        print(f"--- {name}: {time.perf_counter() - started:.0f} s", flush=True)
    if failed:
        print(f"\nfailed to run: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
