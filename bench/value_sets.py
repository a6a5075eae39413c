"""`:in` / `:not-in` with the national commune ValueSet (3,321 codes) on the SQLite backend, in process.

    python -m bench.value_sets --patients 500           # a smoke run (what `python -m bench` runs)
    python -m bench.value_sets --patients 20000 --database var/vs.sqlite3 --repeat 50

The population comes from `bench.population` (every child's home address is coded with a real commune),
loaded as bench.search loads it (store + extractor, no validation). Each query goes through
`services.search` (parse, plan, SQL, the Bundle), sequentially, after a warm-up; the parse alone is timed
too, to show that it does not grow with the set. Figures are printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.search import build
from fhir_server.app import build_services
from fhir_server.definitions.loader import load_definitions
from fhir_server.model.json import loads
from fhir_server.search.parse import parse_search
from fhir_server.settings import Settings
from fhir_server.storage.base import StoredResource

COMMUNES = "https://fhir.vn/ValueSet/vn-commune"
QUERIES: dict[str, tuple[str, str]] = {  # label: (type, query)
    "Patient?commune=<one code> (first 20)": ("Patient", "commune={commune}&_count=20"),
    "Patient?commune:in=vn-commune (first 20)": ("Patient", f"commune:in={COMMUNES}&_count=20"),
    "Patient?commune:in=vn-commune&_summary=count": ("Patient", f"commune:in={COMMUNES}&_summary=count"),
    "Patient?commune:not-in=vn-commune&_summary=count": (
        "Patient",
        f"commune:not-in={COMMUNES}&_summary=count",
    ),
    "Patient?commune:in=…&gender=female (first 20)": ("Patient", f"commune:in={COMMUNES}&gender=female"),
    "Immunization?patient.commune:in=… (first 20)": ("Immunization", f"patient.commune:in={COMMUNES}"),
}


def _params(query: str) -> list[tuple[str, str]]:
    return [(name, value) for name, _, value in (part.partition("=") for part in query.split("&"))]


def _commune(stored: StoredResource | None) -> str:
    """The commune code of a child's home address: a plain token search to compare with."""
    patient = loads(stored.body) if stored is not None else {}
    for address in patient.get("address", ()):
        for extension in address.get("extension", ()):
            if extension["url"].endswith("/vn-commune"):
                return str(extension["valueCoding"]["code"])
    raise RuntimeError("the first child has no coded commune")


def _timed(action: Callable[[], object], repeat: int, warmup: int = 3) -> tuple[float, float]:
    """p50 and p95 in ms of `repeat` calls after `warmup` ones."""
    for _ in range(warmup):
        action()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def run(database: Path, repeat: int, patient_id: str) -> None:
    services = build_services(Settings(database_url=f"sqlite:///{database}", forecast_upkeep=False))
    try:
        commune = _commune(services.store.read("Patient", patient_id))
        # as app.py builds it: the search parameters with the ValueSets' expansions
        registry = replace(
            load_definitions().search_params, value_sets=services.artifacts.terminology.expansions()
        )
        tz = ZoneInfo("Asia/Ho_Chi_Minh")
        params = _params(f"commune:in={COMMUNES}")
        p50, _ = _timed(lambda: parse_search("Patient", params, registry, strict=True, default_tz=tz), 200)
        codes = len(registry.value_sets[COMMUNES])
        print(f"parse Patient?commune:in=vn-commune ({codes} codes): p50 {p50 * 1000:.0f} µs")
        for label, (resource_type, query) in QUERIES.items():
            query_params = _params(query.format(commune=commune))
            bundle = services.search.search(
                resource_type, query_params, "http://bench/fhir", lambda _: "", strict=True
            )
            found = bundle.get("total", len(bundle.get("entry", ())))

            def search(rt: str = resource_type, qp: list[tuple[str, str]] = query_params) -> object:
                return services.search.search(rt, qp, "http://bench/fhir", lambda _: "", strict=True)

            p50, p95 = _timed(search, repeat)
            print(f"  {label:<52} p50 {p50:>8.2f} ms  p95 {p95:>8.2f} ms  ({found} found)")
    finally:
        services.store.close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.value_sets", description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=500, help="children in the population")
    parser.add_argument("--database", type=Path, help="SQLite file to build or reuse (default: a temp dir)")
    parser.add_argument("--repeat", type=int, default=20, help="timed searches per query")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-value-sets-") as tmp:
        database = args.database or Path(tmp) / "vs.sqlite3"
        database.parent.mkdir(parents=True, exist_ok=True)
        samples = build(database, args.patients, args.seed)
        print(f"\n{args.patients:,} children, SQLite, in process (services.search), sequential")
        run(database, max(1, args.repeat), samples["patients"][0])


if __name__ == "__main__":
    main()
