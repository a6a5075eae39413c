from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey

from auth.scopes import Context, Interaction
from auth.verify import LocalJwks, TokenError, TokenVerifier

ISSUER = "https://auth.example.vn"
AUDIENCE = "https://fhir.example.vn/fhir"
NOW = 1_800_000_000


class Clock:
    def __init__(self) -> None:
        self.now = float(NOW)

    def __call__(self) -> float:
        return self.now


class Keys:
    """A JWKS whose content the test changes, counting refreshes."""

    def __init__(self, *keys: ECKey | RSAKey) -> None:
        self.keys = list(keys)
        self.refreshes = 0
        self.pending: list[ECKey | RSAKey] = []

    def key_set(self) -> KeySet:
        return KeySet.import_key_set({"keys": [k.as_dict(private=False) for k in self.keys]})

    def refresh(self) -> bool:
        self.refreshes += 1
        self.keys.extend(self.pending)
        self.pending = []
        return True


def _ec(kid: str = "k1") -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": kid}, private=True)


def _claims(**overrides: Any) -> dict[str, Any]:
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "u-1",
        "client_id": "app",
        "scope": "patient/Immunization.rs launch/patient",
        "iat": NOW,
        "nbf": NOW,
        "exp": NOW + 300,
        "jti": "j-1",
        "patient": "p-7",
        "fhirUser": "RelatedPerson/rp-1",
        "role": "parent",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(key: ECKey | RSAKey, claims: dict[str, Any], alg: str = "ES256", **header: Any) -> str:
    return jwt.encode({"alg": alg, "kid": key.kid, "typ": "at+jwt", **header}, claims, key, algorithms=[alg])


@pytest.fixture
def key() -> ECKey:
    return _ec()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def verifier(key: ECKey, clock: Clock) -> TokenVerifier:
    return TokenVerifier(issuer=ISSUER, audience=AUDIENCE, jwks=Keys(key), clock=clock)


def test_a_valid_token_gives_a_typed_principal(verifier: TokenVerifier, key: ECKey) -> None:
    principal = verifier.verify(_sign(key, _claims()))
    assert principal.subject == "u-1"
    assert principal.client_id == "app"
    assert principal.patient == "p-7"
    assert principal.fhir_user == "RelatedPerson/rp-1"
    assert principal.role == "parent"
    assert principal.expires_at == NOW + 300
    assert principal.scopes.allows(Context.PATIENT, "Immunization", Interaction.READ)
    assert not principal.scopes.allows(Context.PATIENT, "Immunization", Interaction.CREATE)
    assert principal.scopes.has("launch/patient")


def test_rs256_and_audience_lists_are_accepted(clock: Clock) -> None:
    rsa = RSAKey.generate_key(2048, parameters={"kid": "r1"}, private=True)
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE + "/", jwks=Keys(rsa), clock=clock)
    token = _sign(rsa, _claims(aud=["https://other", AUDIENCE]), alg="RS256")
    assert verifier.verify(token).subject == "u-1"


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        (_claims(exp=NOW - 31), "expired"),
        (_claims(nbf=NOW + 31), "not yet valid"),
        (_claims(aud="https://elsewhere/fhir"), "audience"),
        (_claims(iss="https://evil.example"), "issuer"),
        (_claims(exp=None), "expiry"),
        (_claims(scope=None), "scope"),
        (_claims(scope="patient/Immunization.sr"), "scope"),
        (_claims(sub=None), "sub"),
    ],
)
def test_claims_are_checked(verifier: TokenVerifier, key: ECKey, claims: dict[str, Any], reason: str) -> None:
    with pytest.raises(TokenError, match=reason):
        verifier.verify(_sign(key, claims))


def test_small_clock_skew_is_tolerated(verifier: TokenVerifier, key: ECKey) -> None:
    assert verifier.verify(_sign(key, _claims(exp=NOW - 10, nbf=NOW + 10)))


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_alg_none_is_refused(verifier: TokenVerifier) -> None:
    unsigned = f"{_b64({'alg': 'none', 'typ': 'at+jwt'})}.{_b64(_claims())}."
    with pytest.raises(TokenError, match="algorithm"):
        verifier.verify(unsigned)


def test_hmac_with_the_public_key_is_refused(verifier: TokenVerifier, key: ECKey) -> None:
    signing_input = f"{_b64({'alg': 'HS256', 'kid': key.kid})}.{_b64(_claims())}"
    mac = hmac.new(key.as_pem(private=False), signing_input.encode(), hashlib.sha256).digest()
    forged = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    with pytest.raises(TokenError, match="algorithm"):
        verifier.verify(forged)


def test_a_tampered_payload_is_refused(verifier: TokenVerifier, key: ECKey) -> None:
    header, _, signature = _sign(key, _claims()).split(".")
    tampered = f"{header}.{_b64(_claims(patient='p-other'))}.{signature}"
    with pytest.raises(TokenError, match="signature"):
        verifier.verify(tampered)


def test_a_token_signed_by_another_key_is_refused(verifier: TokenVerifier) -> None:
    with pytest.raises(TokenError, match="signature or unknown key"):
        verifier.verify(_sign(_ec("k1"), _claims()))  # same kid, different key


def test_login_tickets_are_not_access_tokens(verifier: TokenVerifier, key: ECKey) -> None:
    with pytest.raises(TokenError, match="not an access token"):
        verifier.verify(_sign(key, _claims(), typ="login+jwt"))


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "a.b", "x" * 50])
def test_garbage_is_refused(verifier: TokenVerifier, garbage: str) -> None:
    with pytest.raises(TokenError):
        verifier.verify(garbage)


def test_an_unknown_kid_refetches_the_jwks_once(key: ECKey, clock: Clock) -> None:
    rotated = _ec("k2")
    keys = Keys(key)
    keys.pending = [rotated]
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, jwks=keys, clock=clock)
    assert verifier.verify(_sign(rotated, _claims())).subject == "u-1"
    assert keys.refreshes == 1
    verifier.verify(_sign(key, _claims(jti="j-2")))
    assert keys.refreshes == 1


def test_cached_tokens_still_expire(verifier: TokenVerifier, key: ECKey, clock: Clock) -> None:
    token = _sign(key, _claims())
    first = verifier.verify(token)
    assert verifier.verify(token) is first
    clock.now = NOW + 300 + 31
    with pytest.raises(TokenError, match="expired"):
        verifier.verify(token)


def test_symmetric_or_none_algorithms_cannot_be_configured(key: ECKey) -> None:
    for algorithms in (["none"], ["HS256"], []):
        with pytest.raises(ValueError, match="asymmetric"):
            TokenVerifier(issuer=ISSUER, audience=AUDIENCE, jwks=Keys(key), algorithms=algorithms)


def test_local_jwks_reads_the_current_keys(key: ECKey, clock: Clock) -> None:
    keys = Keys(key)
    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, jwks=LocalJwks(keys.key_set), clock=clock)
    assert verifier.verify(_sign(key, _claims())).client_id == "app"


def test_www_authenticate_values() -> None:
    from auth.verify import www_authenticate

    assert www_authenticate("fhir") == 'Bearer realm="fhir"'
    assert (
        www_authenticate("fhir", "invalid_token", "token expired")
        == 'Bearer realm="fhir", error="invalid_token", error_description="token expired"'
    )
    assert www_authenticate("fhir", "insufficient_scope", scope='patient/Immunization.r"\n') == (
        'Bearer realm="fhir", error="insufficient_scope", scope="patient/Immunization.r"'
    )


def test_a_revoked_token_is_refused_even_from_the_cache(key: ECKey, clock: Clock) -> None:
    revoked: set[str] = set()
    verifier = TokenVerifier(
        issuer=ISSUER, audience=AUDIENCE, jwks=Keys(key), clock=clock, revoked=revoked.__contains__
    )
    token = _sign(key, _claims())
    assert verifier.verify(token).token_id == "j-1"  # now cached
    revoked.add("j-1")
    with pytest.raises(TokenError, match="revoked"):
        verifier.verify(token)
    with pytest.raises(TokenError, match="revoked"):
        verifier.verify(token)  # and stays refused
