"""Configuration from the environment (prefix FHIR_), with defaults that make `make run` work."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FHIR_", frozen=True)

    database_url: str = "sqlite:///var/fhir.sqlite3"
    """`sqlite:///path` (relative to the working directory), `sqlite:////abs/path`, `memory://`, or a
    MongoDB connection string `mongodb://h1,h2,h3/fhir?replicaSet=rs0` (options in the URL win)."""

    mongodb_timeout_ms: int = 5000
    """MongoDB server selection timeout: how long a request waits for a usable primary before a 503
    (a replica set election takes ~10 s; set higher to ride through one). The URL's
    `serverSelectionTimeoutMS` wins over this."""

    base_path: str = "/fhir"
    """Where the FHIR API is mounted."""

    public_base_url: str | None = None
    """Absolute base used in links and Location headers; default: taken from each request."""

    default_timezone: str = "Asia/Ho_Chi_Minh"
    """Zone for dates written without one (search ranges)."""

    offload_writes: bool = False
    """Run writes in the threadpool instead of on the event loop. Off: a write takes ~0.6 ms of CPU and the
    hop costs ~30 % of create throughput (docs/performance.md). `serve --workers N>1` turns it on, because
    then a write may wait for another process's lock and must not stall this worker's reads."""

    offload_reads: bool = False
    """Run reads, searches and history in the threadpool. Off for SQLite (a lookup takes microseconds);
    `serve` turns it on for a `mongodb://` URL, where each read waits on the network."""

    explain_search: bool = False
    """Honour the debug header `X-Debug-Explain: true` on searches: the store then logs (logger
    "fhir_server.explain") the compiled SQL and its query plan, never the searched values. Off in
    production unless a slow query is being diagnosed."""

    export_dir: str | None = None
    """Where $export jobs (jobs.sqlite3) and their NDJSON files live; jobs survive a restart.
    Default: `exports/` beside the SQLite database file, or `var/exports` for other backends."""

    export_expiry_seconds: float = 3600.0
    """How long a finished export's files are kept (then removed, and the status URL answers 404)."""

    export_max_lines: int = 100_000
    """Resources per NDJSON file; a type with more is split into several files."""

    auth_required: bool = True
    """Every FHIR request needs a valid bearer token (SMART scopes enforced). `false` is for development
    only: requests without a token are then served unrestricted, and start-up logs a loud warning."""

    audit: bool = True
    """Record an AuditEvent for every FHIR request (docs/auth.md). Off only for tests and benchmarks."""

    profiles_enforced: str = "all"
    """Resource types whose national profile (profiles/) every write must meet, comma-separated
    (`Patient,Immunization`), `all` (every type with a national profile) or `none`. `$validate` checks any
    profile whatever this says."""

    max_body_bytes: int = 10 * 1024 * 1024
    max_bundle_bytes: int = 64 * 1024 * 1024
    """A batch or transaction Bundle may be larger than one resource; bulk loads use `fhir-server import`."""
    max_bundle_entries: int = 1000
    default_count: int = 20
    max_count: int = 1000
    history_count: int = 50
    log_level: str = "info"
    forecast_schedule: str = "vn"
    """The immunization schedule of `$immds-forecast` and the stored recommendations: a folder of
    schedules/ (`vn`: Vietnam's EPI and service vaccines; `cdc`: CDC's, used to test the engine)."""

    forecast_upkeep: bool = True
    """Refresh a child's stored ImmunizationRecommendation after every committed Patient or Immunization
    write (~2-3 ms more per write). Off: run `fhir-server forecast refresh --all` on a schedule instead."""


class MessagingSettings(BaseSettings):
    """Reminders and SMS delivery (prefix FHIR_SMS_; docs/appointments.md)."""

    model_config = SettingsConfigDict(env_prefix="FHIR_SMS_", frozen=True)

    gateway: str = "file"
    """`file` (development: one JSON line per message in `file_path`) or `http` (a generic SMS gateway)."""
    file_path: str = "var/sms-sent.jsonl"
    url: str | None = None
    """http gateway: where messages are POSTed."""
    auth_header: str | None = None
    """http gateway: `Name: value`, e.g. `Authorization: Bearer abc` (never logged)."""
    template: str = '{"to": "{phone}", "text": "{text}", "id": "{key}"}'
    """http gateway: the JSON body; {phone}, {text}, {key} are replaced by JSON-escaped values."""
    timeout_seconds: float = 10.0
    max_attempts: int = 5
    """after this many failed attempts a message is dead-lettered (Communication.status = stopped)."""
    backoff_seconds: float = 60.0
    """wait before retry n: backoff_seconds * 2**(n-1)."""
    lease_seconds: float = 300.0
    """a message claimed for sending and not recorded within this time (crash) is sent again, same key."""
    quiet_start: str = "21:00"
    quiet_end: str = "07:00"
    """no SMS between quiet_start and quiet_end, local time (FHIR_DEFAULT_TIMEZONE)."""
    due_within_days: int = 7
    overdue_repeat_days: int = 30
    """an overdue dose is reminded again after this many days while it stays overdue."""
    daily_at: str | None = None
    """e.g. `06:00`: the server runs the reminder job once a local day at or after this time and sends
    waiting messages every `dispatch_every_seconds` (services/reminder_schedule.py); unset: use cron."""
    dispatch_every_seconds: float = 60.0
