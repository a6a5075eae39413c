"""A small world for the enforcement tests: the app with FHIR_AUTH_REQUIRED and the audit trail on, two
children in two families, two clinics, and tokens signed by the app's own authorization server."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from auth.component import AuthComponents, build_auth
from auth.settings import AuthSettings
from fhir_server.app import create_app
from fhir_server.services.audit import AuditTrail
from fhir_server.settings import Settings

BASE = "http://testserver"
FHIR_JSON = "application/fhir+json"


@dataclass
class World:
    client: TestClient
    auth: AuthComponents
    admin: dict[str, str]  # headers of an admin token that may do everything

    def token(self, scope: str, **claims: Any) -> dict[str, str]:
        """Authorization headers for a token the app's own server signs."""
        now = int(time.time())
        body = {
            "iss": BASE,
            "aud": f"{BASE}/fhir",
            "sub": claims.pop("sub", "u-" + secrets.token_hex(4)),
            "client_id": claims.pop("client_id", "test-app"),
            "scope": scope,
            "iat": now,
            "nbf": now,
            "exp": now + 300,
            "jti": secrets.token_urlsafe(8),
            **claims,
        }
        return {"Authorization": f"Bearer {self.auth.issuer.sign(body)}"}

    def parent(self, patient: str, scope: str = "patient/*.rs") -> dict[str, str]:
        return self.token(scope, role="parent", patient=patient, fhirUser="RelatedPerson/rp-" + patient)

    def nurse(self, org: str, scope: str = "user/*.cruds") -> dict[str, str]:
        return self.token(
            scope, role="health_worker", organization=f"Organization/{org}", fhirUser=f"Practitioner/pr-{org}"
        )

    def audit(self) -> AuditTrail:
        trail = self.client.app.state.audit  # type: ignore[attr-defined]
        assert isinstance(trail, AuditTrail)
        trail.flush()
        return trail

    def put(self, resource: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
        url = f"/fhir/{resource['resourceType']}/{resource['id']}"
        response = self.client.put(url, json=resource, headers=headers or self.admin)
        assert response.status_code in (200, 201), response.text
        return response.json()


def patient(id: str, family: str, state: str = "Hà Nội") -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": id,
        "name": [{"family": family, "given": ["An"]}],
        "gender": "female",
        "birthDate": "2025-01-15",
        "address": [{"city": "Phường Ba Đình", "state": state, "country": "VN"}],
    }


def immunization(id: str, patient_id: str, code: str = "08", **more: Any) -> dict[str, Any]:
    return {
        "resourceType": "Immunization",
        "id": id,
        "status": "completed",
        "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": code}]},
        "patient": {"reference": f"Patient/{patient_id}"},
        "occurrenceDateTime": "2025-03-02T08:30:00+07:00",
        "primarySource": True,
        "lotNumber": f"LOT-{id}",
        **more,
    }


def observation(id: str, patient_id: str, category: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": id,
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": category,
                    }
                ]
            }
        ],
        "code": {"text": "weight"},
        "subject": {"reference": f"Patient/{patient_id}"},
    }


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'secure.sqlite3'}", auth_required=True, audit=True
    )
    auth = build_auth(AuthSettings(database_url="memory://", issuer=BASE, audience=f"{BASE}/fhir"))
    with TestClient(create_app(settings, auth=auth), base_url=BASE) as client:
        world = World(client, auth, {})
        world.admin = world.token("user/*.cruds", role="admin", organization="Organization/registry")
        world.put({"resourceType": "Organization", "id": "clinic-a", "name": "Clinic A"})
        world.put({"resourceType": "Organization", "id": "clinic-b", "name": "Clinic B"})
        world.put(patient("child-1", "Nguyễn"))
        world.put(patient("child-2", "Trần", state="Hồ Chí Minh"))
        world.put(
            immunization("imm-1", "child-1", performer=[{"actor": {"reference": "Organization/clinic-a"}}])
        )
        world.put(
            immunization("imm-2", "child-2", performer=[{"actor": {"reference": "Organization/clinic-b"}}])
        )
        world.put(observation("obs-vital-1", "child-1", "vital-signs"))
        world.put(observation("obs-lab-1", "child-1", "laboratory"))
        world.put(observation("obs-lab-2", "child-2", "laboratory"))
        yield world
