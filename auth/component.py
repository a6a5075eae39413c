"""Assembles the authorization server from settings: store -> keys -> issuer -> authlib server."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from auth.keys import KeyRing
from auth.ratelimit import RateLimiter
from auth.server import SmartServer
from auth.settings import AuthSettings
from auth.store.base import AuthStore
from auth.store.factory import open_auth_store
from auth.tickets import LoginTickets
from auth.tokens import TokenIssuer
from auth.verify import LocalJwks, RemoteJwks, TokenVerifier


@dataclass(frozen=True)
class AuthComponents:
    settings: AuthSettings
    store: AuthStore
    keys: KeyRing
    issuer: TokenIssuer
    server: SmartServer
    tickets: LoginTickets
    token_limiter: RateLimiter
    login_limiter: RateLimiter


def build_auth(settings: AuthSettings, store: AuthStore | None = None) -> AuthComponents:
    # authlib logs issued tokens and client ids at DEBUG: never let a debug run write credentials to logs
    logging.getLogger("authlib").setLevel(logging.WARNING)
    store = store or open_auth_store(settings.database_url)
    keys = KeyRing(store, settings.signing_alg, settings.key_rotation_seconds, settings.access_token_seconds)
    issuer = TokenIssuer(settings, keys, store)
    return AuthComponents(
        settings=settings,
        store=store,
        keys=keys,
        issuer=issuer,
        server=SmartServer(settings, store, keys, issuer),
        tickets=LoginTickets(settings, keys, issuer),
        # Buckets in the store: every worker process counts against the same limits.
        token_limiter=RateLimiter(
            settings.token_rate_per_minute, settings.token_burst, buckets=store, name="token"
        ),
        login_limiter=RateLimiter(
            settings.login_rate_per_minute, settings.login_burst, buckets=store, name="login"
        ),
    )


def build_verifier(settings: AuthSettings, auth: AuthComponents | None = None) -> TokenVerifier:
    """The access-token verifier the FHIR resource server uses: our own keys in-process by default, or the
    trusted issuer's JWKS by URL when AUTH_TRUSTED_ISSUER is set."""
    if settings.trusted_issuer:
        if not settings.trusted_jwks_uri:
            raise ValueError("AUTH_TRUSTED_ISSUER needs AUTH_TRUSTED_JWKS_URI")
        return TokenVerifier(
            issuer=settings.trusted_issuer,
            audience=settings.fhir_audience,
            jwks=RemoteJwks(settings.trusted_jwks_uri),
            leeway=settings.verify_leeway_seconds,
        )
    if auth is None:
        raise ValueError("without a trusted issuer the verifier reads the in-process server's keys")
    return TokenVerifier(
        issuer=settings.issuer,
        audience=settings.fhir_audience,
        jwks=LocalJwks(auth.keys.key_set, auth.keys.reload),
        leeway=settings.verify_leeway_seconds,
        revoked=auth.store.access_revoked,  # one indexed lookup per request: revocation takes effect now
    )
