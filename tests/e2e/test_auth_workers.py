"""Two server processes share one auth store: a sign-in on one and the consent on the other, codes,
refresh tokens and assertion jtis are honoured across them, and both sign with keys the other publishes."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client

from auth.verify import RemoteJwks, TokenVerifier
from tests.e2e.auth_world import APP_REDIRECT, AuthWorld, sign_in, start_world

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthWorld]:
    yield from start_world(tmp_path_factory.mktemp("auth-workers"), workers=2)


def test_flows_across_two_workers(world: AuthWorld) -> None:
    issued = []
    for round_ in range(6):  # new connections each time: the kernel spreads them over both workers
        verifier = secrets.token_urlsafe(48)
        with OAuth2Client(
            client_id="parent-app",
            redirect_uri=APP_REDIRECT,
            scope="offline_access patient/*.rs",
            code_challenge_method="S256",
        ) as app:
            url, _ = app.create_authorization_url(world.authorize_url, code_verifier=verifier)
            redirect = sign_in(world, url, patient="child-a" if round_ % 2 else "child-b")
            token = app.fetch_token(
                world.token_url, authorization_response=redirect.headers["location"], code_verifier=verifier
            )
            renewed = app.refresh_token(world.token_url, refresh_token=token["refresh_token"])
        issued += [token["access_token"], renewed["access_token"]]
        with world.backend("emr", world.rsa_key, "RS384") as emr:
            backend = emr.fetch_token(
                world.token_url, grant_type="client_credentials", scope="system/Patient.rs"
            )
            issued.append(backend["access_token"])

    verifier_ = TokenVerifier(
        issuer=world.issuer,
        audience=world.server.base,
        jwks=RemoteJwks(f"{world.issuer}/auth/jwks", min_refresh=0),
    )
    for access_token in issued:
        principal = verifier_.verify(access_token)
        assert principal.issuer == world.issuer
        if principal.client_id == "parent-app":
            for _ in range(3):  # whichever worker answers knows the token
                assert world.introspect(access_token)["active"] is True
    assert httpx.get(f"{world.issuer}/health").status_code == 200
