"""Coverage report benchmark (issue 10): `$coverage`, `$low-coverage` and `$defaulters`, in-process.

    python -m bench.coverage --patients 2000                      # a temporary SQLite file
    python -m bench.coverage --database var/cov.sqlite3 --patients 20000   # reuse (or build once) a file
    # the target's scale: 214,000 children (~3 million Immunizations) in one province of 100 communes
    python -m bench.population --patients 214000 --province 79 --communes 100 --out DIR
    python -m bench.bulk_load --database-url sqlite:////work/data/coverage200k/fhir.sqlite3 \\
        DIR/Organization.ndjson DIR/Location.ndjson DIR/Patient.ndjson DIR/Immunization.ndjson
    fhir-server coverage rebuild --database-url sqlite:////work/data/coverage200k/fhir.sqlite3
    python -m bench.coverage --database /work/data/coverage200k/fhir.sqlite3 --province 79 --index

Builds (when the file is new) `bench.population` through the services (validation, indexing and the
coverage aggregate included), then times the reports as the API runs them (area resolution, aggregate
or index reads, indicator arithmetic, MeasureReport building): the largest commune, the province (one
birth cohort, and every child of the last eight cohorts), the country, the province's commune ranking,
and the defaulter list of the commune (its children's recommendations refreshed first when missing).
`--index` also times the commune's and the province's cohort report computed from the index (the path
without the aggregate), once.
Median and max of --repeat runs after one warm-up; the machine's load average is printed; nothing asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.population import REFERENCE_DATE, generate


def build(database: Path, patients: int, seed: int, province: str | None, communes: int | None) -> None:
    from fhir_server.app import build_services
    from fhir_server.settings import Settings

    services = build_services(Settings(database_url=f"sqlite:///{database}", forecast_upkeep=False))
    if services.store.read("Organization", "org-0001") is None:
        started = time.perf_counter()
        for resource in generate(patients, seed=seed, province=province, communes=communes):
            services.resources.update(resource["resourceType"], resource["id"], resource)
        print(f"loaded in {time.perf_counter() - started:.0f} s", flush=True)
    services.store.close()


def timed(run: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """(median wall time, max wall time, median CPU time of this process): on a shared machine the CPU
    time is the figure that does not depend on the other processes."""
    run()  # warm-up: caches, first statement compilation
    walls, cpus = [], []
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), max(walls), statistics.median(cpus)


def _line(what: str, label: str, counted: str, times: tuple[float, float, float]) -> None:
    median, worst, cpu = times
    print(f"{what:<14} {label:<22} {counted:>16}  median {median * 1000:8.1f} ms  max {worst * 1000:8.1f} ms"
          f"  cpu {cpu * 1000:8.1f} ms", flush=True)  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:  # noqa: PLR0915 - one linear script
    parser = argparse.ArgumentParser(prog="python -m bench.coverage", description=__doc__)
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--province", default=None, help="build: every child in this province (e.g. 79)")
    parser.add_argument("--communes", type=int, default=None, help="build: communes per province")
    parser.add_argument("--database", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--index", action="store_true", help="also time the index path (no aggregate)")
    args = parser.parse_args(argv)

    from fhir_server.app import build_reports, build_services
    from fhir_server.operations import coverage, low_coverage
    from fhir_server.operations.indicators import compute
    from fhir_server.settings import Settings

    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        database = args.database or Path(tmp) / "coverage.sqlite3"
        build(database, args.patients, args.seed, args.province, args.communes)
        settings = Settings(database_url=f"sqlite:///{database}", forecast_upkeep=False)
        services = build_services(settings)
        data, _, recall = build_reports(services, settings)
        on = REFERENCE_DATE.isoformat()
        cohort = str(REFERENCE_DATE.year - 2)
        province_code = args.province or "79"
        province = data.area(province_code)
        children = data.table(province, REFERENCE_DATE.replace(year=1900), REFERENCE_DATE)
        state = "complete" if children is not None else "absent: reports read the index"
        print(f"coverage aggregate {state}")
        biggest = province.units[0]
        if children is not None:
            sizes = {u: int((children.unit == n).sum()) for n, u in enumerate(children.units)}
            biggest = max(province.units, key=lambda u: sizes.get(u.id, 0))
        queries = (
            (f"commune {biggest.code}", {"area": biggest.code, "cohort": cohort}),
            (f"province {province_code}", {"area": province_code, "cohort": cohort}),
            (f"province {province_code} 0-95m", {"area": province_code, "age": "0-95"}),
            ("country", {"area": "VN", "cohort": cohort}),
        )
        for label, params in queries:
            query = coverage.parse_query({**params, "date": on}, REFERENCE_DATE)
            counted = coverage.run(data, query).indicators[0].total.initial

            def report(q: coverage.CoverageQuery = query) -> object:
                return coverage.measure_report(coverage.run(data, q), on)

            _line("$coverage", label, f"{counted:,} children", timed(report, args.repeat))
            if args.index and "cohort" in params and params["area"] != "VN":  # the slow path: once, small
                area = data.area(query.area)
                started, cpu = time.perf_counter(), time.process_time()
                compute(data.children(area, query.born_from, query.born_before), query.on)
                elapsed = time.perf_counter() - started
                _line("  index path", label, "once", (elapsed, elapsed, time.process_time() - cpu))
        query = coverage.parse_query({"area": province_code, "cohort": cohort, "date": on}, REFERENCE_DATE)
        thresholds = low_coverage.Thresholds()

        def ranking() -> object:
            return low_coverage.rank(data, query, thresholds)

        units = f"{len(province.units)} communes"
        _line("$low-coverage", f"province {province_code}", units, timed(ranking, args.repeat))

        params = {"area": biggest.code, "age-max": "24", "date": on}
        found = recall.find(params, REFERENCE_DATE)
        if not found:  # no stored recommendations yet: forecast the commune's children once
            from fhir_server.search.request import SearchRequest

            orgs = {o for o, unit in province.unit_of_org.items() if unit == biggest.id}
            ids = sorted(
                id
                for id, _, org in services.store.column_values(SearchRequest("Patient"), ("organization",))
                if org in orgs
            )
            started = time.perf_counter()
            services.recommendations.refresh_many(ids, REFERENCE_DATE)
            print(f"(refreshed {len(ids):,} recommendations in {time.perf_counter() - started:.0f} s)")
            found = recall.find(params, REFERENCE_DATE)

        def defaulters() -> object:
            return recall.find(params, REFERENCE_DATE)

        _line("$defaulters", f"commune {biggest.code} <24m", f"{len(found):,} children",
              timed(defaulters, args.repeat))  # fmt: skip
        services.store.close()
    print(f"load average at end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
