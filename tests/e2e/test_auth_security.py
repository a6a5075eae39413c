"""Attacks at the token level against a real server: each must be refused, and refusing must not leave a
usable credential behind. Tokens are checked the way the resource server will check them (TokenVerifier
against the server's JWKS over HTTP) and by the authorization server itself (introspection)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import OAuth2Client
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey, import_key

from auth.store.factory import open_auth_store
from auth.verify import RemoteJwks, TokenError, TokenVerifier
from tests.e2e.auth_world import APP_REDIRECT, AuthWorld, code_of, sign_in, start_world

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthWorld]:
    yield from start_world(tmp_path_factory.mktemp("auth-security"))


@pytest.fixture(scope="module")
def verifier(world: AuthWorld) -> TokenVerifier:
    return TokenVerifier(
        issuer=world.issuer, audience=world.server.base, jwks=RemoteJwks(f"{world.issuer}/auth/jwks")
    )


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _backend_token(world: AuthWorld) -> dict[str, Any]:
    with world.backend("emr", world.rsa_key, "RS384") as client:
        token: dict[str, Any] = client.fetch_token(
            world.token_url, grant_type="client_credentials", scope="system/Immunization.cruds"
        )
    return token


def _forge(world: AuthWorld, **claims: Any) -> str:
    """A token signed with the server's REAL current key (read from its store), with chosen claims."""
    httpx.get(f"{world.issuer}/auth/jwks")  # make sure the server has made its key
    store = open_auth_store(world.server.env["AUTH_DATABASE_URL"])
    try:
        current = store.signing_keys()[-1]
    finally:
        store.close()
    now = int(time.time())
    body = {
        "iss": world.issuer,
        "aud": world.server.base,
        "sub": "emr",
        "client_id": "emr",
        "scope": "system/Immunization.cruds",
        "iat": now,
        "exp": now + 300,
        "jti": secrets.token_urlsafe(8),
        **claims,
    }
    key = import_key(current.private_jwk)
    return jwt.encode(
        {"alg": current.alg, "kid": current.kid, "typ": "at+jwt"}, body, key, algorithms=[current.alg]
    )


# --- access tokens -----------------------------------------------------------------------------------


def test_a_genuine_token_passes_both_checks(world: AuthWorld, verifier: TokenVerifier) -> None:
    token = _forge(world)
    assert verifier.verify(token).client_id == "emr"
    assert world.introspect(token, "parent-app") == {"active": False}  # another client's token: not shown
    assert _introspect_as_emr(world, token)["active"] is True


def test_expired_token(world: AuthWorld, verifier: TokenVerifier) -> None:
    token = _forge(world, iat=int(time.time()) - 900, exp=int(time.time()) - 600)
    with pytest.raises(TokenError, match="expired"):
        verifier.verify(token)
    assert _introspect_as_emr(world, token) == {"active": False}


def test_wrong_audience(world: AuthWorld, verifier: TokenVerifier) -> None:
    with pytest.raises(TokenError, match="audience"):
        verifier.verify(_forge(world, aud="https://other-registry.example/fhir"))


def test_wrong_issuer(world: AuthWorld, verifier: TokenVerifier) -> None:
    token = _forge(world, iss="https://evil.example")
    with pytest.raises(TokenError, match="issuer"):
        verifier.verify(token)
    assert _introspect_as_emr(world, token) == {"active": False}
    stranger = ECKey.generate_key("P-256", parameters={"kid": "x"}, private=True)
    foreign = jwt.encode(
        {"alg": "ES256", "kid": "x"},
        {
            "iss": world.issuer,
            "aud": world.server.base,
            "sub": "emr",
            "scope": "system/*.cruds",
            "exp": 2**31,
        },
        stranger,
    )
    with pytest.raises(TokenError, match="signature or unknown key"):
        verifier.verify(foreign)


def test_unsigned_alg_none(world: AuthWorld, verifier: TokenVerifier) -> None:
    genuine = _backend_token(world)["access_token"]
    payload = genuine.split(".")[1]
    unsigned = f"{_b64({'alg': 'none', 'typ': 'at+jwt'})}.{payload}."
    with pytest.raises(TokenError, match="algorithm"):
        verifier.verify(unsigned)
    assert _introspect_as_emr(world, unsigned) == {"active": False}


def test_tampered_token(world: AuthWorld, verifier: TokenVerifier) -> None:
    genuine = _backend_token(world)["access_token"]
    header, payload, signature = genuine.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["scope"] = "system/*.cruds"
    tampered = f"{header}.{_b64(claims)}.{signature}"
    with pytest.raises(TokenError, match="signature"):
        verifier.verify(tampered)
    assert _introspect_as_emr(world, tampered) == {"active": False}


def test_revoked_access_token(world: AuthWorld) -> None:
    token = _backend_token(world)["access_token"]
    assert _introspect_as_emr(world, token)["active"] is True
    with world.backend(
        "emr", world.rsa_key, "RS384", revocation_endpoint_auth_method="private_key_jwt"
    ) as client:
        client.register_client_auth_method(client.token_endpoint_auth_method)
        response = client.revoke_token(f"{world.issuer}/auth/revoke", token)
    assert response.status_code == 200
    assert _introspect_as_emr(world, token) == {"active": False}


def test_the_fhir_api_refuses_every_bad_token_and_changes_nothing(world: AuthWorld) -> None:
    """The resource server itself (over HTTP): each bad token is 401 invalid_token with an OperationOutcome,
    no data in the answer, and a write carrying it stores nothing. The revoked token is refused at once,
    although it has not expired (the verifier consults the revocation list)."""
    genuine = _backend_token(world)["access_token"]
    header, payload, signature = genuine.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    revoked = _backend_token(world)["access_token"]
    with world.backend(
        "emr", world.rsa_key, "RS384", revocation_endpoint_auth_method="private_key_jwt"
    ) as client:
        client.register_client_auth_method(client.token_endpoint_auth_method)
        assert client.revoke_token(f"{world.issuer}/auth/revoke", revoked).status_code == 200
    now = int(time.time())
    bad = {
        "expired": _forge(world, iat=now - 900, exp=now - 600),
        "wrong audience": _forge(world, aud="https://other-registry.example/fhir"),
        "wrong issuer": _forge(world, iss="https://evil.example"),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'at+jwt'})}.{payload}.",
        "tampered": f"{header}.{_b64({**claims, 'scope': 'system/*.cruds'})}.{signature}",
        "revoked": revoked,
    }
    base = world.server.base
    good = {"Authorization": f"Bearer {genuine}"}
    for name, token in bad.items():
        headers = {"Authorization": f"Bearer {token}"}
        read = httpx.get(f"{base}/Immunization", headers=headers)
        assert read.status_code == 401, (name, read.text)
        assert 'error="invalid_token"' in read.headers["WWW-Authenticate"], name
        assert read.json()["resourceType"] == "OperationOutcome" and "entry" not in read.text
        immunization = {
            "resourceType": "Immunization",
            "id": f"bad-{name.replace(' ', '-')}",
            "status": "completed",
            "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "08"}]},
            "patient": {"reference": "Patient/nobody"},
            "occurrenceDateTime": "2026-01-01",
        }
        written = httpx.put(f"{base}/Immunization/{immunization['id']}", json=immunization, headers=headers)
        assert written.status_code == 401, name
        after = httpx.get(f"{base}/Immunization/{immunization['id']}", headers=good)
        assert after.status_code == 404, (name, after.text)  # nothing was stored
    assert httpx.get(f"{base}/Immunization", headers=good).status_code == 200  # the genuine one works


def _introspect_as_emr(world: AuthWorld, token: str) -> dict[str, Any]:
    assertion = _assertion(world, world.rsa_key, "RS384", aud=f"{world.issuer}/auth/token")
    response = httpx.post(
        f"{world.issuer}/auth/introspect",
        data={
            "token": token,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        },
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# --- client assertions -------------------------------------------------------------------------------


def _assertion(
    world: AuthWorld,
    key: RSAKey | ECKey,
    alg: str,
    *,
    aud: str | None = None,
    lifetime: int = 240,
    jti: str = "",
) -> str:
    now = int(time.time())
    claims = {
        "iss": "emr",
        "sub": "emr",
        "aud": aud or world.token_url,
        "exp": now + lifetime,
        "iat": now,
        "jti": jti or secrets.token_urlsafe(16),
    }
    return jwt.encode({"alg": alg, "kid": key.kid, "typ": "JWT"}, claims, key, algorithms=[alg])


def _client_credentials(world: AuthWorld, assertion: str) -> httpx.Response:
    return httpx.post(
        world.token_url,
        data={
            "grant_type": "client_credentials",
            "scope": "system/Immunization.rs",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        },
    )


def test_a_replayed_client_assertion_is_refused(world: AuthWorld) -> None:
    assertion = _assertion(world, world.ec_key, "ES384")
    assert _client_credentials(world, assertion).status_code == 200
    replay = _client_credentials(world, assertion)
    assert replay.status_code in (400, 401)
    assert replay.json()["error"] == "invalid_client"
    assert "access_token" not in replay.json()


@pytest.mark.parametrize(
    ("alg", "kwargs", "why"),
    [
        ("RS256", {}, "RS256 is not a Backend Services algorithm"),
        ("RS384", {"lifetime": 3600}, "lives longer than 5 minutes"),
        ("RS384", {"lifetime": -120}, "expired"),
        ("RS384", {"aud": "https://elsewhere/token"}, "audience is not our token endpoint"),
    ],
)
def test_bad_client_assertions_are_refused(
    world: AuthWorld, alg: str, kwargs: dict[str, Any], why: str
) -> None:
    response = _client_credentials(world, _assertion(world, world.rsa_key, alg, **kwargs))
    assert response.json()["error"] == "invalid_client", why


def test_an_assertion_signed_by_an_unregistered_key_is_refused(world: AuthWorld) -> None:
    impostor = RSAKey.generate_key(2048, parameters={"kid": "emr-rsa"}, private=True)  # same kid
    response = _client_credentials(world, _assertion(world, impostor, "RS384"))
    assert response.json()["error"] == "invalid_client"


def test_a_backend_cannot_use_a_client_secret_or_no_authentication(world: AuthWorld) -> None:
    response = httpx.post(
        world.token_url,
        data={"grant_type": "client_credentials", "client_id": "emr", "scope": "system/Patient.rs"},
    )
    assert response.json()["error"] == "invalid_client"
    public = httpx.post(
        world.token_url,
        data={"grant_type": "client_credentials", "client_id": "parent-app", "scope": "patient/*.rs"},
    )
    assert public.json()["error"] in ("invalid_client", "unauthorized_client")


# --- authorization code, PKCE, redirect URIs -----------------------------------------------------------


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _authorize_query(**overrides: str | None) -> str:
    verifier = "v" * 50
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": "parent-app",
        "redirect_uri": APP_REDIRECT,
        "scope": "patient/*.rs offline_access",
        "state": "s-1",
        "code_challenge": _challenge(verifier),
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return urlencode({k: v for k, v in params.items() if v is not None})


def _error_redirect(world: AuthWorld, query: str) -> dict[str, str]:
    response = httpx.get(f"{world.authorize_url}?{query}")
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(APP_REDIRECT)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@pytest.mark.parametrize(
    "overrides",
    [
        {"code_challenge_method": "plain", "code_challenge": "v" * 50},
        {"code_challenge_method": None},
        {"code_challenge": None, "code_challenge_method": None},
        {"code_challenge": None},
    ],
)
def test_pkce_downgrade_is_refused_at_the_authorization_endpoint(
    world: AuthWorld, overrides: dict[str, str | None]
) -> None:
    error = _error_redirect(world, _authorize_query(**overrides))
    assert error["error"] == "invalid_request"
    assert error["state"] == "s-1"
    assert "code" not in error


def test_state_is_required(world: AuthWorld) -> None:
    assert _error_redirect(world, _authorize_query(state=None))["error"] == "invalid_request"


@pytest.mark.parametrize(
    "overrides",
    [
        {"redirect_uri": "http://127.0.0.1:9/callback/../evil"},
        {"redirect_uri": "http://127.0.0.1:9/callbackx"},
        {"redirect_uri": "https://evil.example/callback"},
        {"redirect_uri": None},
        {"client_id": "no-such-app"},
    ],
)
def test_untrusted_redirects_are_never_followed(world: AuthWorld, overrides: dict[str, str | None]) -> None:
    response = httpx.get(f"{world.authorize_url}?{_authorize_query(**overrides)}")
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "text/html" in response.headers["content-type"]


def test_a_wrong_aud_parameter_is_refused(world: AuthWorld) -> None:
    error = _error_redirect(world, _authorize_query(aud="https://other-registry.example/fhir"))
    assert error["error"] == "invalid_request"


def _code(world: AuthWorld, verifier: str, scope: str = "patient/*.rs offline_access") -> str:
    with OAuth2Client(
        client_id="parent-app", redirect_uri=APP_REDIRECT, scope=scope, code_challenge_method="S256"
    ) as app:
        url, _ = app.create_authorization_url(world.authorize_url, code_verifier=verifier)
    return code_of(sign_in(world, url, patient="child-a"))["code"]


def _exchange(
    world: AuthWorld, code: str, verifier: str | None, redirect_uri: str = APP_REDIRECT
) -> httpx.Response:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": "parent-app",
    }
    if verifier is not None:
        data["code_verifier"] = verifier
    return httpx.post(world.token_url, data=data)


def test_pkce_missing_or_wrong_verifier(world: AuthWorld) -> None:
    verifier = secrets.token_urlsafe(48)
    missing = _exchange(world, _code(world, verifier), None)
    assert missing.json()["error"] == "invalid_request"

    code = _code(world, verifier)
    wrong = _exchange(world, code, secrets.token_urlsafe(48))
    assert wrong.json()["error"] == "invalid_grant"
    # a failed attempt burns the code: the right verifier afterwards gets nothing either
    assert _exchange(world, code, verifier).json()["error"] == "invalid_grant"


def test_wrong_redirect_uri_at_the_token_endpoint(world: AuthWorld) -> None:
    verifier = secrets.token_urlsafe(48)
    response = _exchange(world, _code(world, verifier), verifier, redirect_uri="http://127.0.0.1:9/other")
    assert response.json()["error"] == "invalid_grant"


def test_a_reused_code_is_refused_and_revokes_what_it_issued(world: AuthWorld) -> None:
    verifier = secrets.token_urlsafe(48)
    code = _code(world, verifier)
    first = _exchange(world, code, verifier)
    assert first.status_code == 200
    refresh = first.json()["refresh_token"]
    assert world.introspect(refresh)["active"] is True
    second = _exchange(world, code, verifier)
    assert second.json()["error"] == "invalid_grant"
    assert "access_token" not in second.json()
    assert world.introspect(refresh) == {"active": False}


def test_scope_escalation_at_refresh_is_refused(world: AuthWorld) -> None:
    verifier = secrets.token_urlsafe(48)
    token = _exchange(world, _code(world, verifier), verifier).json()
    for wider in ("patient/*.cruds", "user/*.rs", "patient/*.rs system/*.rs", "patient/*.rs openid"):
        response = httpx.post(
            world.token_url,
            data={
                "grant_type": "refresh_token",
                "refresh_token": token["refresh_token"],
                "client_id": "parent-app",
                "scope": wider,
            },
        )
        assert response.json()["error"] == "invalid_scope", wider
    # refusing the escalation did not burn the refresh token
    renewed = httpx.post(
        world.token_url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": token["refresh_token"],
            "client_id": "parent-app",
        },
    )
    assert renewed.status_code == 200
    assert renewed.json()["scope"] == token["scope"]


def test_another_client_cannot_redeem_or_refresh(world: AuthWorld) -> None:
    verifier = secrets.token_urlsafe(48)
    token = _exchange(world, _code(world, verifier), verifier).json()
    with (
        OAuth2Client(client_id="station-app", client_secret=world.confidential_secret) as other,
        pytest.raises(OAuthError, match="invalid_grant"),
    ):
        other.refresh_token(world.token_url, refresh_token=token["refresh_token"])


# --- the pages ---------------------------------------------------------------------------------------


def test_wrong_password_and_denied_consent(world: AuthWorld) -> None:
    query = _authorize_query()
    with httpx.Client() as browser:
        page = browser.get(f"{world.authorize_url}?{query}")
        fields = dict(parse_qs(query, keep_blank_values=True))
        form = {k: v[0] for k, v in fields.items()} | {"step": "login", "lang": "en"}
        bad = browser.post(
            world.authorize_url, data={**form, "username": "me.lan", "password": "guess-guess"}
        )
        assert bad.status_code == 401
        assert "Wrong username or password" in bad.text
        unknown = browser.post(
            world.authorize_url, data={**form, "username": "nobody", "password": "guess-guess"}
        )
        assert unknown.status_code == 401
        assert page.status_code == 200 and "Đăng nhập" in page.text

        from tests.e2e.auth_world import PASSWORD, _hidden_fields

        consent = browser.post(world.authorize_url, data={**form, "username": "me.lan", "password": PASSWORD})
        fields2 = _hidden_fields(consent.text)
        denied = browser.post(world.authorize_url, data={**fields2, "decision": "deny"})
        assert denied.status_code == 302
        assert "error=access_denied" in denied.headers["location"]

        # a parent cannot pick a child who is not theirs
        stolen = browser.post(
            world.authorize_url, data={**fields2, "decision": "allow", "patient": "child-c"}
        )
        assert stolen.status_code == 400
        assert "location" not in stolen.headers

        # the consent ticket is bound to its request: it cannot approve a wider scope
        widened = {**fields2, "scope": "patient/*.rs offline_access openid", "decision": "allow"}
        assert browser.post(world.authorize_url, data=widened).status_code == 401
