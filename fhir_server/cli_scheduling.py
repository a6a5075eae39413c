"""`fhir-server slots generate`, `reminders run`, `reminders send`, `recall` (docs/appointments.md)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger("fhir_server.cli")


def _open() -> Any:
    from fhir_server.app import build_services, scheduling_for
    from fhir_server.logs import configure
    from fhir_server.settings import Settings

    configure("info")
    settings = Settings()
    services = build_services(settings)
    return services, scheduling_for(settings, services)


def _today(args: argparse.Namespace) -> date:
    return date.fromisoformat(args.date) if args.date else datetime.now().date()


def _generate(args: argparse.Namespace) -> int:
    from fhir_server.model.outcome import FhirError
    from fhir_server.services.slot_generator import WeeklyTemplate

    try:
        template = WeeklyTemplate.from_json(json.loads(Path(args.template).read_text()))
    except (OSError, ValueError) as error:
        print(f"slots generate: {error}", file=sys.stderr)
        return 2
    services, scheduling = _open()
    try:
        result = scheduling.slots.generate(
            args.location,
            template,
            date.fromisoformat(args.from_date),
            date.fromisoformat(args.to_date),
            extra_closed=frozenset(date.fromisoformat(d) for d in args.closed),
        )
    except FhirError as error:
        print(f"slots generate: {error}", file=sys.stderr)
        return 2
    finally:
        services.store.close()
    shown = {
        "schedule": result.schedule_id,
        "created": result.created,
        "existing": result.existing,
        "holidays_skipped": [d.isoformat() for d in result.holidays_skipped],
    }
    print(json.dumps(shown))
    return 0


def _reminders_run(args: argparse.Namespace) -> int:
    from fhir_server.settings import MessagingSettings

    services, scheduling = _open()
    try:
        report = scheduling.reminder_job(MessagingSettings()).run(_today(args))
    finally:
        services.store.close()
    print(
        json.dumps(
            {
                "created": report.created,
                "already_sent": report.already_sent,
                "opted_out": report.opted_out,
                "no_phone": report.no_phone,
                "kinds": report.kinds,
            }
        )
    )
    return 0


def gateway_for(messaging: Any) -> Any:
    from fhir_server.services.sms_gateways import gateway_for as configured

    return configured(messaging)


def _reminders_send(args: argparse.Namespace) -> int:
    from fhir_server.settings import MessagingSettings

    messaging = MessagingSettings()
    try:
        gateway = gateway_for(messaging)
    except ValueError as error:
        print(f"reminders send: {error}", file=sys.stderr)
        return 2
    services, scheduling = _open()
    try:
        report = scheduling.dispatcher(gateway, messaging).dispatch(args.limit)
    finally:
        services.store.close()
    shown = {
        "sent": report.sent,
        "retrying": report.retrying,
        "dead": report.dead,
        "not_done": report.not_done,
    }
    print(json.dumps({**shown, "quiet_hours": report.quiet}))
    return 0


def _recall(args: argparse.Namespace) -> int:
    from fhir_server.services.recall import to_csv

    services, scheduling = _open()
    try:
        text = to_csv(scheduling.recall.overdue(args.commune, _today(args)))
    finally:
        services.store.close()
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def add_scheduling_commands(commands: Any) -> None:
    slots = commands.add_parser("slots", help="vaccination sessions").add_subparsers(
        dest="action", required=True
    )
    generate = slots.add_parser("generate", help="Schedule + Slots of a Location from a weekly template")
    generate.add_argument("--location", required=True, help="Location id")
    generate.add_argument("--template", required=True, help="JSON file (docs/appointments.md)")
    generate.add_argument("--from", dest="from_date", required=True, help="first day, YYYY-MM-DD")
    generate.add_argument("--to", dest="to_date", required=True, help="last day, YYYY-MM-DD")
    generate.add_argument("--closed", action="append", default=[], help="extra closed day; repeatable")
    generate.set_defaults(run=_generate)

    reminders = commands.add_parser("reminders", help="SMS reminders").add_subparsers(
        dest="action", required=True
    )
    run = reminders.add_parser("run", help="make the day's reminders (idempotent)")
    run.add_argument("--date", help="the day of the run, YYYY-MM-DD (default today)")
    run.set_defaults(run=_reminders_run)
    send = reminders.add_parser("send", help="deliver waiting messages through the gateway (FHIR_SMS_...)")
    send.add_argument("--limit", type=int, default=1000)
    send.set_defaults(run=_reminders_send)

    recall = commands.add_parser("recall", help="CSV of a commune's children overdue for a dose")
    recall.add_argument("--commune", required=True, help="the commune as written in address.city")
    recall.add_argument("--date", help="YYYY-MM-DD (default today)")
    recall.add_argument("--output", help="file (default standard output)")
    recall.set_defaults(run=_recall)
