"""The authorization server in-process (ASGI): abuse limits, page safety, logs, and its mounting in the app.
Grant flows over real HTTP are in tests/e2e/test_auth_flows.py and test_auth_security.py."""

from __future__ import annotations

import base64
import hashlib
import html
import logging
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from auth.admin import create_client, create_user
from auth.component import AuthComponents, build_auth
from auth.models import ClientKind, Role
from auth.router import auth_router
from auth.settings import AuthSettings
from fhir_server.app import create_app
from fhir_server.settings import Settings

REDIRECT = "http://localhost/cb"
VERIFIER = "v" * 50
PASSWORD = "correct horse battery"


@pytest.fixture
def auth() -> AuthComponents:
    settings = AuthSettings(
        database_url="memory://",
        issuer="http://localhost",
        token_burst=3,
        login_burst=2,
        login_rate_per_minute=1,
    )
    components = build_auth(settings)
    create_client(
        components.store,
        kind=ClientKind.PUBLIC,
        name='App <b>"x"</b>',
        scope="patient/*.rs offline_access",
        client_id="app",
        redirect_uris=(REDIRECT,),
    )
    create_user(components.store, username="me", password=PASSWORD, role=Role.PARENT, patients=("c1",))
    return components


@pytest.fixture
def client(auth: AuthComponents) -> Iterator[TestClient]:
    app = FastAPI()
    app.include_router(auth_router(auth))
    with TestClient(app, base_url="http://localhost") as test_client:
        yield test_client


def _query(**extra: str) -> dict[str, str]:
    challenge = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
    return {
        "response_type": "code",
        "client_id": "app",
        "redirect_uri": REDIRECT,
        "scope": "patient/*.rs offline_access",
        "state": "s1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }


def _code(client: TestClient) -> str:
    consent = client.post(
        "/auth/authorize", data={**_query(), "step": "login", "username": "me", "password": PASSWORD}
    )
    ticket = re.search(r'name="ticket" value="([^"]+)"', consent.text)
    assert ticket, consent.text
    redirect = client.post(
        "/auth/authorize",
        data={**_query(), "step": "consent", "ticket": ticket.group(1), "decision": "allow"},
        follow_redirects=False,
    )
    found = re.search(r"code=([^&]+)", redirect.headers["location"])
    assert found
    return found.group(1)


def test_token_endpoint_rate_limit(client: TestClient) -> None:
    statuses = [
        client.post("/auth/token", data={"grant_type": "client_credentials", "client_id": "x"}).status_code
        for _ in range(4)
    ]
    assert statuses[:3] == [400, 400, 400]
    assert statuses[3] == 429
    limited = client.post("/auth/token", data={"grant_type": "client_credentials"})
    assert limited.status_code == 429
    assert limited.json()["error"] == "too_many_requests"
    assert int(limited.headers["retry-after"]) >= 1


def test_login_rate_limit_stops_password_guessing(client: TestClient) -> None:
    guesses = [
        client.post(
            "/auth/authorize", data={**_query(), "step": "login", "username": "me", "password": f"guess-{i}"}
        ).status_code
        for i in range(3)
    ]
    assert guesses == [401, 401, 429]
    right = client.post(
        "/auth/authorize", data={**_query(), "step": "login", "username": "me", "password": PASSWORD}
    )
    assert right.status_code == 429  # even the right password waits: the guesser cannot tell
    assert "Quá nhiều lần thử" in right.text


def test_pages_escape_what_they_reflect_and_refuse_framing(client: TestClient) -> None:
    page = client.get("/auth/authorize", params=_query(state='"><script>alert(1)</script>'))
    assert page.status_code == 200
    assert "<script>" not in page.text
    assert "&quot;&gt;&lt;script&gt;" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    consent = client.post(
        "/auth/authorize", data={**_query(), "step": "login", "username": "me", "password": PASSWORD}
    )
    assert '<b>"x"</b>' not in consent.text
    assert "App &lt;b&gt;&quot;x&quot;&lt;/b&gt;" in consent.text


def test_pages_in_vietnamese_by_default_and_english_on_request(client: TestClient) -> None:
    assert "Mật khẩu" in client.get("/auth/authorize", params=_query()).text
    english = client.get("/auth/authorize", params=_query(ui_locales="en"))
    assert "Password" in english.text
    assert 'lang="en"' in english.text
    consent = client.post(
        "/auth/authorize",
        data={**_query(), "step": "login", "lang": "en", "username": "me", "password": PASSWORD},
    )
    assert "read, search: every kind of record — only the chosen child's record" in html.unescape(
        consent.text
    )


def test_unknown_client_gets_an_error_page_not_a_redirect(client: TestClient) -> None:
    page = client.get("/auth/authorize", params=_query(client_id="ghost"), follow_redirects=False)
    assert page.status_code == 400
    assert "location" not in page.headers


def test_codes_live_sixty_seconds(
    auth: AuthComponents, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    code = _code(client)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 61)
    response = client.post(
        "/auth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": "app",
            "code_verifier": VERIFIER,
        },
    )
    assert response.json()["error"] == "invalid_grant"


def test_no_token_or_password_reaches_the_logs(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    code = _code(client)
    token = client.post(
        "/auth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": "app",
            "code_verifier": VERIFIER,
        },
    ).json()
    assert token["access_token"]
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in (token["access_token"], token["refresh_token"], code, PASSWORD, VERIFIER):
        assert secret not in text


def test_create_app_mounts_the_authorization_server(tmp_path: object) -> None:
    settings = Settings(database_url="memory://")
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        smart = client.get("/fhir/.well-known/smart-configuration")
        assert smart.status_code == 200
        assert smart.json()["token_endpoint"].endswith("/auth/token")
        assert client.get("/.well-known/openid-configuration").status_code == 200
        assert client.get("/auth/jwks").json()["keys"]


def test_the_audience_follows_the_fhir_base(monkeypatch: pytest.MonkeyPatch) -> None:
    from fhir_server.app import auth_settings_for

    monkeypatch.setenv("AUTH_ISSUER", "https://registry.example.vn")
    assert auth_settings_for(Settings(base_path="/r4")).fhir_audience == "https://registry.example.vn/r4"
    public = Settings(public_base_url="https://fhir.example.vn/fhir/")
    assert auth_settings_for(public).fhir_audience == "https://fhir.example.vn/fhir"
    monkeypatch.setenv("AUTH_AUDIENCE", "https://other/fhir")
    assert auth_settings_for(Settings()).fhir_audience == "https://other/fhir"
