"""Command line: `fhir-server serve`, `import`, `reindex`, `seed-demo`, `demo-token`, `create-client`,
`create-user`, `rotate-keys`, `forecast refresh` (cli_forecast.py); the appointment commands (`slots`,
`reminders`, `recall`) live in cli_scheduling."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fhir_server.settings import Settings
    from fhir_server.storage.base import StoredResource

log = logging.getLogger("fhir_server.cli")


def check_store(settings: Settings) -> None:
    """Open and close the store once before the workers start, so that an unreachable database or a
    bad URL ends the command with one line (main() prints it) instead of a stack trace per worker.
    Opened with the server's summarizers: a store opened without one drops its "complete" marker."""
    from fhir_server.app import SystemClock, coverage_summarizer
    from fhir_server.storage.base import StoreUnavailable
    from fhir_server.storage.factory import open_store

    try:
        store = open_store(
            settings.database_url,
            SystemClock(),
            mongodb_timeout_ms=settings.mongodb_timeout_ms,
            summarizers=(coverage_summarizer(settings),),
        )
    except ValueError as exc:  # a malformed URL
        raise StoreUnavailable(str(exc)) from exc
    store.close()


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from fhir_server.settings import Settings

    if args.database_url:
        os.environ["FHIR_DATABASE_URL"] = args.database_url
    # Tokens name their issuer; by default it is the address served (a wildcard bind answers on loopback).
    host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    os.environ.setdefault("AUTH_ISSUER", f"http://{host}:{args.port}")
    settings = Settings()
    check_store(settings)
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
    from auth.settings import AuthSettings
    from auth.store.factory import open_auth_store
    from bench.population import generate
    from fhir_server import demo
    from fhir_server.app import build_services
    from fhir_server.logs import configure
    from fhir_server.settings import Settings

    configure("info")
    settings = Settings()
    check_store(settings)
    services = build_services(settings)
    try:
        if args.if_empty and services.store.read("Organization", "org-0001") is not None:
            log.info("demo population already present; nothing to do")
        else:
            count = 0
            for resource in generate(args.patients, seed=args.seed):
                services.resources.update(resource["resourceType"], resource["id"], resource)
                count += 1
            log.info("demo population loaded", extra={"resources": count, "patients": args.patients})
    finally:
        services.store.close()
    auth_settings = AuthSettings()
    store = open_auth_store(auth_settings.database_url)
    try:
        people = demo.people(generate(args.patients, seed=args.seed))
        demo.create_demo_accounts(store, people, Path("var/demo-emr-private.json"))
    finally:
        store.close()
    print(demo.instructions(auth_settings.issuer), file=sys.stderr)
    return 0


def _demo_token(args: argparse.Namespace) -> int:
    from auth.component import build_auth
    from auth.settings import AuthSettings
    from fhir_server import demo

    components = build_auth(AuthSettings())
    try:
        response = demo.demo_token(args.who, components.settings, components.store, components.issuer)
    except LookupError as error:
        print(f"demo-token: {error}", file=sys.stderr)
        return 2
    finally:
        components.store.close()
    print(json.dumps(response, indent=2) if args.json else response["access_token"])
    return 0


def _create_client(args: argparse.Namespace) -> int:
    from auth.admin import RegistrationError, create_client
    from auth.models import ClientKind
    from auth.settings import AuthSettings
    from auth.store.factory import open_auth_store

    settings = AuthSettings()
    jwks = Path(args.jwks_file).read_text() if args.jwks_file else None
    store = open_auth_store(settings.database_url)
    try:
        client, secret = create_client(
            store,
            kind=ClientKind(args.kind),
            name=args.name,
            scope=args.scope,
            client_id=args.client_id,
            redirect_uris=tuple(args.redirect_uri),
            jwks=jwks,
            jwks_uri=args.jwks_uri,
            organization=args.organization,
        )
    except (RegistrationError, ValueError) as error:
        print(f"create-client: {error}", file=sys.stderr)
        return 2
    finally:
        store.close()
    shown = {
        "client_id": client.client_id,
        "token_endpoint_auth_method": client.auth_method,
        "scope": client.scope,
        "token_endpoint": f"{settings.issuer}/auth/token",
    }
    if secret:
        shown["client_secret"] = secret  # shown once; only its hash is stored
    print(json.dumps(shown, indent=2))
    return 0


def _create_user(args: argparse.Namespace) -> int:
    import getpass

    from auth.admin import RegistrationError, create_user
    from auth.models import Role
    from auth.settings import AuthSettings
    from auth.store.factory import open_auth_store

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Password: ")
    fhir_user = None
    if args.related_person:
        fhir_user = f"RelatedPerson/{args.related_person}"
    elif args.practitioner:
        fhir_user = f"Practitioner/{args.practitioner}"
    store = open_auth_store(AuthSettings().database_url)
    try:
        user = create_user(
            store,
            username=args.username,
            password=password,
            role=Role(args.role),
            fhir_user=fhir_user,
            patients=tuple(args.patient),
            practitioner_role=args.practitioner_role,
            organization=args.organization,
            area=args.area,
        )
    except RegistrationError as error:
        print(f"create-user: {error}", file=sys.stderr)
        return 2
    finally:
        store.close()
    print(json.dumps({"user_id": user.user_id, "role": user.role.value}))
    return 0


def _rotate_keys(args: argparse.Namespace) -> int:
    from auth.keys import KeyRing
    from auth.settings import AuthSettings
    from auth.store.factory import open_auth_store

    settings = AuthSettings()
    store = open_auth_store(settings.database_url)
    try:
        ring = KeyRing(
            store, settings.signing_alg, settings.key_rotation_seconds, settings.access_token_seconds
        )
        kid = ring.rotate()
    finally:
        store.close()
    # running servers pick the new key up within 30 s; the old one stays published until its tokens expire
    print(json.dumps({"kid": kid}))
    return 0


def _add_auth_commands(commands: Any) -> None:
    client = commands.add_parser(
        "create-client", help="register an app or backend system (AUTH_DATABASE_URL)"
    )
    client.add_argument("--kind", choices=["public", "confidential", "backend"], required=True)
    client.add_argument("--name", required=True, help="shown on the consent page")
    client.add_argument("--scope", required=True, help="the most the client may be granted")
    client.add_argument("--client-id", help="default: generated")
    client.add_argument("--redirect-uri", action="append", default=[], help="apps; repeatable; exact match")
    client.add_argument("--jwks-file", help="JSON Web Key Set of the client's public keys (private_key_jwt)")
    client.add_argument("--jwks-uri", help="where the client publishes its JWKS (private_key_jwt)")
    client.add_argument("--organization", help="backend systems: the Organization id it records for")
    client.set_defaults(run=_create_client)

    user = commands.add_parser(
        "create-user", help="register a parent, health worker, manager, auditor or admin"
    )
    user.add_argument("--username", required=True)
    user.add_argument(
        "--role", choices=["parent", "health_worker", "manager", "auditor", "admin"], required=True
    )
    user.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    user.add_argument("--related-person", help="parents: their RelatedPerson id (fhirUser)")
    user.add_argument("--practitioner", help="health workers: their Practitioner id (fhirUser)")
    user.add_argument("--practitioner-role", help="health workers: their PractitionerRole id")
    user.add_argument("--organization", help="health workers: the Organization id they record for")
    user.add_argument(
        "--patient", action="append", default=[], help="parents: a child's Patient id; repeatable"
    )
    user.add_argument("--area", help="managers: the province or commune code they oversee")
    user.set_defaults(run=_create_user)

    rotate = commands.add_parser("rotate-keys", help="sign new tokens with a new key from now on")
    rotate.set_defaults(run=_rotate_keys)


def _import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from fhir_server.app import build_services
    from fhir_server.bulk.importer import ImportConflict, Importer, ImportOptions
    from fhir_server.bulk.progress import Progress
    from fhir_server.logs import configure
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

    def refresh(written: Sequence[StoredResource]) -> None:
        refreshed, failed = services.recommendations.after_import(written)
        forecasts[0] += refreshed
        forecasts[1] += failed

    try:
        # As for every other write: the recommendations follow unless upkeep is off (FHIR_FORECAST_UPKEEP).
        after = refresh if settings.forecast_upkeep and not args.no_forecasts else None
        summary = Importer(services.store, options, Progress(sys.stderr), after).run(paths)
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
    if settings.forecast_upkeep and not args.no_forecasts:
        refreshed, failed = forecasts
        print(f"recommendations: {refreshed} children refreshed, {failed} not (child not stored, or failed)")
    return 1 if summary.rejected else 0


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

    seed = commands.add_parser("seed-demo", help="load the synthetic demo population")
    seed.add_argument("--patients", type=int, default=200)
    seed.add_argument("--seed", type=int, default=42)
    seed.add_argument("--if-empty", action="store_true", help="do nothing when the demo is already loaded")
    seed.set_defaults(run=_seed_demo)
    token = commands.add_parser("demo-token", help="print a 5-minute access token for a demo account")
    token.add_argument("who", choices=["parent", "nurse", "manager", "auditor", "emr"])
    token.add_argument("--json", action="store_true", help="the whole token response, not just the token")
    token.set_defaults(run=_demo_token)
    _add_auth_commands(commands)
    from fhir_server.cli_forecast import add_forecast_commands
    from fhir_server.cli_maintenance import add_maintenance_commands

    add_forecast_commands(commands)
    add_maintenance_commands(commands)

    from fhir_server.cli_scheduling import add_scheduling_commands

    add_scheduling_commands(commands)
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
