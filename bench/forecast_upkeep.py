"""What keeping each child's ImmunizationRecommendation current (`FHIR_FORECAST_UPKEEP`) adds to a write.

    python -m bench.forecast_upkeep --patients 60

In one run, the same synthetic children (bench.population) are written twice through `ResourceService`
(validation, index, commit; no HTTP) into two fresh SQLite files: upkeep off, then on. Each Immunization
PUT and each Patient PUT that changes no forecast fact (a new telecom) is timed; the difference of the p50s
is the upkeep's cost per write. Both wall time and this process's CPU time are shown: on a machine shared
with other jobs the CPU time is the comparable figure. Results printed, not asserted.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.population import generate
from fhir_server.app import build_services
from fhir_server.settings import Settings

Timings = dict[str, list[tuple[float, float]]]  # kind -> (wall, cpu) seconds per write


def run(resources: list[dict[str, Any]], upkeep: bool, folder: Path) -> Timings:
    database = f"sqlite:///{folder / f'upkeep-{upkeep}.sqlite3'}"
    settings = Settings(database_url=database, forecast_upkeep=upkeep)
    services = build_services(settings)
    timings: Timings = {"Immunization": [], "Patient (no forecast change)": []}
    try:
        for resource in resources:
            started, cpu = time.perf_counter(), time.process_time()
            services.resources.update(resource["resourceType"], resource["id"], resource)
            if resource["resourceType"] == "Immunization":
                timings["Immunization"].append((time.perf_counter() - started, time.process_time() - cpu))
        for resource in resources:
            if resource["resourceType"] == "Patient":
                changed = resource | {"telecom": [{"system": "phone", "value": "0900000000"}]}
                started, cpu = time.perf_counter(), time.process_time()
                services.resources.update("Patient", resource["id"], changed)
                timings["Patient (no forecast change)"].append(
                    (time.perf_counter() - started, time.process_time() - cpu)
                )
    finally:
        services.store.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=60)
    args = parser.parse_args()
    resources = list(generate(args.patients, seed=7))
    with tempfile.TemporaryDirectory() as folder:
        off = run(resources, False, Path(folder))
        on = run(resources, True, Path(folder))
    for kind in off:
        for n, label in ((0, "wall"), (1, "cpu")):
            p50_off, p50_on = (statistics.median(t[n] for t in run[kind]) * 1000 for run in (off, on))
            mean_off, mean_on = (statistics.fmean(t[n] for t in run[kind]) * 1000 for run in (off, on))
            print(
                f"{kind:30} {label:4} n={len(on[kind]):4}  p50 off {p50_off:6.2f} on {p50_on:6.2f} ms"
                f" (+{p50_on - p50_off:5.2f})  mean off {mean_off:6.2f} on {mean_on:6.2f} ms"
                f" (+{mean_on - mean_off:5.2f})"
            )


if __name__ == "__main__":
    main()
