"""Issue 5 item 3's edges: authentication is on by default, switching it off logs a loud warning, and the
demo tokens `make run` tells about (`seed-demo` prints the instructions) are accepted and confined."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from auth.component import AuthComponents, build_auth
from auth.settings import AuthSettings
from bench.population import generate
from fhir_server import demo
from fhir_server.app import create_app
from fhir_server.settings import Settings

BASE = "http://testserver"


def test_authentication_is_on_by_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("FHIR_AUTH_REQUIRED", raising=False)  # the test suite's environment turns it off
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'f.sqlite3'}", audit=False)
    assert settings.auth_required is True
    auth = build_auth(AuthSettings(database_url="memory://", issuer=BASE, audience=f"{BASE}/fhir"))
    with TestClient(create_app(settings, auth=auth), base_url=BASE) as client:
        refused = client.get("/fhir/Patient")
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")


def test_switching_it_off_logs_a_loud_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'f.sqlite3'}", auth_required=False, audit=False)
    auth = build_auth(AuthSettings(database_url="memory://", issuer=BASE, audience=f"{BASE}/fhir"))
    with caplog.at_level(logging.WARNING, logger="fhir_server.app"):
        create_app(settings, auth=auth)
    assert any(
        "FHIR_AUTH_REQUIRED=false" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records
    )


def _bearer(auth: AuthComponents, who: str) -> dict[str, str]:
    token = demo.demo_token(who, auth.settings, auth.store, auth.issuer)["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_demo_tokens_work_and_are_confined(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'f.sqlite3'}",
        auth_required=True,
        audit=False,
        profiles_enforced="none",
        forecast_upkeep=False,
    )
    auth = build_auth(AuthSettings(database_url="memory://", issuer=BASE, audience=f"{BASE}/fhir"))
    population = list(generate(3, seed=7))
    people = demo.people(population)
    demo.create_demo_accounts(auth.store, people, tmp_path / "emr.json")
    assert auth.store.client(demo.APP) is not None and auth.store.client(demo.EMR) is not None
    assert "demo-token" in demo.instructions(BASE)
    with TestClient(create_app(settings, auth=auth), base_url=BASE) as client:
        emr = _bearer(auth, "emr")
        for resource in population:
            if resource["resourceType"] in ("Patient", "Immunization"):
                url = f"/fhir/{resource['resourceType']}/{resource['id']}"
                assert client.put(url, json=resource, headers=emr).status_code in (200, 201)
        parent = _bearer(auth, "parent")
        seen = client.get("/fhir/Patient", headers=parent).json()
        assert [e["resource"]["id"] for e in seen["entry"]] == [people.patient]
        nurse = _bearer(auth, "nurse")
        assert len(client.get("/fhir/Patient", headers=nurse).json()["entry"]) == 3
        with pytest.raises(LookupError):
            demo.demo_token("nobody", auth.settings, auth.store, auth.issuer)
