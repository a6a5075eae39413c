"""Coverage report benchmark (issue 10): `$coverage` and `$low-coverage` from the index, in-process.

    python -m bench.coverage --patients 2000                      # a temporary SQLite file
    python -m bench.coverage --database var/cov.sqlite3 --patients 20000   # reuse (or build once) a file

Loads `bench.population` through the services (validation and indexing included), then times the report
computation (area resolution, `Store.column_values` reads, indicator arithmetic, MeasureReport building)
for the largest province, one of its communes and the whole country, for the birth cohort two years before
the population's reference date. Median and max of --repeat runs after one warm-up; nothing asserted.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.population import REFERENCE_DATE, generate


def build(database: Path, patients: int, seed: int) -> tuple[int, int]:
    from fhir_server.app import build_services
    from fhir_server.settings import Settings

    services = build_services(Settings(database_url=f"sqlite:///{database}"))
    loaded = services.store.read("Organization", "org-0001") is not None
    children = immunizations = 0
    started = time.perf_counter()
    for resource in generate(patients, seed=seed):
        kind = resource["resourceType"]
        children += kind == "Patient"
        immunizations += kind == "Immunization"
        if not loaded:
            services.resources.update(kind, resource["id"], resource)
    if not loaded:
        print(f"loaded in {time.perf_counter() - started:.0f} s", flush=True)
    services.store.close()
    return children, immunizations


def timed(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    run()  # warm-up: caches, first statement compilation
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), max(times)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.coverage", description=__doc__)
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    from fhir_server.app import build_reports, build_services
    from fhir_server.operations import coverage, low_coverage
    from fhir_server.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        database = args.database or Path(tmp) / "coverage.sqlite3"
        children, immunizations = build(database, args.patients, args.seed)
        settings = Settings(database_url=f"sqlite:///{database}")
        services = build_services(settings)
        data, _, _ = build_reports(services, settings)
        cohort = str(REFERENCE_DATE.year - 2)
        on = REFERENCE_DATE.isoformat()
        province = data.area("79")
        commune = province.units[0].code
        print(f"{children:,} children, {immunizations:,} immunizations; cohort {cohort}, assessed {on}")
        for label, area in (("commune " + commune, commune), ("province 79", "79"), ("country", "VN")):
            query = coverage.parse_query({"area": area, "cohort": cohort, "date": on}, REFERENCE_DATE)
            counted = coverage.run(data, query).indicators[0].total.initial

            def report(q: coverage.CoverageQuery = query) -> object:
                return coverage.measure_report(coverage.run(data, q), on)

            median, worst = timed(report, args.repeat)
            print(f"$coverage      {label:<16} {counted:>7,} children  median {median * 1000:8.1f} ms"
                  f"  max {worst * 1000:8.1f} ms")  # fmt: skip
        query = coverage.parse_query({"area": "79", "cohort": cohort, "date": on}, REFERENCE_DATE)
        thresholds = low_coverage.Thresholds()

        def ranking() -> object:
            return low_coverage.rank(data, query, thresholds)

        median, worst = timed(ranking, args.repeat)
        times = f"median {median * 1000:8.1f} ms  max {worst * 1000:8.1f} ms"
        print(f"$low-coverage  {'province 79':<16} {'':>16}  {times}")
        services.store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
