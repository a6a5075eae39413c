"""Access-token verification for the resource server: signature against a JWKS (ours in-process, or another
issuer's fetched by URL), an algorithm allow-list (never `none`, never HMAC), kid lookup, iss, aud,
exp/nbf with a small leeway. Returns a typed Principal; raises TokenError (-> 401 invalid_token)."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from auth.scopes import ScopeError, ScopeSet

DEFAULT_ALGORITHMS = ("ES256", "RS256", "ES384", "RS384", "PS256")
_ACCEPTED_TYP = frozenset({None, "at+jwt", "JWT", "jwt", "application/at+jwt"})  # not our login tickets
_CACHE_SIZE = 4096


class TokenError(Exception):
    """The bearer token is not acceptable; `str(error)` is safe to send as error_description."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling and what they hold, as the access token says."""

    subject: str
    """The user's id at the authorization server, or the client id for a backend system."""
    client_id: str
    scopes: ScopeSet
    issuer: str
    token_id: str | None
    expires_at: int
    role: str | None = None
    """parent, health_worker, manager, auditor, admin, or "system" (backend services)."""
    patient: str | None = None
    """The launch patient (Patient id): `patient/` scopes are confined to this compartment."""
    fhir_user: str | None = None
    """RelatedPerson/<id> or Practitioner/<id>."""
    organization: str | None = None
    """Organization/<id> the caller records for (health worker's or backend system's)."""
    practitioner_role: str | None = None
    area: str | None = None
    claims: Mapping[str, Any] = field(default_factory=dict, repr=False)


class JwksSource(Protocol):
    def key_set(self) -> KeySet: ...
    def refresh(self) -> bool:
        """Fetch again (a key we do not know may be new); False when it did not or could not."""
        ...


class LocalJwks:
    """The in-process authorization server's keys (no HTTP); `reload` asks it to reread its store, where
    another server process may just have put a new key."""

    def __init__(self, key_set: Callable[[], KeySet], reload: Callable[[], bool] | None = None) -> None:
        self._key_set = key_set
        self._reload = reload

    def key_set(self) -> KeySet:
        return self._key_set()

    def refresh(self) -> bool:
        return self._reload() if self._reload else False


class RemoteJwks:
    """Another issuer's JWKS by URL, cached; refetched for an unknown kid at most every `min_refresh` s."""

    def __init__(
        self, url: str, cache_seconds: float = 300, min_refresh: float = 30, timeout: float = 5
    ) -> None:
        self._url = url
        self._cache_seconds = cache_seconds
        self._min_refresh = min_refresh
        self._timeout = timeout
        self._keys: KeySet | None = None
        self._fetched = -1e18
        self._lock = threading.Lock()

    def key_set(self) -> KeySet:
        if self._keys is None or time.monotonic() - self._fetched > self._cache_seconds:
            self._fetch()
        if self._keys is None:
            raise TokenError("the issuer's keys are unavailable")
        return self._keys

    def refresh(self) -> bool:
        if time.monotonic() - self._fetched < self._min_refresh:
            return False
        return self._fetch()

    def _fetch(self) -> bool:
        with self._lock:
            self._fetched = time.monotonic()
            try:
                response = httpx.get(self._url, timeout=self._timeout)
                response.raise_for_status()
                self._keys = KeySet.import_key_set(response.json())
            except (httpx.HTTPError, ValueError, JoseError):
                return False  # keep the keys we had
            return True


class TokenVerifier:
    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        jwks: JwksSource,
        algorithms: Collection[str] = DEFAULT_ALGORITHMS,
        leeway: int = 30,
        clock: Callable[[], float] = time.time,
        revoked: Callable[[str], bool] | None = None,
    ) -> None:
        """`revoked(jti)`: the issuer's revocation list, consulted on every request (cached tokens too),
        so a revoked token stops working at once rather than when it expires; None for an issuer whose
        list we cannot read (a trusted external one)."""
        if not algorithms or any(a == "none" or a.startswith("HS") for a in algorithms):
            raise ValueError("only asymmetric signature algorithms may verify access tokens")
        self._issuer = issuer
        self._audience = audience.rstrip("/")
        self._jwks = jwks
        self._algorithms = list(algorithms)
        self._leeway = leeway
        self._clock = clock
        self._cache: dict[str, Principal] = {}
        self._revoked = revoked

    def verify(self, token: str) -> Principal:
        now = self._clock()
        cached = self._cache.get(token)
        if cached is not None and cached.expires_at + self._leeway <= now:
            self._cache.pop(token, None)
            cached = None
        principal = cached or self._verify(token, now)
        if self._revoked is not None and principal.token_id and self._revoked(principal.token_id):
            raise TokenError("token revoked")
        if cached is None:
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[token] = principal
        return principal

    def _verify(self, token: str, now: float) -> Principal:
        if token.count(".") != 2:
            raise TokenError("not a signed JWT")
        header = token_header(token)
        if header.get("alg") not in self._algorithms:
            raise TokenError("signature algorithm not accepted")
        if header.get("typ") not in _ACCEPTED_TYP:
            raise TokenError("not an access token")
        claims = self._decode(token, header)
        return _principal(self._check(claims, now))

    def _decode(self, token: str, header: Mapping[str, Any]) -> dict[str, Any]:
        keys = self._jwks.key_set()
        if header.get("kid") not in {k.kid for k in keys.keys} and self._jwks.refresh():
            keys = self._jwks.key_set()
        try:
            return jwt.decode(token, keys, algorithms=self._algorithms).claims
        except (JoseError, ValueError) as error:
            raise TokenError("invalid signature or unknown key") from error

    def _check(self, claims: dict[str, Any], now: float) -> dict[str, Any]:
        if claims.get("iss") != self._issuer:
            raise TokenError("wrong issuer")
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self._audience not in {a.rstrip("/") for a in audiences if isinstance(a, str)}:
            raise TokenError("wrong audience")
        exp, nbf = claims.get("exp"), claims.get("nbf")
        if not isinstance(exp, int | float) or isinstance(exp, bool):
            raise TokenError("no expiry")
        if exp + self._leeway <= now:
            raise TokenError("token expired")
        if isinstance(nbf, int | float) and nbf - self._leeway > now:
            raise TokenError("token not yet valid")
        for name in ("sub", "scope"):
            if not isinstance(claims.get(name), str):
                raise TokenError(f"no {name}")
        return claims


def token_header(token: str) -> dict[str, Any]:
    """The protected header, read before any key is chosen (decoded by hand: the cheap part first)."""
    encoded = token.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (ValueError, UnicodeDecodeError) as error:
        raise TokenError("malformed token") from error
    if not isinstance(header, dict):
        raise TokenError("malformed token")
    return header


def _principal(claims: dict[str, Any]) -> Principal:
    try:
        scopes = ScopeSet.parse(claims["scope"])
    except ScopeError as error:
        raise TokenError("malformed scope") from error
    client_id = claims.get("client_id") or claims.get("azp") or claims["sub"]
    return Principal(
        subject=claims["sub"],
        client_id=str(client_id),
        scopes=scopes,
        issuer=claims["iss"],
        token_id=_text(claims.get("jti")),
        expires_at=int(claims["exp"]),
        role=_text(claims.get("role")),
        patient=_text(claims.get("patient")),
        fhir_user=_text(claims.get("fhirUser")),
        organization=_text(claims.get("organization")),
        practitioner_role=_text(claims.get("practitioner_role")),
        area=_text(claims.get("area")),
        claims=claims,
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def www_authenticate(
    realm: str, error: str | None = None, description: str | None = None, scope: str | None = None
) -> str:
    """The `WWW-Authenticate` value of a 401 (no token: no error; a bad token: "invalid_token") or a 403
    ("insufficient_scope", with the scope that would do), per RFC 6750 §3."""
    parts = [f'realm="{_quoted(realm)}"']
    if error:
        parts.append(f'error="{_quoted(error)}"')
    if description:
        parts.append(f'error_description="{_quoted(description)}"')
    if scope:
        parts.append(f'scope="{_quoted(scope)}"')
    return "Bearer " + ", ".join(parts)


def _quoted(value: str) -> str:
    return "".join(c for c in value if c.isprintable() and c not in '"\\')
