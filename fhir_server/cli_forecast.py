"""`fhir-server forecast refresh [--all] [--patient ID ...] [--date YYYY-MM-DD] [--workers N]`.

Recomputes the stored ImmunizationRecommendation of each child (services/recommendations.py). With `--all`
the Patient ids are listed once and cut into chunks that a process pool (default: every core) forecasts;
each worker opens its own store and writes its chunk in one unit of work (SQLite serialises the writers).
A `memory://` database lives in one process only, so it is refreshed in-process.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import date
from functools import cache
from typing import Any

from fhir_server.app import build_services
from fhir_server.search.request import SearchRequest
from fhir_server.services.container import Services
from fhir_server.settings import Settings

_CHUNK = 200


def patient_ids(services: Services) -> Iterator[str]:
    request = SearchRequest("Patient", count=1000)
    while True:
        page = services.store.search(request, with_total=False)
        yield from (stored.id for stored in page.resources)
        if page.next_cursor is None or not page.resources:
            return
        request = replace(request, cursor=page.next_cursor)


@cache
def _worker_services() -> Services:
    """One store per worker process, opened by its first chunk."""
    services = build_services(Settings())
    gc.freeze()  # the schedule and definitions live forever: keep them out of every collection (~1.4x)
    return services


def _refresh_chunk(ids: list[str], today: date) -> tuple[int, int]:
    return _worker_services().recommendations.refresh_many(ids, today)


def refresh(args: argparse.Namespace) -> int:
    settings = Settings()
    services = build_services(settings)
    gc.freeze()  # see _worker_services
    today = date.fromisoformat(args.date) if args.date else _today()
    try:
        ids = list(patient_ids(services)) if args.all else list(args.patient)
        started = time.perf_counter()
        chunks = [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]
        in_process = settings.database_url.startswith("memory:") or args.workers == 1 or len(chunks) < 2
        if in_process:
            results = [services.recommendations.refresh_many(chunk, today) for chunk in chunks]
        else:
            with ProcessPoolExecutor(args.workers) as pool:
                results = list(pool.map(_refresh_chunk, chunks, [today] * len(chunks)))
        seconds = time.perf_counter() - started
    finally:
        services.store.close()
    done, failed = sum(r[0] for r in results), sum(r[1] for r in results)
    shown: dict[str, Any] = {
        "children": done,
        "failed": failed,
        "seconds": round(seconds, 3),
        "children_per_second": round(done / seconds, 1) if seconds > 0 else None,
        "date": today.isoformat(),
        "schedule": services.forecasts.schedule_name,
    }
    print(json.dumps(shown))
    return 0 if failed == 0 else 1


def _today() -> date:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    return datetime.now(UTC).astimezone(ZoneInfo(Settings().default_timezone)).date()


def add_forecast_commands(commands: Any) -> None:
    forecast = commands.add_parser("forecast", help="immunization forecasts")
    actions = forecast.add_subparsers(dest="action", required=True)
    refresh_cmd = actions.add_parser("refresh", help="recompute stored ImmunizationRecommendations")
    which = refresh_cmd.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every Patient")
    which.add_argument("--patient", action="append", default=[], help="a Patient id; repeatable")
    refresh_cmd.add_argument("--date", help="assessment date (default: today in FHIR_DEFAULT_TIMEZONE)")
    refresh_cmd.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes")
    refresh_cmd.set_defaults(run=refresh)
