"""Time the CDSi engine for one child on a schedule (results printed, not asserted).

    python -m bench.forecast                  # CDC 4.64 schedule, 2,000 assessments of one infant history
    python -m bench.forecast --runs 500 --schedule cdc
    python -m bench.forecast --schedule vn    # Vietnam's schedule, an EPI 22-month-old

CDC: a typical 22-month-old's history (HepB birth dose, DTaP-HepB-IPV + Hib + PCV + rotavirus at 2/4/6
months, MMR and varicella at 12 months). VN: HepB birth dose, BCG, 5-in-1 + bOPV + Rotavin at 2/3/4 months
(no Rotavin at 4), IPV at 5 months, measles at 9 months, Jevax at 12 months twice. Every vaccine group of the
schedule is evaluated and forecast. `forecast refresh --all` (stored children/s) is measured with the CLI,
see docs/performance.md.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date

from fhir_server.definitions.loader import load_schedule
from fhir_server.forecast.engine import assess
from fhir_server.forecast.model import AdministeredDose, Patient

HISTORY = [
    (date(2024, 1, 16), "08"),
    *[
        (day, cvx)
        for day in (date(2024, 3, 15), date(2024, 5, 15), date(2024, 7, 15))
        for cvx in ("110", "49", "133", "119")
    ],
    (date(2025, 1, 20), "03"),
    (date(2025, 1, 20), "21"),
]

VN_HISTORY = [
    (date(2024, 1, 15), "VN-GENE-HBVAX"),
    (date(2024, 1, 16), "VN-BCG"),
    *[
        (day, code)
        for day, rota in ((date(2024, 3, 15), True), (date(2024, 4, 15), True), (date(2024, 5, 15), False))
        for code in ("VN-COMBE-FIVE", "VN-BOPV", *(["VN-ROTAVIN-M1"] if rota else []))
    ],
    (date(2024, 6, 15), "VN-IPV"),
    (date(2024, 10, 15), "VN-MVVAC"),
    (date(2025, 1, 20), "VN-JEVAX"),
    (date(2025, 1, 30), "VN-JEVAX"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--schedule", default="cdc")
    args = parser.parse_args()
    schedule = load_schedule(args.schedule)
    patient = Patient(date(2024, 1, 15), "female")
    history = VN_HISTORY if args.schedule == "vn" else HISTORY
    doses = [AdministeredDose(str(i), day, cvx) for i, (day, cvx) in enumerate(history)]
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        assess(patient, doses, date(2025, 11, 10), schedule)
        times.append(time.perf_counter() - start)
    times.sort()
    p95 = times[int(len(times) * 0.95)]
    print(
        f"schedule={args.schedule} doses={len(doses)} runs={args.runs} "
        f"p50={statistics.median(times) * 1000:.2f} ms p95={p95 * 1000:.2f} ms "
        f"assessments/s (one core)={1 / statistics.mean(times):.0f}"
    )


if __name__ == "__main__":
    main()
