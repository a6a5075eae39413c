"""The CRUD workload: load facilities, create children's records with N clients, read them back by id."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import httpx
import orjson

from bench.population import generate
from fhir_server.types import JsonResource

HEADERS = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}
FACILITY_TYPES = frozenset({"Organization", "Location"})
TIMEOUT = httpx.Timeout(60.0)


@dataclass
class Phase:
    """What one timed phase did: counts, status codes, per-request latencies (ms), wall time."""

    requests: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    by_type: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    skipped: int = 0  # resources not sent because the Patient they refer to failed

    def record(self, started: float, response: httpx.Response, resource_type: str) -> None:
        self.latencies_ms.append((time.perf_counter() - started) * 1000)
        self.requests += 1
        self.statuses[response.status_code] += 1
        if response.is_success:
            self.by_type[resource_type] += 1
        elif len(self.errors) < 5:
            self.errors.append(f"{response.status_code} {resource_type}: {response.text[:300]}")

    def summary(self) -> dict[str, Any]:
        ok = sum(self.by_type.values())
        return {
            "requests": self.requests,
            "succeeded": ok,
            "seconds": round(self.seconds, 3),
            "per_second": round(ok / self.seconds, 1) if self.seconds else None,
            "latency_ms": percentiles(self.latencies_ms),
            "status_codes": {str(k): v for k, v in sorted(self.statuses.items())},
            "by_type": dict(self.by_type),
            "skipped": self.skipped,
            "errors": self.errors,
        }


def percentiles(values: list[float]) -> dict[str, float | None]:
    """p50/p95/p99 by nearest rank, mean and max, rounded to microseconds."""
    if not values:
        return {"p50": None, "p95": None, "p99": None, "mean": None, "max": None}
    ordered = sorted(values)

    def rank(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))], 3)

    return {
        "p50": rank(50),
        "p95": rank(95),
        "p99": rank(99),
        "mean": round(sum(ordered) / len(ordered), 3),
        "max": round(ordered[-1], 3),
    }


def population(resources: int, seed: int) -> tuple[list[JsonResource], Iterator[list[JsonResource]]]:
    """The facilities, and the children's records in groups (Patient first) totalling `resources`."""
    stream = generate(resources, seed=seed)  # at least two resources per child: enough children
    facilities: list[JsonResource] = []
    first: JsonResource | None = None
    for resource in stream:
        if resource["resourceType"] not in FACILITY_TYPES:
            first = resource
            break
        facilities.append(resource)

    def groups() -> Iterator[list[JsonResource]]:
        group: list[JsonResource] = []
        for count, resource in enumerate(chain([first] if first else [], stream)):
            if count >= resources:
                break
            if resource["resourceType"] == "Patient" and group:
                yield group
                group = []
            group.append(resource)
        if group:
            yield group

    return facilities, groups()


def rewrite_references(value: Any, mapping: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {
            k: mapping.get(v, v)
            if k == "reference" and isinstance(v, str)
            else rewrite_references(v, mapping)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [rewrite_references(v, mapping) for v in value]
    return value


def _new_id(response: httpx.Response) -> str | None:
    """The server-assigned id, from Location (`.../Type/id/_history/n`) or else the body."""
    parts: list[str] = response.headers.get("location", "").split("/")
    if "_history" in parts and parts.index("_history") >= 1:
        return parts[parts.index("_history") - 1]
    try:
        rid = orjson.loads(response.content).get("id")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return rid if isinstance(rid, str) else None


def _client(base: str) -> httpx.AsyncClient:
    # One keep-alive HTTP/1.1 connection per simulated client.
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    return httpx.AsyncClient(base_url=base, headers=HEADERS, timeout=TIMEOUT, limits=limits)


async def load_facilities(base: str, facilities: list[JsonResource]) -> dict[str, str]:
    """PUT each facility with its own id (idempotent). Servers that refuse client ids get a POST, and
    the returned mapping ("Type/old" -> "Type/new") is applied to every later reference."""
    mapping: dict[str, str] = {}
    async with _client(base) as client:
        for resource in facilities:
            kind, rid = resource["resourceType"], resource["id"]
            body = rewrite_references(resource, mapping) if mapping else resource
            response = await client.put(f"/{kind}/{rid}", content=orjson.dumps(body))
            if response.is_success:
                continue
            posted = {k: v for k, v in body.items() if k != "id"}
            response = await client.post(f"/{kind}", content=orjson.dumps(posted))
            new = _new_id(response)
            if not response.is_success or new is None:
                raise RuntimeError(f"cannot load {kind}/{rid}: {response.status_code} {response.text[:300]}")
            mapping[f"{kind}/{rid}"] = f"{kind}/{new}"
    return mapping


async def create_phase(
    base: str, groups: Iterator[list[JsonResource]], clients: int, mapping: dict[str, str]
) -> tuple[Phase, list[str]]:
    """POST every child's records, `clients` at a time; returns the phase and the created "Type/id"s."""
    phase, created = Phase(), []

    async def worker() -> None:
        async with _client(base) as client:
            for group in groups:  # one shared iterator: each child is taken by exactly one worker
                patient_ref = ""
                for position, resource in enumerate(group):
                    kind = resource["resourceType"]
                    body = {k: v for k, v in resource.items() if k != "id"}
                    body = rewrite_references(body, mapping) if mapping else body
                    if kind != "Patient":
                        body["patient"] = {"reference": patient_ref}
                    started = time.perf_counter()
                    response = await client.post(f"/{kind}", content=orjson.dumps(body))
                    phase.record(started, response, kind)
                    new = _new_id(response) if response.is_success else None
                    if new is None and kind == "Patient":
                        phase.skipped += len(group) - position - 1
                        break
                    if new is not None:
                        created.append(f"{kind}/{new}")
                        patient_ref = patient_ref or f"Patient/{new}"

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    phase.seconds = time.perf_counter() - started
    return phase, created


async def read_phase(base: str, targets: list[str], clients: int, warmup: int = 200) -> Phase:
    """GET each "Type/id" in `targets`, split over `clients` connections, after an untimed warm-up
    over the same connections."""
    phase = Phase()

    async def run(client: httpx.AsyncClient, chunk: list[str], timed: bool) -> None:
        for path in chunk:
            started = time.perf_counter()
            response = await client.get(f"/{path}")
            if timed:
                phase.record(started, response, path.split("/", 1)[0])

    async with AsyncExitStack() as stack:
        connections = [await stack.enter_async_context(_client(base)) for _ in range(clients)]
        warm = targets[:warmup]
        await asyncio.gather(*(run(c, warm[i::clients], False) for i, c in enumerate(connections)))
        started = time.perf_counter()
        await asyncio.gather(*(run(c, targets[i::clients], True) for i, c in enumerate(connections)))
        phase.seconds = time.perf_counter() - started
    return phase


def read_targets(created: list[str], count: int, seed: int) -> list[str]:
    """`count` ids drawn (with replacement, seeded) from what was created."""
    rng = random.Random(seed)
    return [rng.choice(created) for _ in range(count)] if created else []
