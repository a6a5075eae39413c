"""Enforcement over real HTTP (uvicorn) with real tokens from our authorization server: a parent signed in
with the code flow + PKCE, two backend systems with signed assertions. FHIR_AUTH_REQUIRED and the audit
trail on, as in production."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client

from tests.e2e.auth_world import APP_REDIRECT, AuthWorld, sign_in, start_world

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthWorld]:
    yield from start_world(
        tmp_path_factory.mktemp("enforcement"), FHIR_AUTH_REQUIRED="true", FHIR_AUDIT="true"
    )


def _backend_token(world: AuthWorld, client_id: str, key: Any, scope: str) -> dict[str, str]:
    with world.backend(client_id, key, "RS384") as client:
        token = client.fetch_token(world.token_url, grant_type="client_credentials", scope=scope)
    return {"Authorization": f"Bearer {token['access_token']}"}


def _parent_token(world: AuthWorld) -> dict[str, str]:
    verifier = secrets.token_urlsafe(48)
    with OAuth2Client(
        client_id="parent-app",
        redirect_uri=APP_REDIRECT,
        scope="openid fhirUser launch/patient patient/*.rs",
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    ) as app:
        url, _ = app.create_authorization_url(world.authorize_url, code_verifier=verifier)
        redirect = sign_in(world, url, patient="child-a")
        token = app.fetch_token(
            world.token_url, authorization_response=redirect.headers["location"], code_verifier=verifier
        )
    assert token["patient"] == "child-a"
    return {"Authorization": f"Bearer {token['access_token']}"}


def _immunization(patient: str) -> dict[str, Any]:
    return {
        "resourceType": "Immunization",
        "status": "completed",
        "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "08"}]},
        "patient": {"reference": f"Patient/{patient}"},
        "occurrenceDateTime": "2026-03-02T08:30:00+07:00",
        "primarySource": True,
    }


def test_enforcement_end_to_end(world: AuthWorld) -> None:
    base = world.server.base
    emr = _backend_token(world, "emr", world.rsa_key, "system/Immunization.cruds system/Patient.rs")
    assert httpx.get(f"{base}/Immunization").status_code == 401
    assert httpx.get(f"{base}/metadata").json()["rest"][0]["security"]

    # the hospital records a dose for each of two children
    mine = httpx.post(f"{base}/Immunization", json=_immunization("child-a"), headers=emr)
    other = httpx.post(f"{base}/Immunization", json=_immunization("child-c"), headers=emr)
    assert mine.status_code == other.status_code == 201, mine.text

    # the parent of child-a sees that dose and nothing of child-c, whichever way they ask
    parent = _parent_token(world)
    assert httpx.get(f"{base}/Immunization/{mine.json()['id']}", headers=parent).status_code == 200
    assert httpx.get(f"{base}/Immunization/{other.json()['id']}", headers=parent).status_code == 404
    found = httpx.get(f"{base}/Immunization", headers=parent).json()
    assert [e["resource"]["id"] for e in found["entry"]] == [mine.json()["id"]]
    assert httpx.get(f"{base}/Patient/child-c/Immunization", headers=parent).json().get("entry", []) == []
    write = httpx.post(f"{base}/Immunization", json=_immunization("child-a"), headers=parent)
    assert write.status_code == 403
    assert "insufficient_scope" in write.headers["www-authenticate"]

    # the clinic (another organisation) may not change the hospital's record
    clinic = _backend_token(world, "clinic", world.remote_key, "system/Immunization.cruds")
    changed = {**other.json(), "lotNumber": "CLINIC"}
    refused = httpx.put(f"{base}/Immunization/{other.json()['id']}", json=changed, headers=clinic)
    assert refused.status_code == 403
    assert refused.json()["issue"][0]["code"] == "forbidden"
    assert (
        httpx.put(f"{base}/Immunization/{other.json()['id']}", json=changed, headers=emr).status_code == 200
    )
    # nobody but an auditor reads the audit trail
    assert httpx.get(f"{base}/AuditEvent", headers=emr).status_code == 403
