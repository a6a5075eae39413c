"""Configuration from the environment (prefix FHIR_), with defaults that make `make run` work."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FHIR_", frozen=True)

    database_url: str = "sqlite:///var/fhir.sqlite3"
    """`sqlite:///path` (relative to the working directory), `sqlite:////abs/path`, or `memory://`."""

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

    explain_search: bool = False
    """Honour the debug header `X-Debug-Explain: true` on searches: the store then logs (logger
    "fhir_server.explain") the compiled SQL and its query plan, never the searched values. Off in
    production unless a slow query is being diagnosed."""

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
