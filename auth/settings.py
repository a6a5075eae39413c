"""Authorization server configuration from the environment (prefix AUTH_)."""

from __future__ import annotations

from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class AuthSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_", frozen=True)

    database_url: str = "sqlite:///var/auth.sqlite3"
    """`sqlite:///path` or `memory://` (tests). Its own file: credentials never share the FHIR database."""

    issuer: str = "http://127.0.0.1:8080"
    """This server's public origin: the `iss` of its tokens; endpoints live under {issuer}/auth/.
    `fhir-server serve` defaults it to the address it listens on."""

    audience: str | None = None
    """The FHIR base URL tokens are for (`aud`); default {issuer}/fhir."""

    signing_alg: Literal["ES256", "RS256"] = "RS256"
    """RS256 by default: verifying is what every FHIR request pays, and an RSA signature verifies ~3x faster
    than ES256 here (docs/auth.md); signing, paid once per token, is the slower side."""
    access_token_seconds: int = 300
    refresh_token_seconds: int = 30 * 24 * 3600
    code_seconds: int = 60
    login_seconds: int = 600
    """How long a signed-in browser has to give consent."""
    key_rotation_seconds: int = 30 * 24 * 3600
    assertion_max_seconds: int = 300
    """SMART Backend Services: a client assertion expires no more than 5 minutes after it is made."""
    jwks_cache_seconds: int = 300
    """How long a client's JWKS fetched from its jwks_uri is reused."""

    trusted_issuer: str | None = None
    """The resource server accepts tokens from this issuer instead of ours (an existing national identity
    provider); with it, `trusted_jwks_uri` says where its keys are."""
    trusted_jwks_uri: str | None = None
    verify_leeway_seconds: int = 30

    token_rate_per_minute: float = 120
    token_burst: int = 30
    login_rate_per_minute: float = 10
    login_burst: int = 5

    @property
    def fhir_audience(self) -> str:
        return self.audience or f"{self.issuer.rstrip('/')}/fhir"
