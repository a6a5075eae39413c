"""The daily reminder run at province scale (issue 9 target: 200,000 children in < 2 minutes).

    python -m bench.reminders build --patients 200000 --dir /work/data/reminders200k   # once (long)
    python -m bench.reminders run --dir /work/data/reminders200k                       # each measurement

`build` streams the synthetic population (bench.population: facilities, then per child the Patient, the
mother with her phone and the Immunizations of a realistic EPI history), runs the real forecast engine
(Vietnam's schedule, `ForecastService.assess`) on each child's history at the population's reference date,
and stores the Patients, mothers, Locations, Organizations and the resulting ImmunizationRecommendations
(`rec-<child>`, exactly what the forecast upkeep stores) straight through the storage contract with their
index rows, in units of work of ~2,000 resources. A faster path than `fhir-server import` + `forecast
refresh --all` (~300 children/s): the Immunizations themselves are not stored, because the reminder run
reads only the stored recommendations, children, mothers and Locations.

`run` copies the built database (so every measurement starts from the same state), then times
`ReminderJob.run` three times: on the reference date (the first run on a registry: every overdue dose at
once), on the same date again (must write nothing: idempotent), and on the next day (what the daily job
does once the backlog is sent: new due/overdue doses, overdue reminders repeated every 30 days).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.population import REFERENCE_DATE, generate
from fhir_server.search.request import SearchRequest
from fhir_server.services.forecasts import DoseSource, recommendation_id
from fhir_server.types import JsonResource

DB = "registry.sqlite3"
BATCH = 2000
KEPT = frozenset({"Organization", "Location", "Patient", "RelatedPerson"})


def _children(patients: int) -> Iterator[tuple[list[JsonResource], list[JsonResource]]]:
    """(resources to store, the child's Immunizations) per child; facilities come first on their own."""
    kept: list[JsonResource] = []
    doses: list[JsonResource] = []
    for resource in generate(patients):
        kind = resource["resourceType"]
        if kind == "Patient" and (kept or doses):
            yield kept, doses
            kept, doses = [], []
        if kind == "Immunization":
            doses.append(resource)
        elif kind in KEPT:
            kept.append(resource)
    yield kept, doses


def build(patients: int, directory: Path) -> None:
    from fhir_server.app import build_services
    from fhir_server.settings import Settings

    directory.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{directory / DB}"
    services = build_services(Settings(database_url=url, forecast_upkeep=False))
    extractor, forecasts, store = services.extractor, services.forecasts, services.store
    began = time.perf_counter()
    pending: list[JsonResource] = []
    children = forecast_seconds = 0.0
    for kept, doses in _children(patients):
        pending.extend(kept)
        patient = next((r for r in kept if r["resourceType"] == "Patient"), None)
        if patient is not None:
            children += 1
            t0 = time.perf_counter()
            sources = [DoseSource(f"Immunization/{d['id']}", f"Immunization/{d['id']}", d) for d in doses]
            result = forecasts.assess(
                patient,
                sources,
                REFERENCE_DATE,
                patient_ref=f"Patient/{patient['id']}",
                recommendation_id=recommendation_id(patient["id"]),
            )
            forecast_seconds += time.perf_counter() - t0
            pending.append(result.recommendation)
        if len(pending) >= BATCH:
            _store(store, extractor, pending)
            pending = []
            if int(children) % 20000 < 700:
                print(f"  {int(children)} children, {time.perf_counter() - began:.0f} s", flush=True)
    _store(store, extractor, pending)
    store.close()
    total = time.perf_counter() - began
    print(
        f"built {int(children)} children in {total:.0f} s (forecast {forecast_seconds:.0f} s, "
        f"{children / max(forecast_seconds, 1e-9):.0f} children/s) into {directory / DB}"
    )


def _store(store: object, extractor: object, resources: list[JsonResource]) -> None:
    indexed = [(r, extractor.extract(r)) for r in resources]  # type: ignore[attr-defined]
    with store.unit_of_work() as uow:  # type: ignore[attr-defined]
        for resource, index in indexed:
            uow.write(resource, index, method="PUT")


class _Clock:
    def now(self) -> datetime:
        return datetime.combine(REFERENCE_DATE, datetime.min.time(), UTC).replace(hour=2)  # 09:00 Hanoi


def run(directory: Path, day: date) -> None:
    from fhir_server.app import build_services
    from fhir_server.services.scheduling import build_scheduling
    from fhir_server.settings import MessagingSettings, Settings

    work = directory / "run.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    with sqlite3.connect(directory / DB) as source:  # a build that was stopped may leave pages in its WAL
        source.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(directory / DB, work)
    services = build_services(Settings(database_url=f"sqlite:///{work}", forecast_upkeep=False))
    scheduling = build_scheduling(
        services.store,
        services.resources,
        _Clock(),
        ZoneInfo("Asia/Ho_Chi_Minh"),
        services.forecasts.vaccine_groups_of,
    )
    job = scheduling.reminder_job(MessagingSettings())
    request = SearchRequest("ImmunizationRecommendation", count=0)
    children = services.store.search(request, with_total=True).total
    print(f"{children} children with a stored recommendation; reminder day {day}", flush=True)
    runs = (
        ("first run (the backlog)", day),
        ("same day again (idempotent)", day),
        ("next day (the daily run)", day + timedelta(days=1)),
    )
    for label, when in runs:
        began = time.perf_counter()
        report = job.run(when)
        seconds = time.perf_counter() - began
        print(
            f"{label}: {seconds:.1f} s ({(children or 0) / seconds:.0f} children/s); "
            f"{report.created} reminders created ({report.kinds}), "
            f"{report.already_sent} already there, {report.no_phone} without a phone, "
            f"{report.opted_out} opted out",
            flush=True,
        )
    services.store.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.reminders", description=__doc__)
    parser.add_argument("command", choices=["build", "run"])
    parser.add_argument("--patients", type=int, default=200_000)
    parser.add_argument("--dir", type=Path, default=Path("/work/data/reminders200k"))
    parser.add_argument("--date", type=date.fromisoformat, default=REFERENCE_DATE)
    args = parser.parse_args()
    if args.command == "build":
        build(args.patients, args.dir)
    else:
        run(args.dir, args.date)


if __name__ == "__main__":
    main()
