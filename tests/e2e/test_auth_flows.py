"""Every grant over real HTTP against a real uvicorn, driven by authlib's OAuth 2 clients (httpx)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator

import httpx
import pytest
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuth2Client
from joserfc import jwt

from auth.scopes import Context, Interaction
from auth.verify import RemoteJwks, TokenVerifier
from tests.e2e.auth_world import APP_REDIRECT, AuthWorld, FiveMinuteAssertion, code_of, sign_in, start_world

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthWorld]:
    yield from start_world(tmp_path_factory.mktemp("auth-flows"))


def _verifier(world: AuthWorld) -> TokenVerifier:
    """Configured the way the resource server will be when pointed at an issuer by URL."""
    return TokenVerifier(
        issuer=world.issuer, audience=f"{world.server.base}", jwks=RemoteJwks(f"{world.issuer}/auth/jwks")
    )


def test_discovery_documents(world: AuthWorld) -> None:
    smart = httpx.get(f"{world.server.base}/.well-known/smart-configuration").json()
    assert smart["token_endpoint"] == world.token_url
    assert smart["authorization_endpoint"] == world.authorize_url
    assert smart["code_challenge_methods_supported"] == ["S256"]
    assert set(smart["token_endpoint_auth_signing_alg_values_supported"]) == {"RS384", "ES384"}
    assert "permission-v2" in smart["capabilities"]
    assert httpx.get(f"{world.issuer}/.well-known/smart-configuration").json() == smart
    oidc = httpx.get(f"{world.issuer}/.well-known/openid-configuration").json()
    assert oidc["issuer"] == world.issuer
    assert oidc["jwks_uri"] == f"{world.issuer}/auth/jwks"
    keys = httpx.get(oidc["jwks_uri"]).json()["keys"]
    assert keys and all("d" not in key for key in keys)  # public halves only


def test_backend_services_rs384_assertion(world: AuthWorld) -> None:
    with world.backend("emr", world.rsa_key, "RS384") as client:
        token = client.fetch_token(
            world.token_url, grant_type="client_credentials", scope="system/Immunization.c system/Patient.rs"
        )
    assert token["token_type"] == "Bearer"
    assert "refresh_token" not in token
    assert token["scope"] == "system/Immunization.c system/Patient.rs"
    principal = _verifier(world).verify(token["access_token"])
    assert principal.subject == "emr"
    assert principal.role == "system"
    assert principal.organization == "Organization/org-hospital-1"
    assert principal.scopes.allows(Context.SYSTEM, "Immunization", Interaction.CREATE)
    assert not principal.scopes.allows(Context.SYSTEM, "Immunization", Interaction.DELETE)


def test_backend_services_es384_assertion_with_the_async_client(world: AuthWorld) -> None:
    async def fetch() -> dict[str, str]:
        async with AsyncOAuth2Client(
            client_id="emr",
            client_secret=world.ec_key,
            token_endpoint_auth_method=FiveMinuteAssertion(
                world.token_url, alg="ES384", headers={"kid": "emr-ec"}
            ),
        ) as client:
            token: dict[str, str] = await client.fetch_token(
                world.token_url, grant_type="client_credentials", scope="system/Immunization.cruds"
            )
            return token

    token = asyncio.run(fetch())
    assert token["scope"] == "system/Immunization.cruds"
    assert _verifier(world).verify(token["access_token"]).client_id == "emr"


def test_backend_scopes_are_narrowed_to_the_registration(world: AuthWorld) -> None:
    with world.backend("emr", world.ec_key, "ES384") as client:
        token = client.fetch_token(
            world.token_url,
            grant_type="client_credentials",
            scope="system/Immunization.rs system/Observation.rs",
        )
    assert token["scope"] == "system/Immunization.rs"


def test_backend_keys_fetched_from_a_jwks_uri(world: AuthWorld) -> None:
    with world.backend("clinic", world.remote_key, "RS384") as client:
        token = client.fetch_token(
            world.token_url, grant_type="client_credentials", scope="system/Patient.rs"
        )
    assert _verifier(world).verify(token["access_token"]).organization == "Organization/org-clinic-2"


def test_public_app_code_flow_with_pkce_patient_picker_and_refresh_rotation(world: AuthWorld) -> None:
    verifier = secrets.token_urlsafe(48)
    with OAuth2Client(
        client_id="parent-app",
        redirect_uri=APP_REDIRECT,
        scope="openid fhirUser launch/patient offline_access patient/*.rs",
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    ) as app:
        url, state = app.create_authorization_url(
            world.authorize_url, code_verifier=verifier, aud=world.server.base
        )
        redirect = sign_in(world, url, patient="child-b")
        assert code_of(redirect)["state"] == state
        token = app.fetch_token(
            world.token_url, authorization_response=redirect.headers["location"], code_verifier=verifier
        )
        assert token["patient"] == "child-b"
        principal = _verifier(world).verify(token["access_token"])
        assert principal.patient == "child-b"
        assert principal.fhir_user == "RelatedPerson/rp-1"
        assert principal.role == "parent"
        assert principal.scopes.allows(Context.PATIENT, "Immunization", Interaction.SEARCH)
        id_token = jwt.decode(token["id_token"], httpx_jwks(world))
        assert id_token.claims["aud"] == "parent-app"
        assert id_token.claims["fhirUser"] == f"{world.server.base}/RelatedPerson/rp-1"

        first_refresh = token["refresh_token"]
        renewed = app.refresh_token(world.token_url, refresh_token=first_refresh)
        assert renewed["refresh_token"] != first_refresh
        assert renewed["patient"] == "child-b"
        assert _verifier(world).verify(renewed["access_token"]).patient == "child-b"

        # the rotated-out refresh token comes back: refused, and its whole family is revoked
        with pytest.raises(OAuthError, match="invalid_grant"):
            app.refresh_token(world.token_url, refresh_token=first_refresh)
        with pytest.raises(OAuthError, match="invalid_grant"):
            app.refresh_token(world.token_url, refresh_token=renewed["refresh_token"])


def test_a_parent_with_one_child_gets_that_child_without_a_picker(world: AuthWorld) -> None:
    verifier = secrets.token_urlsafe(48)
    with OAuth2Client(
        client_id="parent-app",
        redirect_uri=APP_REDIRECT,
        scope="launch/patient patient/Immunization.rs user/*.rs",
        code_challenge_method="S256",
    ) as app:
        url, _ = app.create_authorization_url(world.authorize_url, code_verifier=verifier)
        redirect = sign_in(world, url, username="bo.minh")
        token = app.fetch_token(
            world.token_url, authorization_response=redirect.headers["location"], code_verifier=verifier
        )
    assert token["patient"] == "child-c"
    assert token["scope"] == "patient/Immunization.rs launch/patient"  # a parent never holds user/ scopes
    assert "refresh_token" not in token  # no offline_access asked


def test_confidential_app_with_client_secret_basic(world: AuthWorld) -> None:
    verifier = secrets.token_urlsafe(48)
    with OAuth2Client(
        client_id="station-app",
        client_secret=world.confidential_secret,
        redirect_uri=APP_REDIRECT,
        scope="openid fhirUser user/*.rs patient/Immunization.cruds online_access",
        code_challenge_method="S256",
    ) as app:
        url, _ = app.create_authorization_url(world.authorize_url, code_verifier=verifier)
        redirect = sign_in(world, url, username="nurse.hoa")
        token = app.fetch_token(
            world.token_url, authorization_response=redirect.headers["location"], code_verifier=verifier
        )
        principal = _verifier(world).verify(token["access_token"])
        assert principal.fhir_user == "Practitioner/pr-1"
        assert principal.organization == "Organization/org-station-9"
        assert principal.practitioner_role == "PractitionerRole/prr-1"
        assert principal.patient is None
        assert principal.scopes.allows(Context.USER, "Patient", Interaction.SEARCH)
        # no launch patient, so no patient/ scopes: they would have no compartment to be confined to
        assert principal.scopes.contexts == {Context.USER}
        narrowed = app.refresh_token(world.token_url, refresh_token=token["refresh_token"], scope="user/*.rs")
        assert narrowed["scope"] == "user/*.rs"


def test_revoked_refresh_token_cannot_refresh(world: AuthWorld) -> None:
    verifier = secrets.token_urlsafe(48)
    with OAuth2Client(
        client_id="parent-app",
        redirect_uri=APP_REDIRECT,
        scope="offline_access patient/*.rs",
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
        revocation_endpoint_auth_method="none",
    ) as app:
        url, _ = app.create_authorization_url(world.authorize_url, code_verifier=verifier)
        redirect = sign_in(world, url, patient="child-a")
        token = app.fetch_token(
            world.token_url, authorization_response=redirect.headers["location"], code_verifier=verifier
        )
        assert world.introspect(token["refresh_token"])["active"] is True
        revoked = app.revoke_token(f"{world.issuer}/auth/revoke", token["refresh_token"])
        assert revoked.status_code == 200
        assert world.introspect(token["refresh_token"]) == {"active": False}
        with pytest.raises(OAuthError, match="invalid_grant"):
            app.refresh_token(world.token_url, refresh_token=token["refresh_token"])


def httpx_jwks(world: AuthWorld) -> object:
    from joserfc.jwk import KeySet

    return KeySet.import_key_set(httpx.get(f"{world.issuer}/auth/jwks").json())
