from __future__ import annotations

from typing import Any

import pytest
from joserfc import jwt

from auth.keys import KeyRing
from auth.store.factory import open_auth_store
from auth.verify import LocalJwks, TokenError, TokenVerifier

DAY = 24 * 3600


class Clock:
    now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def _token(ring: KeyRing, clock: Clock, signer: tuple[str, str, Any] | None = None) -> str:
    kid, alg, key = signer or ring.signing_key()
    claims: dict[str, Any] = {
        "iss": "https://as",
        "aud": "https://fhir",
        "sub": "u",
        "scope": "user/*.rs",
        "exp": int(clock.now) + 300,
    }
    return jwt.encode({"alg": alg, "kid": kid}, claims, key, algorithms=[alg])


@pytest.mark.parametrize("alg", ["ES256", "RS256"])
def test_rotation_keeps_tokens_in_flight_valid(alg: str) -> None:
    clock = Clock()
    ring = KeyRing(
        open_auth_store("memory://"), alg, rotation_seconds=30 * DAY, token_seconds=300, clock=clock
    )
    verifier = TokenVerifier(
        issuer="https://as", audience="https://fhir", jwks=LocalJwks(ring.key_set), clock=clock
    )
    old_signer = ring.signing_key()
    old_kid = old_signer[0]
    assert [k["kid"] for k in ring.public_jwks()["keys"]] == [old_kid]
    assert all("d" not in k for k in ring.public_jwks()["keys"])

    start = clock.now
    clock.now = start + 30 * DAY - 100
    before = _token(ring, clock)  # signed by the old key 100 s before the scheduled rotation
    clock.now = start + 30 * DAY
    after = _token(ring, clock)
    new_kid = ring.signing_key()[0]
    assert new_kid != old_kid
    assert {k["kid"] for k in ring.public_jwks()["keys"]} == {old_kid, new_kid}
    assert verifier.verify(after).subject == "u"
    assert verifier.verify(before).subject == "u"  # in flight across the rotation: still accepted

    clock.now = start + 30 * DAY + 300 + 300 + 1  # the old key leaves the JWKS once its tokens expired
    assert [k["kid"] for k in ring.public_jwks()["keys"]] == [new_kid]
    assert verifier.verify(_token(ring, clock)).subject == "u"
    with pytest.raises(TokenError, match="unknown key"):  # a dropped key signs nothing acceptable
        verifier.verify(_token(ring, clock, old_signer))


def test_manual_rotation_retires_the_current_key() -> None:
    clock = Clock()
    ring = KeyRing(
        open_auth_store("memory://"), "ES256", rotation_seconds=30 * DAY, token_seconds=300, clock=clock
    )
    first = ring.signing_key()[0]
    second = ring.rotate()
    assert ring.signing_key()[0] == second != first
    assert {k["kid"] for k in ring.public_jwks()["keys"]} == {first, second}


def test_a_key_made_by_another_process_is_found_at_once() -> None:
    clock = Clock()
    store = open_auth_store("memory://")
    mine = KeyRing(store, "ES256", rotation_seconds=30 * DAY, token_seconds=300, clock=clock)
    theirs = KeyRing(store, "ES256", rotation_seconds=30 * DAY, token_seconds=300, clock=clock)
    mine.signing_key()  # both processes start together: each makes a first key
    theirs.rotate()
    clock.now += 1
    mine.public_jwks()  # ... and mine had read the store just before theirs wrote
    theirs.rotate()
    token = _token(theirs, clock)
    assert token.count(".") == 2
    verifier = TokenVerifier(
        issuer="https://as", audience="https://fhir", jwks=LocalJwks(mine.key_set, mine.reload), clock=clock
    )
    assert verifier.verify(token).subject == "u"  # unknown kid -> reread the store, not wait 30 s
    assert mine.reload() is False  # a second forced reread within 2 s is refused (made-up kids flood)
    clock.now += 3
    assert mine.reload() is True
