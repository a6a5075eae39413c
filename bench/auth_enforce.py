"""What enforcement costs on reads, measured in one run (DESIGN.md §10: ratios in one run, not absolute
times across runs): the same in-process app and SQLite file, requests without a token (development mode:
unrestricted) interleaved with the same requests carrying a system/ token (verification + scope check) and a
patient/ token (verification + compartment narrowing), then the same with the audit trail on.

    .venv/bin/python -m bench.auth_enforce [--requests 2000]

Prints microseconds per request (median of rounds) through the ASGI app (no network): wall time, and the
process's CPU time (the audit writer thread included; with audit on, each round ends when its events are
stored). The data are written with the national profiles and the forecast upkeep off (bare resources)."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from auth.component import build_auth
from auth.settings import AuthSettings
from fhir_server.app import create_app
from fhir_server.settings import Settings

BASE = "http://bench"


def _token(auth: Any, scope: str, **claims: Any) -> dict[str, str]:
    now = int(time.time())
    body = {
        "iss": BASE,
        "aud": f"{BASE}/fhir",
        "sub": "bench",
        "client_id": "bench",
        "scope": scope,
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "jti": secrets.token_urlsafe(8),
        **claims,
    }
    return {"Authorization": f"Bearer {auth.issuer.sign(body)}"}


def _patient(i: int) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": f"p{i}", "gender": "female", "birthDate": "2025-01-01"}


def _immunization(i: int) -> dict[str, Any]:
    return {
        "resourceType": "Immunization",
        "id": f"i{i}",
        "status": "completed",
        "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "08"}]},
        "patient": {"reference": f"Patient/p{i % 200}"},
        "occurrenceDateTime": "2025-03-02",
    }


async def _time(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], n: int, audit: Any
) -> tuple[float, float]:
    """(wall, CPU) microseconds per request; CPU is the whole process's (the audit writer thread
    included), and with the audit trail on the timing ends once every event is stored."""
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        response = await client.get(url, headers=headers)
        assert response.status_code == 200, response.text
    if audit is not None:
        audit.flush()
    wall = (time.perf_counter() - started) / n * 1e6
    return wall, (time.process_time() - cpu) / n * 1e6


async def _run(requests: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        database = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        results: dict[str, list[tuple[float, float]]] = {}
        for audit in (False, True):
            # An authorization server per app: the app closes its auth store at shutdown.
            auth = build_auth(AuthSettings(database_url="memory://", issuer=BASE, audience=f"{BASE}/fhir"))
            settings = Settings(
                database_url=database,
                auth_required=False,
                audit=audit,
                profiles_enforced="none",
                forecast_upkeep=False,
            )
            app = create_app(settings, auth=auth)
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
                    if not audit:
                        for i in range(200):
                            written = await client.put(f"/fhir/Patient/p{i}", json=_patient(i))
                            assert written.status_code in (200, 201), written.text
                        for i in range(1000):
                            written = await client.put(f"/fhir/Immunization/i{i}", json=_immunization(i))
                            assert written.status_code in (200, 201), written.text
                    system = _token(auth, "system/*.rs", role="system")
                    patient = _token(auth, "patient/*.rs", role="parent", patient="p7")
                    cases = {
                        "read, no token": ("/fhir/Immunization/i7", {}),
                        "read, system/ token": ("/fhir/Immunization/i7", system),
                        "read, patient/ token": ("/fhir/Immunization/i7", patient),
                        "search, no token": ("/fhir/Immunization?patient=p7", {}),
                        "search, patient/ token": ("/fhir/Immunization?patient=p7", patient),
                    }
                    trail = app.state.audit if audit else None
                    for _ in range(rounds):
                        for name, (url, headers) in cases.items():
                            key = f"{name}{', audit on' if audit else ''}"
                            results.setdefault(key, []).append(
                                await _time(client, url, headers, requests // rounds, trail)
                            )
        print(f"{'':34s} {'wall':>8s}   {'CPU':>8s}  (µs/request, median of {rounds} rounds)")
        for name, values in results.items():
            wall = statistics.median(v[0] for v in values)
            cpu = statistics.median(v[1] for v in values)
            print(f"{name:34s} {wall:8.1f}   {cpu:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(_run(args.requests, args.rounds))


if __name__ == "__main__":
    main()
