"""`python -m bench.population --patients N --out file.ndjson`: write the population as NDJSON."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date

import orjson

from bench.population import REFERENCE_DATE, generate


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.population", description=__doc__)
    parser.add_argument("--patients", type=int, default=200, help="number of children")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--reference-date", type=date.fromisoformat, default=REFERENCE_DATE, help="'today' (YYYY-MM-DD)"
    )
    parser.add_argument("--out", default="-", help="NDJSON file, '-' for standard output")
    args = parser.parse_args(argv)
    out = sys.stdout.buffer if args.out == "-" else open(args.out, "wb")  # noqa: SIM115
    count = 0
    try:
        for resource in generate(args.patients, seed=args.seed, reference_date=args.reference_date):
            out.write(orjson.dumps(resource) + b"\n")
            count += 1
    finally:
        if out is not sys.stdout.buffer:
            out.close()
    print(f"{count} resources", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
