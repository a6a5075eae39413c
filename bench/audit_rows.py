"""What an AuditEvent's search-index rows cost in SQLite, in process: the same events written through the
SQLite store as the audit trail writes them (batches of 200 in one unit of work each), with their index
rows and with none, batches alternating so that both see the same machine load.

    .venv/bin/python -m bench.audit_rows [--batches 10] [--patients 1]

`--patients` is how many patients each event names (a read names one; a search names up to 50, then a
count). Prints the rows per event (by search parameter) and the CPU µs per event of the SQLite write
(median of the batches); the difference between the two lines is what the rows cost."""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from auth.scopes import ScopeSet
from auth.verify import Principal
from fhir_server.app import SystemClock
from fhir_server.definitions.loader import load_definitions
from fhir_server.search.extract import Extractor
from fhir_server.search.index import IndexValues
from fhir_server.services.audit import AuditRecord, audit_event
from fhir_server.services.audit_index import audit_index
from fhir_server.services.disclosure import Disclosure
from fhir_server.storage.sqlite import SqliteStore
from fhir_server.types import JsonResource

BATCH = 200
NURSE = Principal(
    "u-1", "app-1", ScopeSet(), "http://bench", None, 0, role="health_worker",
    fhir_user="Practitioner/pr-1", organization="Organization/o-1",
)  # fmt: skip


def _events(first: int, patients: int) -> list[JsonResource]:
    events = []
    for n in range(first, first + BATCH):
        touched = Disclosure()
        for k in range(patients):
            reference = {"reference": f"Patient/p{(n + k) % 5000}"}
            touched.note_resource({"resourceType": "Immunization", "patient": reference})
        path = f"Immunization/i{n}" if patients == 1 else "Immunization"
        record = AuditRecord("GET", path, "", 200, NURSE, "10.0.0.7", disclosure=touched)
        events.append(audit_event(record, datetime.now(UTC), "fhir-server", f"e{n}"))
    return events


def _print_rows(path: Path, events: int, patients: int) -> None:
    """The rows stored per event, in all and by search parameter (from the file itself)."""
    with sqlite3.connect(path) as db:
        by_param = db.execute(
            "SELECT p.param, count(*) FROM idx JOIN params p USING (pid) GROUP BY p.param ORDER BY 2 DESC"
        ).fetchall()
    total = sum(count for _, count in by_param)
    print(f"index rows per event naming {patients} patient(s): {total / events:.1f}")
    print("  by parameter:", ", ".join(f"{param} {count / events:g}" for param, count in by_param))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--patients", type=int, default=1)
    args = parser.parse_args()
    extractor = Extractor(load_definitions().search_params, ZoneInfo("Asia/Ho_Chi_Minh"))
    cpu: dict[str, list[float]] = {"with its index rows": [], "without index rows": []}
    with tempfile.TemporaryDirectory() as directory:
        store = SqliteStore(Path(directory) / "audit.sqlite3", SystemClock())
        first = 0
        for _ in range(args.batches):
            for label, values in cpu.items():
                events = _events(first, args.patients)
                first += BATCH
                with_rows = label == "with its index rows"
                indexed = [(e, audit_index(e, extractor) if with_rows else IndexValues()) for e in events]
                started = time.process_time()
                with store.unit_of_work() as uow:
                    for event, index in indexed:
                        uow.write(event, index, method="POST")
                values.append((time.process_time() - started) / BATCH * 1e6)
        store.close()
        _print_rows(Path(directory) / "audit.sqlite3", args.batches * BATCH, args.patients)
    for label, values in cpu.items():
        print(
            f"SQLite write, {label}: {statistics.median(values):.1f} CPU µs per event "
            f"(median of {args.batches} batches of {BATCH}; min {min(values):.1f})"
        )


if __name__ == "__main__":
    main()
