"""Command line: `fhir-server serve`, `fhir-server seed-demo` (more commands join in later issues)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

log = logging.getLogger("fhir_server.cli")


def _check_store(url: str, timeout_ms: int) -> None:
    """Open and close the store once before the workers start, so that an unreachable database or a
    bad URL ends the command with one line (main() prints it) instead of a stack trace per worker."""
    from fhir_server.app import SystemClock
    from fhir_server.storage.base import StoreUnavailable
    from fhir_server.storage.factory import open_store

    try:
        store = open_store(url, SystemClock(), mongodb_timeout_ms=timeout_ms)
    except ValueError as exc:  # a malformed URL
        raise StoreUnavailable(str(exc)) from exc
    store.close()


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from fhir_server.settings import Settings

    if args.database_url:
        os.environ["FHIR_DATABASE_URL"] = args.database_url
    settings = Settings()
    _check_store(settings.database_url, settings.mongodb_timeout_ms)
    # Writes may wait on another process's lock (SQLite, several workers) or on the network (MongoDB):
    # keep them off the event loop.
    if args.workers > 1 or settings.database_url.startswith("mongodb"):
        os.environ.setdefault("FHIR_OFFLOAD_WRITES", "true")
    if settings.database_url.startswith("mongodb"):  # every read is a network round trip
        os.environ.setdefault("FHIR_OFFLOAD_READS", "true")
    uvicorn.run(
        "fhir_server.app:serve_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,  # uvicorn's access log prints query strings, which can hold names
        log_config=None,
        loop="uvloop",
        http="httptools",
    )
    return 0


def _seed_demo(args: argparse.Namespace) -> int:
    from bench.population import generate
    from fhir_server.app import build_services
    from fhir_server.logs import configure
    from fhir_server.settings import Settings

    configure("info")
    settings = Settings()
    _check_store(settings.database_url, settings.mongodb_timeout_ms)
    services = build_services(settings)
    try:
        if args.if_empty and services.store.read("Organization", "org-0001") is not None:
            log.info("demo population already present; nothing to do")
            return 0
        count = 0
        for resource in generate(args.patients, seed=args.seed):
            services.resources.update(resource["resourceType"], resource["id"], resource)
            count += 1
        log.info("demo population loaded", extra={"resources": count, "patients": args.patients})
    finally:
        services.store.close()
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="fhir-server", description="FHIR R4 immunization registry server")
    commands = root.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument(
        "--workers", type=int, default=1, help="server processes (SQLite: one writer at a time)"
    )
    serve.add_argument("--database-url", help="overrides FHIR_DATABASE_URL")
    serve.set_defaults(run=_serve)

    seed = commands.add_parser("seed-demo", help="load the synthetic demo population")
    seed.add_argument("--patients", type=int, default=200)
    seed.add_argument("--seed", type=int, default=42)
    seed.add_argument("--if-empty", action="store_true", help="do nothing when the demo is already loaded")
    seed.set_defaults(run=_seed_demo)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    from fhir_server.storage.base import StoreUnavailable

    args = parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except StoreUnavailable as exc:  # the database cannot be opened or reached: say why, no traceback
        print(f"fhir-server: cannot open the database: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
