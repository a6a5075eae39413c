"""The server's signing keys: one current key signs; keys rotate on a schedule; a retired key's public half
stays in the JWKS until every token it signed has expired, so rotation never breaks tokens in flight."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from joserfc.jwk import ECKey, KeySet, RSAKey

from auth.models import SigningKey
from auth.store.base import AuthStore

SIGNING_ALGORITHMS = ["RS256", "ES256"]  # what our own keys may sign with (AUTH_SIGNING_ALG)
_RELOAD_SECONDS = 30  # another server process may have rotated: look again this often
_FORCED_RELOAD_SECONDS = 2  # an unknown kid reloads at once, but a flood of made-up kids reads rarely


class KeyRing:
    def __init__(
        self,
        store: AuthStore,
        alg: str,
        rotation_seconds: int,
        token_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._alg = alg
        self._rotation = rotation_seconds
        self._token_seconds = token_seconds
        self._clock = clock
        self._keys: list[SigningKey] = []
        self._loaded_at = -1e18
        self._imported: dict[str, ECKey | RSAKey] = {}  # kid -> key: importing costs more than signing
        self._public: tuple[tuple[str, ...], KeySet] | None = None
        self._forced_at = -1e18

    def _live(self) -> list[SigningKey]:
        now = self._clock()
        if now - self._loaded_at > _RELOAD_SECONDS:
            self._keys = self._store.signing_keys()
            self._loaded_at = now
        return [k for k in self._keys if k.drop_at > now]

    def signing_key(self) -> tuple[str, str, ECKey | RSAKey]:
        """(kid, alg, private key) of the current key, making a new one when the last has retired."""
        now = int(self._clock())
        usable = [k for k in self._live() if k.retire_at > now and k.alg == self._alg]
        if not usable:
            usable = [self._generate(now)]
        key = usable[-1]
        return key.kid, key.alg, self._key(key)

    def rotate(self) -> str:
        """Retires the current key now (its tokens stay verifiable); returns the new key's kid."""
        return self._generate(int(self._clock())).kid

    def public_jwks(self) -> dict[str, Any]:
        self.signing_key()  # the key that will sign is published before its first token
        keys = []
        for stored in self._live():
            public = self._key(stored).as_dict(private=False)
            keys.append({**public, "kid": stored.kid, "alg": stored.alg, "use": "sig"})
        return {"keys": keys}

    def key_set(self) -> KeySet:
        """The published keys as a joserfc KeySet (rebuilt only when the set of keys changes)."""
        kids = tuple(k.kid for k in self._live())
        if self._public is None or self._public[0] != kids:
            self._public = (kids, KeySet.import_key_set(self.public_jwks()))  # type: ignore[arg-type]
        return self._public[1]

    def reload(self) -> bool:
        """Reads the keys again on the next use (another process may have just made one); at most every
        2 s. True when it will."""
        now = self._clock()
        if now - self._forced_at < _FORCED_RELOAD_SECONDS:
            return False
        self._forced_at = now
        self._loaded_at = -1e18
        return True

    def key_set_for(self, kid: object) -> KeySet:
        """The published keys, reloaded first when `kid` (from a token's header) is not among them."""
        if kid not in {k.kid for k in self._live()}:
            self.reload()
        return self.key_set()

    def _key(self, stored: SigningKey) -> ECKey | RSAKey:
        key = self._imported.get(stored.kid)
        if key is None:
            key = self._imported[stored.kid] = _import(stored.private_jwk)
        return key

    def _generate(self, now: int) -> SigningKey:
        private: ECKey | RSAKey = (
            ECKey.generate_key("P-256", private=True)
            if self._alg == "ES256"
            else RSAKey.generate_key(2048, private=True)
        )
        kid = private.thumbprint()
        record = SigningKey(
            kid=kid,
            alg=self._alg,
            private_jwk={**private.as_dict(private=True), "kid": kid},
            created_at=now,
            retire_at=now + self._rotation,
            drop_at=now + self._rotation + self._token_seconds + 300,
        )
        for older in self._live():  # earlier keys stop signing; they stay published until drop_at
            if older.retire_at > now:
                self._store.add_signing_key(_retired(older, now, self._token_seconds))
        self._store.add_signing_key(record)
        self._loaded_at = -1e18
        return record


def _retired(key: SigningKey, now: int, token_seconds: int) -> SigningKey:
    return SigningKey(key.kid, key.alg, key.private_jwk, key.created_at, now, now + token_seconds + 300)


def _import(jwk: dict[str, Any]) -> ECKey | RSAKey:
    if jwk["kty"] == "EC":
        return ECKey.import_key(jwk)
    return RSAKey.import_key(jwk)
