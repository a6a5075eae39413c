"""A real server with registered clients and users, and the browser half of the authorization code flow
(what a person does on the sign-in and consent pages), for the auth end-to-end tests."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc.jwk import ECKey, RSAKey

from auth.admin import create_client, create_user
from auth.models import ClientKind, Role
from auth.store.factory import open_auth_store
from tests.e2e.server import ServerProcess, free_port

APP_REDIRECT = "http://127.0.0.1:9/callback"  # never called: the test reads the Location header
PASSWORD = "correct horse battery"
APP_SCOPE = " ".join(
    [
        "openid fhirUser launch/patient offline_access online_access",
        "patient/*.rs patient/Immunization.cruds user/*.rs",
    ]
)


class FiveMinuteAssertion(PrivateKeyJWT):  # type: ignore[misc]
    """authlib's client signs assertions valid for an hour; SMART Backend Services allows at most five
    minutes, so the client asks for less."""

    def sign(self, auth: Any, token_endpoint: str) -> Any:
        self.claims = {"exp": int(time.time()) + 240}
        return super().sign(auth, token_endpoint)


@dataclass
class AuthWorld:
    server: ServerProcess
    rsa_key: RSAKey
    ec_key: ECKey
    remote_key: RSAKey
    confidential_secret: str

    @property
    def issuer(self) -> str:
        return self.server.root

    @property
    def token_url(self) -> str:
        return f"{self.server.root}/auth/token"

    @property
    def authorize_url(self) -> str:
        return f"{self.server.root}/auth/authorize"

    def backend(self, client_id: str, key: RSAKey | ECKey, alg: str, **kwargs: Any) -> OAuth2Client:
        return OAuth2Client(
            client_id=client_id,
            client_secret=key,
            token_endpoint_auth_method=FiveMinuteAssertion(self.token_url, alg=alg, headers={"kid": key.kid}),
            **kwargs,
        )

    def introspect(self, token: str, client_id: str = "parent-app") -> dict[str, Any]:
        response = httpx.post(
            f"{self.server.root}/auth/introspect", data={"token": token, "client_id": client_id}
        )
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body


def _jwks(*keys: RSAKey | ECKey) -> dict[str, Any]:
    return {"keys": [{**k.as_dict(private=False), "kid": k.kid} for k in keys]}


class _JwksHandler(BaseHTTPRequestHandler):
    body = b"{}"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


def serve_jwks(jwks: dict[str, Any]) -> tuple[ThreadingHTTPServer, str]:
    handler = type("Handler", (_JwksHandler,), {"body": json.dumps(jwks).encode()})
    httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}/jwks.json"


def start_world(tmp: Path, workers: int = 1, **env: str) -> Iterator[AuthWorld]:
    database = tmp / "auth.sqlite3"
    rsa_key = RSAKey.generate_key(2048, parameters={"kid": "emr-rsa"}, private=True)
    ec_key = ECKey.generate_key("P-384", parameters={"kid": "emr-ec"}, private=True)
    remote_key = RSAKey.generate_key(2048, parameters={"kid": "remote-rsa"}, private=True)
    jwks_server, jwks_uri = serve_jwks(_jwks(remote_key))
    store = open_auth_store(f"sqlite:///{database}")
    system_scope = "system/Immunization.cruds system/Patient.rs"
    create_client(
        store,
        kind=ClientKind.BACKEND,
        name="Hospital EMR",
        scope=system_scope,
        client_id="emr",
        jwks=_jwks(rsa_key, ec_key),
        organization="org-hospital-1",
    )
    create_client(
        store,
        kind=ClientKind.BACKEND,
        name="Clinic software",
        scope=system_scope,
        client_id="clinic",
        jwks_uri=jwks_uri,
        organization="org-clinic-2",
    )
    create_client(
        store,
        kind=ClientKind.PUBLIC,
        name="Sổ tiêm của bé",
        scope=APP_SCOPE,
        client_id="parent-app",
        redirect_uris=(APP_REDIRECT,),
    )
    _, secret = create_client(
        store,
        kind=ClientKind.CONFIDENTIAL,
        name="Station app",
        scope=APP_SCOPE,
        client_id="station-app",
        redirect_uris=(APP_REDIRECT,),
    )
    assert secret
    create_user(
        store,
        username="me.lan",
        password=PASSWORD,
        role=Role.PARENT,
        fhir_user="RelatedPerson/rp-1",
        patients=("child-a", "child-b"),
    )
    create_user(
        store,
        username="bo.minh",
        password=PASSWORD,
        role=Role.PARENT,
        fhir_user="RelatedPerson/rp-2",
        patients=("child-c",),
    )
    create_user(
        store,
        username="nurse.hoa",
        password=PASSWORD,
        role=Role.HEALTH_WORKER,
        fhir_user="Practitioner/pr-1",
        practitioner_role="prr-1",
        organization="org-station-9",
    )
    store.close()
    server = ServerProcess(
        tmp / "fhir.sqlite3",
        workers=workers,
        env={
            "AUTH_DATABASE_URL": f"sqlite:///{database}",
            "AUTH_TOKEN_BURST": "10000",  # rate limits have their own tests
            "AUTH_LOGIN_BURST": "10000",
            **env,
        },
    ).start()
    try:
        yield AuthWorld(server, rsa_key, ec_key, remote_key, secret)
    finally:
        server.stop()
        jwks_server.shutdown()


def sign_in(
    world: AuthWorld, authorization_url: str, username: str = "me.lan", patient: str | None = None
) -> httpx.Response:
    """A person opens the authorization URL, signs in, (picks a child,) and allows: the final response is
    the redirect back to the app."""
    with httpx.Client() as browser:
        page = browser.get(authorization_url)
        assert page.status_code == 200, page.text
        fields = _hidden_fields(page.text)
        consent = browser.post(
            world.authorize_url, data={**fields, "username": username, "password": PASSWORD}
        )
        assert consent.status_code == 200, consent.text
        fields = _hidden_fields(consent.text)
        choice = {"patient": patient} if patient else {}
        return browser.post(world.authorize_url, data={**fields, **choice, "decision": "allow"})


def _hidden_fields(html: str) -> dict[str, str]:
    import html as entities

    return {
        name: entities.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html)
    }


def code_of(redirect: httpx.Response) -> dict[str, str]:
    assert redirect.status_code == 302, redirect.text
    location = redirect.headers["location"]
    assert location.startswith(APP_REDIRECT)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
