"""`fhir-server reindex` and `fhir-server coverage rebuild`: rebuild what the store derives from the stored
resources (search index rows, the coverage aggregate) after an upgrade or for data written before it existed.
Both commit in batches and can be re-run. `fhir-server part-of check` lists the stored Locations and
Organizations that break the partOf rule (vn-loc-2, vn-org-3), e.g. written before it existed."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from fhir_server.cli import check_store


def _reindex(args: argparse.Namespace) -> int:
    from fhir_server.app import build_services
    from fhir_server.logs import configure
    from fhir_server.services.reindex import Reindexer
    from fhir_server.settings import Settings

    configure("warning")
    if args.database_url:
        os.environ["FHIR_DATABASE_URL"] = args.database_url
    settings = Settings()
    check_store(settings)
    services = build_services(settings)
    try:
        known = services.resource_types
        unknown = [t for t in args.type if t not in known]
        if unknown:
            print(f"reindex: unknown resource type: {', '.join(unknown)}", file=sys.stderr)
            return 2
        types = list(dict.fromkeys(args.type)) or sorted(known)
        report = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
        reindexer = Reindexer(services.store, services.extractor, batch=args.batch_size, report=report)
        reindexer.run(types, restart=args.restart, every_type=not args.type)
    except KeyboardInterrupt:
        print("\ninterrupted: committed batches stay; run the same command to resume", file=sys.stderr)
        return 130
    finally:
        services.store.close()
    return 0


def _coverage_rebuild(args: argparse.Namespace) -> int:
    import time
    from zoneinfo import ZoneInfo

    from fhir_server.app import build_services, coverage_summarizer
    from fhir_server.definitions.loader import load_definitions
    from fhir_server.logs import configure
    from fhir_server.operations.coverage_rebuild import rebuild
    from fhir_server.services.conditions import Conditions
    from fhir_server.settings import Settings

    configure("warning")
    if args.database_url:
        os.environ["FHIR_DATABASE_URL"] = args.database_url
    settings = Settings()
    services = build_services(settings)
    conditions = Conditions(load_definitions().search_params, ZoneInfo(settings.default_timezone))
    started = time.perf_counter()
    try:
        counts = rebuild(services.store, conditions, coverage_summarizer(settings))
    finally:
        services.store.close()
    if counts is None:
        print("this store keeps no coverage aggregate (reports read its index)", file=sys.stderr)
        return 0
    print(f"coverage aggregate rebuilt: {counts[0]} children, {counts[1]} doses "
          f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
    return 0


def _part_of_check(args: argparse.Namespace) -> int:
    from fhir_server.app import open_server_store
    from fhir_server.logs import configure
    from fhir_server.services.part_of_chains import broken_units
    from fhir_server.settings import Settings

    configure("warning")
    settings = Settings(database_url=args.database_url) if args.database_url else Settings()
    check_store(settings)
    store = open_server_store(settings)
    broken = 0
    try:
        for resource_type, id, issue in broken_units(store):
            print(f"{resource_type}/{id}: {issue.en}")  # facilities, never personal data
            broken += 1
    finally:
        store.close()
    print(f"{broken} Location/Organization resource(s) break the partOf rule", file=sys.stderr)
    return 1 if broken else 0


def add_maintenance_commands(commands: Any) -> None:
    reindex = commands.add_parser(
        "reindex",
        help="rebuild the search index rows of current resources from their stored bodies",
        description="Run after a change to search parameters or to what is indexed, or when the server "
        "logs that the database was written by an older schema. Resources keep their versions. Re-run "
        "the same command after an interruption to resume; exit status 130 when interrupted.",
    )
    reindex.add_argument("--type", action="append", default=[], help="only this type (repeatable)")
    reindex.add_argument("--database-url", help="overrides FHIR_DATABASE_URL")
    reindex.add_argument("--batch-size", type=int, default=500, help="resources per committed batch")
    reindex.add_argument("--restart", action="store_true", help="ignore an interrupted run; start over")
    reindex.set_defaults(run=_reindex)

    coverage = commands.add_parser(
        "coverage", help="the coverage aggregate reports read (issue 10)"
    ).add_subparsers(dest="action", required=True)
    rebuild = coverage.add_parser(
        "rebuild",
        help="build it from scratch from the index (once, for data written before it existed); "
        "SQLite: writes wait meanwhile; MongoDB: stop the servers first",
    )
    rebuild.add_argument("--database-url", help="overrides FHIR_DATABASE_URL")
    rebuild.set_defaults(run=_coverage_rebuild)

    part_of = commands.add_parser(
        "part-of", help="the partOf chains of Locations and Organizations (vn-loc-2, vn-org-3)"
    ).add_subparsers(dest="action", required=True)
    check = part_of.add_parser(
        "check",
        help="list the stored ones whose chain does not reach their province (exit status 1 if any)",
    )
    check.add_argument("--database-url", help="overrides FHIR_DATABASE_URL")
    check.set_defaults(run=_part_of_check)
