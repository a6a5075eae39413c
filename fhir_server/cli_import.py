"""`fhir-server import FILE…` (bulk/importer.py): NDJSON and Bundle files into the store, resumable, with
every rejected line written with its reason. After each committed batch the children's recommendations are
refreshed; at the end, if Locations or Organizations were imported, their partOf chains are checked (the
import writes what it is given, like PUT, but runs no write checks: fhir-server part-of check lists them)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fhir_server.storage.base import StoredResource

_UNITS = frozenset({"Location", "Organization"})


def _import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from fhir_server.app import build_services
    from fhir_server.bulk.importer import ImportConflict, Importer, ImportOptions
    from fhir_server.bulk.progress import Progress
    from fhir_server.logs import configure
    from fhir_server.services.part_of_chains import broken_units
    from fhir_server.settings import Settings

    configure("warning")  # the progress line is the output; warnings (a changed file) still show
    if args.database_url:
        os.environ["FHIR_DATABASE_URL"] = args.database_url
    settings = Settings()
    paths = [Path(p) for p in args.paths]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        print(f"not a file: {', '.join(missing)}", file=sys.stderr)
        return 2
    options = ImportOptions(
        workers=args.workers,
        batch_size=args.batch_size,
        rejects_dir=Path(args.rejects_dir) if args.rejects_dir else None,
        default_timezone=settings.default_timezone,
    )
    services = build_services(settings)
    forecasts = [0, 0]  # children refreshed, failed
    # As for every other write: the recommendations follow unless upkeep is off (FHIR_FORECAST_UPKEEP).
    refreshing = settings.forecast_upkeep and not args.no_forecasts
    units = [False]  # a Location or Organization was stored

    def after(written: Sequence[StoredResource]) -> None:
        units[0] = units[0] or any(s.resource_type in _UNITS for s in written)
        if refreshing:
            refreshed, failed = services.recommendations.after_import(written)
            forecasts[0] += refreshed
            forecasts[1] += failed

    try:
        summary = Importer(services.store, options, Progress(sys.stderr), after).run(paths)
        broken = sum(1 for _ in broken_units(services.store)) if units[0] else 0
    except KeyboardInterrupt:
        print("\ninterrupted: what was committed stays; run the same command to resume", file=sys.stderr)
        return 130
    except ImportConflict as exc:
        print(f"stopped: {exc}", file=sys.stderr)
        return 3
    finally:
        services.store.close()
    for file in summary.files:
        note = " (already imported)" if file.skipped else ""
        rejects = f", rejects in {file.rejects_file}" if file.rejected else ""
        print(f"{file.path}: read {file.read}, stored {file.stored}, rejected {file.rejected}{rejects}{note}")
    print(f"total: read {summary.read} = stored {summary.stored} + rejected {summary.rejected}")
    if refreshing:
        refreshed, failed = forecasts
        print(f"recommendations: {refreshed} children refreshed, {failed} not (child not stored, or failed)")
    if broken:
        print(f"partOf: {broken} Location/Organization resource(s) break the rule: fhir-server part-of check")
    return 1 if summary.rejected else 0


def add_import_command(commands: Any) -> None:
    bulk = commands.add_parser(
        "import",
        help="load NDJSON (one resource per line) and Bundle (*.json) files; re-run to resume",
        description="Exit status: 0 when every resource was stored, 1 when some were rejected "
        "(see the rejects files), 2 on bad arguments, 3 when another import of the same file ran at once, "
        "130 when interrupted (run the same command again to resume).",
    )
    bulk.add_argument("paths", nargs="+", metavar="PATH")
    bulk.add_argument("--database-url", help="overrides FHIR_DATABASE_URL")
    # Beyond ~3 workers the single writer is the limit (docs/performance.md), and each costs ~110 MB.
    bulk.add_argument(
        "--workers",
        type=int,
        default=min(os.cpu_count() or 1, 4),
        help="processes validating (default: the CPUs, at most 4; 0: in this process)",
    )
    bulk.add_argument("--batch-size", type=int, default=500, help="resources per committed batch")
    bulk.add_argument("--rejects-dir", help="where FILE.rejects.ndjson go (default: next to each FILE)")
    bulk.add_argument(
        "--no-forecasts",
        action="store_true",
        help="do not refresh the children's ImmunizationRecommendations after each batch (a first national "
        "load: run `forecast refresh --all` afterwards, in parallel)",
    )
    bulk.set_defaults(run=_import)
