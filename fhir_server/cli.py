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

log = logging.getLogger("fhir_server.cli")


def check_store(settings: Settings) -> None:
    """Open and close the store once before the workers start, so that an unreachable database or a
    bad URL ends the command with one line (main() prints it) instead of a stack trace per worker.
    Opened as the server opens it (app.open_server_store: with its summarizers)."""
    from fhir_server.app import open_server_store
    from fhir_server.storage.base import StoreUnavailable

    try:
        store = open_server_store(settings)
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
    token = commands.add_parser("demo-token", help="print a 5-minute access token for a demo account")
    token.add_argument("who", choices=["parent", "nurse", "manager", "auditor", "emr"])
    token.add_argument("--json", action="store_true", help="the whole token response, not just the token")
    token.set_defaults(run=_demo_token)
    _add_auth_commands(commands)
    from fhir_server.cli_forecast import add_forecast_commands
    from fhir_server.cli_import import add_import_command
    from fhir_server.cli_maintenance import add_maintenance_commands

    add_import_command(commands)
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
