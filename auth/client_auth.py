"""private_key_jwt client authentication (RFC 7523) as SMART Backend Services asks: RS384 or ES384 only
(stock authlib/joserfc accept neither by default), `kid` looked up in the client's JWKS (registered inline
or fetched from its jwks_uri), audience = our token endpoint, a lifetime of at most 5 minutes, and every
`jti` used once."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
from authlib.oauth2.rfc6749.errors import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from auth.models import Client
from auth.store.base import AuthStore

ASSERTION_ALGORITHMS = ["RS384", "ES384"]


class JwksCache:
    """Clients' JWKS fetched from their jwks_uri, reused for a while (fetches happen off the event loop)."""

    def __init__(self, seconds: int, timeout: float = 5.0) -> None:
        self._seconds = seconds
        self._timeout = timeout
        self._cache: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def get(self, uri: str) -> dict[str, Any]:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(uri)
        if cached and now - cached[0] < self._seconds:
            return cached[1]
        try:
            response = httpx.get(uri, timeout=self._timeout, follow_redirects=False)
            response.raise_for_status()
            jwks: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise InvalidClientError(description="The client's JWKS could not be fetched.") from error
        with self._lock:
            self._cache[uri] = (now, jwks)
        return jwks


class PrivateKeyJwt(JWTBearerClientAssertion):  # type: ignore[misc]
    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, token_url: str, store: AuthStore, jwks: JwksCache, max_seconds: int) -> None:
        super().__init__(validate_jti=True, leeway=30)
        self._token_url = token_url
        self._store = store
        self._jwks = jwks
        self._max_seconds = max_seconds

    def get_audiences(self) -> list[str]:
        return [self._token_url]

    def resolve_client_public_key(self, client: Client) -> KeySet:
        if client.jwks:
            data = client.jwks
        elif client.jwks_uri:
            data = self._jwks.get(client.jwks_uri)
        else:
            raise InvalidClientError(description="The client has no registered public keys.")
        try:
            return KeySet.import_key_set(data)  # type: ignore[arg-type]
        except (JoseError, ValueError, KeyError, TypeError) as error:
            raise InvalidClientError(description="The client's JWKS is not usable.") from error

    def process_assertion_claims(self, assertion: str, resolve_key: Any) -> dict[str, Any]:
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=ASSERTION_ALGORITHMS)
        except (JoseError, ValueError) as error:  # bad signature, unknown kid, algorithm not allowed
            raise InvalidClientError(description="The client assertion is not valid.") from error
        exp = token.claims.get("exp")
        if isinstance(exp, int | float) and exp > time.time() + self._max_seconds + self.leeway:
            raise InvalidClientError(description="The client assertion lives longer than 5 minutes.")
        self.verify_claims(token.claims)
        return token.claims

    def validate_jti(self, claims: dict[str, Any], jti: str) -> bool:
        expires_at = int(claims["exp"]) + self.leeway
        return self._store.remember_jti(f"{claims['sub']}:{jti}", expires_at, int(time.time()))
