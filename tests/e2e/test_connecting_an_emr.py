"""The README's "Connecting an EMR" and CLI steps, as written: register with `fhir-server create-client`,
get a token with a signed assertion, push an Immunization with it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from joserfc.jwk import RSAKey

from auth.models import ClientKind, Role
from auth.store.factory import open_auth_store
from tests.e2e.auth_world import FiveMinuteAssertion
from tests.e2e.server import ServerProcess

pytestmark = pytest.mark.e2e


def _cli(database: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fhir_server", *args],
        env={**os.environ, "AUTH_DATABASE_URL": f"sqlite:///{database}"},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_register_an_emr_get_a_token_and_push_an_immunization(tmp_path: Path) -> None:
    auth_db = tmp_path / "auth.sqlite3"
    # 1. the EMR makes its key pair and gives us only the public half
    key = RSAKey.generate_key(2048, parameters={"kid": "emr-2026-1"}, private=True)
    (tmp_path / "emr-jwks.json").write_text(json.dumps({"keys": [key.as_dict(private=False)]}))

    # 2. an administrator registers it
    registered = _cli(
        auth_db,
        "create-client",
        "--kind",
        "backend",
        "--name",
        "Bệnh viện Nhi EMR",
        "--client-id",
        "emr-nhi",
        "--organization",
        "org-0001",
        "--scope",
        "system/Immunization.cruds system/Patient.rs",
        "--jwks-file",
        str(tmp_path / "emr-jwks.json"),
    )
    assert registered.returncode == 0, registered.stderr
    shown = json.loads(registered.stdout)
    assert shown["client_id"] == "emr-nhi"
    assert shown["token_endpoint_auth_method"] == "private_key_jwt"
    assert "client_secret" not in shown

    server = ServerProcess(
        tmp_path / "fhir.sqlite3", env={"AUTH_DATABASE_URL": f"sqlite:///{auth_db}"}
    ).start()
    try:
        token_url = f"{server.root}/auth/token"
        # 3. the EMR gets a token with a signed assertion (RS384)
        with OAuth2Client(
            client_id="emr-nhi",
            client_secret=key,
            token_endpoint_auth_method=FiveMinuteAssertion(
                token_url, alg="RS384", headers={"kid": "emr-2026-1"}
            ),
        ) as emr:
            token = emr.fetch_token(
                token_url, grant_type="client_credentials", scope="system/Immunization.cruds"
            )
        assert token["scope"] == "system/Immunization.cruds"

        # 4. and pushes an Immunization, idempotently (conditional create on its identifier)
        immunization = {
            "resourceType": "Immunization",
            "identifier": [{"system": "https://emr.nhi.example.vn/immunization", "value": "IMM-1"}],
            "status": "completed",
            "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "08"}]},
            "patient": {"reference": "Patient/pat-1"},
            "occurrenceDateTime": "2026-03-02T08:30:00+07:00",
            "primarySource": True,
        }
        headers = {
            "Authorization": f"Bearer {token['access_token']}",
            "Content-Type": "application/fhir+json",
            "If-None-Exist": "identifier=https://emr.nhi.example.vn/immunization|IMM-1",
        }
        first = httpx.post(f"{server.base}/Immunization", json=immunization, headers=headers)
        again = httpx.post(f"{server.base}/Immunization", json=immunization, headers=headers)
        assert first.status_code == 201, first.text
        assert again.status_code == 200
        assert again.headers["location"] == first.headers["location"]
    finally:
        server.stop()


def test_create_user_and_refusals(tmp_path: Path) -> None:
    auth_db = tmp_path / "auth.sqlite3"
    made = _cli(
        auth_db,
        "create-user",
        "--username",
        "me.lan",
        "--role",
        "parent",
        "--related-person",
        "rp-1",
        "--patient",
        "child-a",
        "--patient",
        "child-b",
        "--password-stdin",
        stdin="correct horse battery\n",
    )
    assert made.returncode == 0, made.stderr
    store = open_auth_store(f"sqlite:///{auth_db}")
    user = store.user_by_name("me.lan")
    store.close()
    assert user is not None
    assert user.role is Role.PARENT
    assert user.patients == ("child-a", "child-b")
    assert user.fhir_user == "RelatedPerson/rp-1"
    assert "correct horse" not in user.password_hash
    assert "correct horse" not in made.stdout + made.stderr

    short = _cli(
        auth_db, "create-user", "--username", "x", "--role", "auditor", "--password-stdin", stdin="short\n"
    )
    assert short.returncode == 2
    assert "at least 10" in short.stderr

    orphan = _cli(
        auth_db, "create-user", "--username", "y", "--role", "parent", "--password-stdin", stdin="p" * 12
    )
    assert orphan.returncode == 2

    wrong = _cli(auth_db, "create-client", "--kind", "backend", "--name", "x", "--scope", "patient/*.rs")
    assert wrong.returncode == 2
    assert "system/ scopes only" in wrong.stderr

    app = _cli(
        auth_db,
        "create-client",
        "--kind",
        "confidential",
        "--name",
        "Station app",
        "--scope",
        "user/*.rs",
        "--redirect-uri",
        "https://station.example.vn/callback",
    )
    assert app.returncode == 0, app.stderr
    shown = json.loads(app.stdout)
    assert shown["token_endpoint_auth_method"] == "client_secret_basic"
    store = open_auth_store(f"sqlite:///{auth_db}")
    client = store.client(shown["client_id"])
    store.close()
    assert client is not None and client.kind is ClientKind.CONFIDENTIAL
    assert client.check_client_secret(shown["client_secret"])
    assert shown["client_secret"] not in (client.secret_hash or "")


def test_rotate_keys(tmp_path: Path) -> None:
    auth_db = tmp_path / "auth.sqlite3"
    first = json.loads(_cli(auth_db, "rotate-keys").stdout)["kid"]
    second = json.loads(_cli(auth_db, "rotate-keys").stdout)["kid"]
    assert first != second
    store = open_auth_store(f"sqlite:///{auth_db}")
    keys = store.signing_keys()
    store.close()
    assert [k.kid for k in keys] == [first, second]
    assert keys[0].retire_at <= keys[1].created_at < keys[1].retire_at  # the first signs no more
