"""Database pages written per create on the SQLite backend: WAL bytes and time per resource.

    python -m bench.sqlite_pages                    # the first 5,000 resources of bench.population
    python -m bench.sqlite_pages --resources 20000

Every committed transaction appends one WAL frame (24-byte header + one page) per page it changed, and
each frame costs syscalls at COMMIT, so frames per create is the figure to keep low. Pass 1 loads the
resources with `services.resources.update` into a fresh temporary database whose writing connection has
`wal_autocheckpoint=0`, and measures the growth of the `-wal` file around each create (the WAL is
truncated between creates, outside the timing, when it passes 64 MB). Pass 2 loads the same resources
into another fresh database with the default checkpointing, for the time per create a server sees
(checkpoints included). Nothing is asserted; the temporary files are removed at the end.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from itertools import islice
from pathlib import Path

from bench.population import generate
from fhir_server.app import build_services
from fhir_server.services.container import Services
from fhir_server.settings import Settings
from fhir_server.storage.sqlite.store import SqliteStore
from fhir_server.types import JsonResource

_WAL_LIMIT = 64 * 1024 * 1024  # truncate the WAL (outside the timing) above this size


def _services(directory: Path, name: str) -> tuple[Services, Path, sqlite3.Connection]:
    path = directory / f"{name}.sqlite3"
    services = build_services(Settings(database_url=f"sqlite:///{path}"))
    store = services.store
    if not isinstance(store, SqliteStore):
        raise TypeError("expected the SQLite store")
    # This thread's connection: the one every write below goes through.
    return services, path, store._connection()


def _wal_size(path: Path) -> int:
    try:
        return Path(f"{path}-wal").stat().st_size
    except FileNotFoundError:
        return 0


def measure_pages(resources: Sequence[JsonResource], directory: Path) -> None:
    services, path, conn = _services(directory, "pages")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
    wal_bytes: dict[str, int] = defaultdict(int)
    seconds: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    for resource in resources:
        resource_type = resource["resourceType"]
        before = _wal_size(path)
        started = time.perf_counter()
        services.resources.update(resource_type, resource["id"], resource)
        seconds[resource_type] += time.perf_counter() - started
        wal_bytes[resource_type] += _wal_size(path) - before
        counts[resource_type] += 1
        if _wal_size(path) > _WAL_LIMIT:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db_kb = path.stat().st_size / 1024
    services.store.close()

    frame = page_size + 24
    print(f"Pass 1 (wal_autocheckpoint=0), page size {page_size} B, {len(resources)} resources")
    print(f"{'type':<14}{'creates':>8}{'WAL KB/create':>15}{'frames/create':>15}{'µs/create':>11}")
    for resource_type in sorted(counts, key=lambda t: -counts[t]):
        n = counts[resource_type]
        print(
            f"{resource_type:<14}{n:>8}{wal_bytes[resource_type] / n / 1024:>15.1f}"
            f"{wal_bytes[resource_type] / n / frame:>15.1f}{seconds[resource_type] / n * 1e6:>11.0f}"
        )
    n, total_wal = len(resources), sum(wal_bytes.values())
    print(
        f"{'all':<14}{n:>8}{total_wal / n / 1024:>15.1f}{total_wal / n / frame:>15.1f}"
        f"{sum(seconds.values()) / n * 1e6:>11.0f}"
    )
    print(f"database file after the load: {db_kb:.0f} KB ({db_kb * 1024 / n:.0f} B per resource)")


def measure_time(resources: Sequence[JsonResource], directory: Path) -> None:
    services, _, _ = _services(directory, "time")
    started = time.perf_counter()
    for resource in resources:
        services.resources.update(resource["resourceType"], resource["id"], resource)
    elapsed = time.perf_counter() - started
    services.store.close()
    print(f"Pass 2 (default checkpointing): {elapsed / len(resources) * 1e6:.0f} µs/create")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.sqlite_pages", description="Database pages written per create."
    )
    parser.add_argument("--resources", type=int, default=5000, help="how many resources to create")
    args = parser.parse_args(argv)
    count = max(1, min(args.resources, 200_000))
    # Enough children for `count` resources (about 16 per child), in generation order.
    resources = list(islice(generate(count // 10 + 10), count))
    with tempfile.TemporaryDirectory(prefix="sqlite-pages-") as directory:
        measure_pages(resources, Path(directory))
        measure_time(resources, Path(directory))


if __name__ == "__main__":
    main()
