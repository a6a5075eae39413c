"""Token introspection (RFC 7662) and revocation (RFC 7009). A client may introspect or revoke only the
tokens issued to it. Access tokens are JWTs (checked by signature and the revocation list); refresh tokens
are looked up by their digest."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from joserfc import jwt
from joserfc.errors import JoseError

from auth.grants import APP_AUTH_METHODS
from auth.models import Client, RefreshToken
from auth.passwords import digest


@dataclass(frozen=True)
class _Access:
    claims: dict[str, Any]
    revoked: bool

    def check_client(self, client: Client) -> bool:
        return bool(self.claims.get("client_id") == client.client_id)

    def is_expired(self) -> bool:
        return bool(self.claims.get("exp", 0) <= time.time())

    def is_revoked(self) -> bool:
        return self.revoked


@dataclass(frozen=True)
class _Refresh:
    token: RefreshToken

    def check_client(self, client: Client) -> bool:
        return self.token.client_id == client.client_id

    def is_expired(self) -> bool:
        return self.token.expires_at <= time.time()

    def is_revoked(self) -> bool:
        return self.token.revoked or self.token.used


class _TokenLookup:
    server: Any
    CLIENT_AUTH_METHODS = APP_AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> _Access | _Refresh | None:
        if token_string.count(".") == 2:
            return self._access(token_string)
        found = self.server.store.refresh(digest(token_string))
        return _Refresh(found) if found is not None else None

    def _access(self, value: str) -> _Access | None:
        try:
            token = jwt.decode(
                value, self.server.keys.key_set(), algorithms=[self.server.settings.signing_alg]
            )
        except (JoseError, ValueError):
            return None  # not ours, or tampered
        claims = token.claims
        if claims.get("iss") != self.server.settings.issuer or not isinstance(claims.get("jti"), str):
            return None
        return _Access(claims, self.server.store.access_revoked(claims["jti"]))


class Introspection(_TokenLookup, IntrospectionEndpoint):  # type: ignore[misc]
    def check_permission(self, token: _Access | _Refresh, client: Client, request: Any) -> bool:
        return token.check_client(client)

    def introspect_token(self, token: _Access | _Refresh) -> dict[str, Any]:
        if isinstance(token, _Access):
            keep = ("scope", "client_id", "sub", "aud", "iss", "exp", "iat", "jti", "patient", "fhirUser")
            return {
                "active": True,
                "token_type": "Bearer",
                **{k: token.claims[k] for k in keep if k in token.claims},
            }
        refresh = token.token
        return {
            "active": True,
            "token_type": "refresh_token",
            "scope": refresh.scope,
            "client_id": refresh.client_id,
            "sub": refresh.user_id,
            "exp": refresh.expires_at,
            "iss": self.server.settings.issuer,
        }


class Revocation(_TokenLookup, RevocationEndpoint):  # type: ignore[misc]
    def revoke_token(self, token: _Access | _Refresh, request: Any) -> None:
        if isinstance(token, _Access):
            self.server.store.revoke_access(token.claims["jti"], int(token.claims.get("exp", 0)))
        else:
            self.server.store.revoke_family(token.token.family)
