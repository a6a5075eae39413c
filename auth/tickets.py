"""A signed-in browser between the sign-in and consent forms, without a server session: a short-lived JWT
signed with our key, for our authorize endpoint only, bound to the exact authorization request (so a
ticket cannot approve another client, redirect, scope or PKCE challenge)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from joserfc import jwt
from joserfc.errors import JoseError

from auth.keys import SIGNING_ALGORITHMS, KeyRing
from auth.passwords import digest
from auth.settings import AuthSettings
from auth.tokens import TokenIssuer
from auth.verify import TokenError, token_header


class LoginTickets:
    def __init__(
        self,
        settings: AuthSettings,
        keys: KeyRing,
        issuer: TokenIssuer,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._audience = f"{settings.issuer}/auth/authorize"
        self._issuer_name = settings.issuer
        self._seconds = settings.login_seconds
        self._keys = keys
        self._issuer = issuer
        self._clock = clock

    def issue(self, user_id: str, params: Mapping[str, str]) -> str:
        now = int(self._clock())
        claims = {
            "iss": self._issuer_name,
            "aud": self._audience,
            "sub": user_id,
            "iat": now,
            "exp": now + self._seconds,
            "bind": _binding(params),
        }
        return self._issuer.sign(claims, typ="login+jwt")

    def verify(self, ticket: str, params: Mapping[str, str]) -> str | None:
        """The signed-in user's id, or None for a forged, expired or foreign ticket."""
        try:
            keys = self._keys.key_set_for(token_header(ticket).get("kid"))
            token = jwt.decode(ticket, keys, algorithms=SIGNING_ALGORITHMS)
        except (JoseError, ValueError, TokenError):
            return None
        claims = token.claims
        valid = (
            token.header.get("typ") == "login+jwt"
            and claims.get("iss") == self._issuer_name
            and claims.get("aud") == self._audience
            and isinstance(claims.get("exp"), int)
            and claims["exp"] > self._clock()
            and claims.get("bind") == _binding(params)
            and isinstance(claims.get("sub"), str)
        )
        return str(claims["sub"]) if valid else None


def _binding(params: Mapping[str, str]) -> str:
    return digest("\n".join(f"{k}={params[k]}" for k in sorted(params)))
