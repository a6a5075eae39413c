"""Booking under contention and the reminder run rate, small scale (the machine is shared).

    python -m bench.booking --requests 200 --capacity 20 --children 2000

1. A real server (`fhir-server serve`, one worker, SQLite): `--requests` parallel POST /Appointment for
   one slot of `--capacity` places; prints the status counts, over-booking (must be 0) and latency
   percentiles measured by the client.
2. In process: `--children` children with a mother and a stored ImmunizationRecommendation (a third due
   within 7 days, a third overdue), then `ReminderJob.run` twice (the second writes nothing); prints
   reminders per second.
Figures go to docs/performance.md by hand, with the machine and this command.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from bench.population.facilities import build_facilities
from bench.server_process import health_urls, start, stop, wait_ready

VACCINE = "https://fhir.vn/CodeSystem/vn-vaccine"
CAPACITY = "https://fhir.vn/StructureDefinition/slot-capacity"


def _appointment(child: str) -> dict[str, Any]:
    return {
        "resourceType": "Appointment",
        "status": "booked",
        "serviceType": [{"coding": [{"system": VACCINE, "code": "VN-MRVAC"}]}],
        "slot": [{"reference": "Slot/bench-slot"}],
        "participant": [{"actor": {"reference": f"Patient/{child}"}, "status": "accepted"}],
    }


def contention(workdir: Path, requests: int, capacity: int, workers: int = 1) -> None:
    server = start(workdir, workers)
    try:
        wait_ready(health_urls(server.base), 60, server.process)
        headers = {"Content-Type": "application/fhir+json"}
        with httpx.Client(base_url=server.base, headers=headers, timeout=60) as http:
            # one province's CDC, jurisdictions and station, as the national profiles ask (partOf chains)
            facilities = build_facilities(random.Random(1), (("01", 1.0),), communes=1)
            for resource in facilities.resources:
                stored = http.put(f"/{resource['resourceType']}/{resource['id']}", json=resource)
                stored.raise_for_status()
            schedule = {
                "resourceType": "Schedule",
                "id": "bench",
                "actor": [{"reference": f"Location/{facilities.stations[0].loc_id}"}],
            }
            http.put("/Schedule/bench", json=schedule)
            slot = {
                "resourceType": "Slot",
                "id": "bench-slot",
                "extension": [{"url": CAPACITY, "valuePositiveInt": capacity}],
                "schedule": {"reference": "Schedule/bench"},
                "status": "free",
                "start": "2026-12-01T07:30:00+07:00",
                "end": "2026-12-01T07:45:00+07:00",
            }
            http.put("/Slot/bench-slot", json=slot)

        clients = [httpx.Client(base_url=server.base, headers=headers, timeout=60) for _ in range(50)]

        def book(n: int) -> tuple[int, float]:
            began = time.perf_counter()
            response = clients[n % len(clients)].post("/Appointment", json=_appointment(f"child-{n}"))
            return response.status_code, time.perf_counter() - began

        with ThreadPoolExecutor(max_workers=50) as pool:
            began = time.perf_counter()
            results = list(pool.map(book, range(requests)))
            wall = time.perf_counter() - began
        for client in clients:
            client.close()
        with httpx.Client(base_url=server.base, timeout=60) as http:
            booked = http.get("/Appointment", params={"slot": "Slot/bench-slot", "_count": 1000}).json()
        stored = len(booked.get("entry", ()))
        latencies = sorted(seconds * 1000 for _, seconds in results)
        p95 = latencies[int(0.95 * (len(latencies) - 1))]
        print(
            f"booking: {requests} parallel requests (50 connections) for {capacity} places, "
            f"{workers} worker(s)"
        )
        print(
            f"  statuses {dict(Counter(s for s, _ in results))}; appointments stored {stored}; "
            f"over-booking {max(0, stored - capacity)}"
        )
        print(
            f"  latency ms: median {statistics.median(latencies):.1f}, p95 {p95:.1f}, "
            f"max {latencies[-1]:.1f}; "
            f"wall {wall:.2f} s"
        )
        if shutil.which("hey"):
            _hey(server.base, requests, capacity)
    finally:
        stop(server)


def _hey(base: str, requests: int, capacity: int) -> None:
    """The same contention from `hey` (Go, far cheaper on the shared CPU than Python threads): one
    request per connection, all at once, for a second slot of the same capacity."""
    slot = {
        "resourceType": "Slot",
        "id": "bench-slot-2",
        "extension": [{"url": CAPACITY, "valuePositiveInt": capacity}],
        "schedule": {"reference": "Schedule/bench"},
        "status": "free",
        "start": "2026-12-01T08:00:00+07:00",
        "end": "2026-12-01T08:15:00+07:00",
    }
    body = {**_appointment("child-hey"), "slot": [{"reference": "Slot/bench-slot-2"}]}
    with httpx.Client(base_url=base, headers={"Content-Type": "application/fhir+json"}, timeout=60) as http:
        http.put("/Slot/bench-slot-2", json=slot)
    with tempfile.NamedTemporaryFile(suffix=".json") as file:
        file.write(json.dumps(body).encode())
        file.flush()
        command = ["hey", "-n", str(requests), "-c", str(requests), "-t", "30", "-m", "POST"]
        command += ["-T", "application/fhir+json", "-D", file.name, f"{base}/Appointment"]
        output = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False).stdout
    with httpx.Client(base_url=base, timeout=60) as http:
        booked = http.get("/Appointment", params={"slot": "Slot/bench-slot-2", "_count": 1000}).json()
    stored = len(booked.get("entry", ()))
    percentiles = dict(re.findall(r"\s(50|95|99)%+ in ([\d.]+) secs", output))
    statuses = dict(re.findall(r"\[(\d{3})\]\s+(\d+) responses", output))
    p50, p95 = (float(percentiles.get(k, "nan")) * 1000 for k in ("50", "95"))
    print(
        f"booking (hey, {requests} connections at once): statuses {statuses}; appointments stored {stored}; "
        f"over-booking {max(0, stored - capacity)}; latency ms p50 {p50:.1f}, p95 {p95:.1f}"
    )


class _Clock:
    def now(self) -> datetime:
        return datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # 09:00 in Hanoi


def reminder_rate(workdir: Path, children: int) -> None:
    from fhir_server.app import build_services
    from fhir_server.services.scheduling import build_scheduling
    from fhir_server.settings import MessagingSettings, Settings

    # Minimal children and mothers (what a reminder reads), not profile-complete records: profiles off.
    settings = Settings(database_url=f"sqlite:///{workdir / 'reminders.sqlite3'}", profiles_enforced="none")
    services = build_services(settings)
    scheduling = build_scheduling(services.store, services.resources, _Clock(), ZoneInfo("Asia/Ho_Chi_Minh"))
    day = date(2026, 11, 30)
    loinc = {"earliest": "30981-5", "due": "30980-7", "overdue": "59778-1"}
    began = time.perf_counter()
    for n in range(children):
        pid = f"p{n}"
        services.resources.update(
            "Patient",
            pid,
            {
                "resourceType": "Patient",
                "id": pid,
                "name": [{"family": "Nguyễn", "given": ["Văn", "An"]}],
                "birthDate": "2025-06-01",
                "address": [{"city": f"Xã {n % 50}", "state": "Hà Nội"}],
            },
        )
        services.resources.update(
            "RelatedPerson",
            f"m{n}",
            {
                "resourceType": "RelatedPerson",
                "id": f"m{n}",
                "patient": {"reference": f"Patient/{pid}"},
                "telecom": [{"system": "phone", "value": f"09{n:08d}", "use": "mobile"}],
            },
        )
        due = (
            day + timedelta(days=3)
            if n % 3 == 0
            else day - timedelta(days=60)
            if n % 3 == 1
            else day + timedelta(days=90)
        )
        dates = {"earliest": due - timedelta(days=28), "due": due, "overdue": due + timedelta(days=30)}
        services.resources.update(
            "ImmunizationRecommendation",
            f"rec-{pid}",
            {
                "resourceType": "ImmunizationRecommendation",
                "id": f"rec-{pid}",
                "patient": {"reference": f"Patient/{pid}"},
                "date": "2026-11-29",
                "recommendation": [
                    {
                        "vaccineCode": [
                            {"coding": [{"system": VACCINE, "code": "VN-MRVAC", "display": "Sởi - Rubella"}]}
                        ],
                        "forecastStatus": {"coding": [{"code": "due"}]},
                        "dateCriterion": [
                            {
                                "code": {"coding": [{"system": "http://loinc.org", "code": loinc[k]}]},
                                "value": v.isoformat(),
                            }
                            for k, v in dates.items()
                        ],
                    }
                ],
            },
        )
    print(f"reminders: loaded {children} children in {time.perf_counter() - began:.1f} s")
    job = scheduling.reminder_job(MessagingSettings())
    for label in ("first run", "second run"):
        began = time.perf_counter()
        report = job.run(day)
        seconds = time.perf_counter() - began
        print(
            f"  {label}: {report.created} created, {report.already_sent} already there, {seconds:.2f} s "
            f"({children / seconds:.0f} children/s)"
        )
    services.store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--capacity", type=int, default=20)
    parser.add_argument("--children", type=int, default=2000, help="0: skip the reminder part")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        contention(Path(tmp), args.requests, args.capacity, args.workers)
        if args.children:
            reminder_rate(Path(tmp), args.children)


if __name__ == "__main__":
    main()
