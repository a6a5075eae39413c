"""Password and client-secret hashing: scrypt (stdlib) with a per-secret salt, compared in constant time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

_N, _R, _P = 2**14, 8, 1  # ~16 MiB and ~50 ms per hash on our machine: slow for guessing, fine for logins
_PREFIX = "scrypt"


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return "$".join([_PREFIX, str(_N), str(_R), str(_P), _b64(salt), _b64(digest)])


def verify_secret(stored: str | None, candidate: str) -> bool:
    """False for a missing or malformed hash; the comparison itself is constant-time."""
    if not stored:
        _burn(candidate)  # same cost whether or not the account exists
        return False
    try:
        prefix, n, r, p, salt, digest = stored.split("$")
        if prefix != _PREFIX:
            return False
        expected = base64.urlsafe_b64decode(digest)
        actual = hashlib.scrypt(
            candidate.encode(), salt=base64.urlsafe_b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def _burn(candidate: str) -> None:
    hashlib.scrypt(candidate.encode(), salt=b"0" * 16, n=_N, r=_R, p=_P, dklen=32)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def digest(value: str) -> str:
    """SHA-256 of a high-entropy random value (codes, refresh tokens): stored instead of the value, so a
    copy of the database yields no usable credential."""
    return hashlib.sha256(value.encode()).hexdigest()
