from __future__ import annotations

import time

import pytest

from auth.component import build_auth, build_verifier
from auth.models import Client, ClientKind
from auth.settings import AuthSettings
from auth.verify import RemoteJwks, TokenError


def test_the_default_verifier_accepts_our_own_tokens() -> None:
    settings = AuthSettings(database_url="memory://", issuer="https://registry.example.vn")
    auth = build_auth(settings)
    client = Client(
        "emr", ClientKind.BACKEND, "EMR", "private_key_jwt", "system/Immunization.c", organization="o1"
    )
    token = auth.issuer.access_token(client, None, "system/Immunization.c", None, int(time.time()))
    principal = build_verifier(settings, auth).verify(token)
    assert principal.issuer == "https://registry.example.vn"
    assert principal.organization == "Organization/o1"
    elsewhere = AuthSettings(
        database_url="memory://", issuer="https://registry.example.vn", audience="https://x/fhir"
    )
    with pytest.raises(TokenError, match="audience"):
        build_verifier(elsewhere, auth).verify(token)


def test_a_trusted_issuer_is_verified_by_its_jwks_url() -> None:
    settings = AuthSettings(
        trusted_issuer="https://idp.example.vn",
        trusted_jwks_uri="https://idp.example.vn/jwks",
        audience="https://f",
    )
    verifier = build_verifier(settings)
    assert isinstance(verifier._jwks, RemoteJwks)
    assert verifier._issuer == "https://idp.example.vn"
    with pytest.raises(ValueError, match="JWKS"):
        build_verifier(AuthSettings(trusted_issuer="https://idp.example.vn"))
    with pytest.raises(ValueError, match="in-process"):
        build_verifier(AuthSettings())
