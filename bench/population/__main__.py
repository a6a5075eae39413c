"""`python -m bench.population --patients N --out OUT`: write the population as NDJSON.

OUT ending in `.ndjson` (or `-`, standard output): one file in generation order. Otherwise OUT is a
directory: one `<Type>.ndjson` per resource type, plus `transactions-<N>.ndjson` (one transaction Bundle
per line) for each `--bundle-size N`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import orjson

from bench.population import REFERENCE_DATE, generate
from bench.population.files import write_directory


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.population", description=__doc__)
    parser.add_argument("--patients", type=int, default=200, help="number of children")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--reference-date", type=date.fromisoformat, default=REFERENCE_DATE, help="'today' (YYYY-MM-DD)"
    )
    parser.add_argument("--province", help="put every child in this one province (a code, e.g. 79)")
    parser.add_argument("--communes", type=int, help="commune stations per province (default 2)")
    parser.add_argument("--out", default="-", help="FILE.ndjson, '-' for standard output, or a directory")
    parser.add_argument(
        "--bundle-size", type=int, action="append", default=[], help="also write transaction Bundles of N"
    )
    args = parser.parse_args(argv)
    population = generate(
        args.patients,
        seed=args.seed,
        reference_date=args.reference_date,
        province=args.province,
        communes=args.communes,
    )
    if args.out != "-" and not args.out.endswith(".ndjson"):
        count = write_directory(population, Path(args.out), args.bundle_size)
        print(f"{count} resources", file=sys.stderr)
        return 0
    out = sys.stdout.buffer if args.out == "-" else open(args.out, "wb")  # noqa: SIM115
    count = 0
    try:
        for resource in population:
            out.write(orjson.dumps(resource) + b"\n")
            count += 1
    finally:
        if out is not sys.stdout.buffer:
            out.close()
    print(f"{count} resources", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
