"""Issues what the token endpoint returns: a short-lived signed JWT access token (claims the resource server
reads), an opaque rotating refresh token, and an OpenID id_token when `openid` was granted."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from joserfc import jwt

from auth.keys import KeyRing
from auth.models import Client, RefreshToken, User
from auth.passwords import digest
from auth.scopes import ScopeSet
from auth.settings import AuthSettings
from auth.store.base import AuthStore

_PURGE_SECONDS = 600


class TokenIssuer:
    def __init__(
        self, settings: AuthSettings, keys: KeyRing, store: AuthStore, clock: Callable[[], float] = time.time
    ) -> None:
        self._settings = settings
        self._keys = keys
        self._store = store
        self._clock = clock
        self._purged = 0

    def issue(
        self,
        *,
        client: Client,
        user: User | None,
        scope: str,
        patient: str | None = None,
        family: str | None = None,
        refresh: bool = False,
        nonce: str | None = None,
    ) -> dict[str, Any]:
        now = int(self._clock())
        if now - self._purged > _PURGE_SECONDS:  # issuing is what makes the tables grow
            self._store.purge(now)
            self._purged = now
        expires_in = self._settings.access_token_seconds
        response: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": self.access_token(client, user, scope, patient, now),
            "expires_in": expires_in,
            "scope": scope,
        }
        granted = ScopeSet.parse(scope)
        if patient:
            response["patient"] = patient
        if user and granted.has("openid"):
            response["id_token"] = self._id_token(client, user, granted, nonce, now)
        if refresh and user is not None:
            value = secrets.token_urlsafe(32)
            self._store.add_refresh(
                RefreshToken(
                    token_hash=digest(value),
                    family=family or secrets.token_urlsafe(16),
                    client_id=client.client_id,
                    user_id=user.user_id,
                    scope=scope,
                    expires_at=now + self._settings.refresh_token_seconds,
                    patient=patient,
                )
            )
            response["refresh_token"] = value
        return response

    def access_token(
        self, client: Client, user: User | None, scope: str, patient: str | None, now: int
    ) -> str:
        claims: dict[str, Any] = {
            "iss": self._settings.issuer,
            "aud": self._settings.fhir_audience,
            "sub": user.user_id if user else client.client_id,
            "client_id": client.client_id,
            "scope": scope,
            "iat": now,
            "nbf": now,
            "exp": now + self._settings.access_token_seconds,
            "jti": secrets.token_urlsafe(16),
        }
        claims.update(_subject_claims(client, user))
        if patient:
            claims["patient"] = patient
        return self.sign(claims)

    def sign(self, claims: dict[str, Any], typ: str = "at+jwt") -> str:
        kid, alg, key = self._keys.signing_key()
        return jwt.encode({"alg": alg, "kid": kid, "typ": typ}, claims, key, algorithms=[alg])

    def _id_token(self, client: Client, user: User, granted: ScopeSet, nonce: str | None, now: int) -> str:
        claims: dict[str, Any] = {
            "iss": self._settings.issuer,
            "sub": user.user_id,
            "aud": client.client_id,
            "iat": now,
            "exp": now + self._settings.access_token_seconds,
        }
        if nonce:
            claims["nonce"] = nonce
        if granted.has("fhirUser") and user.fhir_user:
            claims["fhirUser"] = f"{self._settings.fhir_audience}/{user.fhir_user}"
        return self.sign(claims, typ="JWT")


def _subject_claims(client: Client, user: User | None) -> dict[str, Any]:
    """Who acts: what the resource server needs to confine reads and writes (DESIGN.md §8)."""
    if user is None:
        claims: dict[str, Any] = {"role": "system"}
        if client.organization:
            claims["organization"] = f"Organization/{client.organization}"
        return claims
    claims = {"role": str(user.role)}
    if user.fhir_user:
        claims["fhirUser"] = user.fhir_user
    if user.practitioner_role:
        claims["practitioner_role"] = f"PractitionerRole/{user.practitioner_role}"
    if user.organization:
        claims["organization"] = f"Organization/{user.organization}"
    if user.area:
        claims["area"] = user.area
    return claims
