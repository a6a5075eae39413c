"""Demo users and clients for `make run` (`seed-demo` creates them, `demo-token` prints a token for one).

Who: a parent of the first demo child, a nurse at the first demo organisation, a manager of that child's
province, an auditor, and a backend client (an EMR) whose private key is written to var/. `demo-token`
signs with the authorization server's own keys, so it needs the auth database (AUTH_DATABASE_URL): it is
an administrator's convenience on the server's machine, like `create-user`, not an API.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from auth.admin import create_client, create_user
from auth.models import Client, ClientKind, Role, User
from auth.settings import AuthSettings
from auth.store.base import AuthStore

PASSWORD: Final = "demo-password-2026"
APP: Final = "demo-app"
EMR: Final = "demo-emr"
APP_SCOPE: Final = (
    "openid fhirUser launch/patient offline_access patient/*.rs user/*.cruds user/AuditEvent.rs"
)
EMR_SCOPE: Final = "system/*.cruds"


@dataclass(frozen=True, slots=True)
class DemoPeople:
    """Ids in the demo population the demo users are linked to."""

    patient: str
    mother: str
    organization: str
    province: str


def people(resources: Iterable[dict[str, Any]]) -> DemoPeople:
    """The first child, their mother, the first organisation and the child's province."""
    patient = mother = organization = province = None
    for resource in resources:
        kind = resource["resourceType"]
        if kind == "Patient" and patient is None:
            patient = resource["id"]
            province = resource.get("address", [{}])[0].get("state")
        elif kind == "RelatedPerson" and mother is None:
            mother = resource["id"]
        elif kind == "Organization" and organization is None:
            organization = resource["id"]
        if patient and mother and organization:
            break
    if not (patient and mother and organization and province):
        raise ValueError("the demo population lacks a patient, mother or organisation")
    return DemoPeople(patient, mother, organization, province)


# username -> (role, what create_user needs beyond it)
def _users(p: DemoPeople) -> dict[str, dict[str, Any]]:
    return {
        "demo.parent": {
            "role": Role.PARENT,
            "fhir_user": f"RelatedPerson/{p.mother}",
            "patients": (p.patient,),
        },
        "demo.nurse": {"role": Role.HEALTH_WORKER, "organization": p.organization},
        "demo.manager": {"role": Role.MANAGER, "area": p.province},
        "demo.auditor": {"role": Role.AUDITOR},
    }


def create_demo_accounts(store: AuthStore, p: DemoPeople, key_file: Path) -> None:
    """Idempotent: accounts that exist are left as they are."""
    from joserfc.jwk import RSAKey

    if store.client(APP) is None:
        create_client(
            store,
            kind=ClientKind.PUBLIC,
            name="Demo app",
            scope=APP_SCOPE,
            client_id=APP,
            redirect_uris=("http://127.0.0.1:5000/callback",),
        )
    if store.client(EMR) is None:
        key = RSAKey.generate_key(2048, parameters={"kid": "demo-emr-1"}, private=True)
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(json.dumps(key.as_dict(private=True)))
        create_client(
            store,
            kind=ClientKind.BACKEND,
            name="Demo EMR",
            scope=EMR_SCOPE,
            client_id=EMR,
            jwks={"keys": [key.as_dict(private=False)]},
            organization=p.organization,
        )
    for username, fields in _users(p).items():
        if store.user_by_name(username) is None:
            create_user(store, username=username, password=PASSWORD, **fields)


def demo_token(who: str, settings: AuthSettings, store: AuthStore, issuer: Any) -> dict[str, Any]:
    """A token response for a demo user (`parent`, `nurse`, `manager`, `auditor`) or the EMR (`emr`)."""
    if who == "emr":
        client = _client(store, EMR)
        return dict(issuer.issue(client=client, user=None, scope=EMR_SCOPE))
    user = store.user_by_name(f"demo.{who}")
    if user is None:
        raise LookupError(f"no demo user {who!r}: run `fhir-server seed-demo` first")
    client = _client(store, APP)
    return dict(issuer.issue(client=client, user=user, scope=_scope(user), patient=_patient(user)))


def _scope(user: User) -> str:
    if user.role is Role.PARENT:
        return "openid fhirUser launch/patient patient/*.rs"
    if user.role is Role.AUDITOR:
        return "openid fhirUser user/AuditEvent.rs"
    if user.role is Role.MANAGER:
        return "openid fhirUser user/*.rs"
    return "openid fhirUser user/*.cruds"


def _patient(user: User) -> str | None:
    return user.patients[0] if user.role is Role.PARENT and user.patients else None


def _client(store: AuthStore, client_id: str) -> Client:
    client = store.client(client_id)
    if client is None:
        raise LookupError(f"no demo client {client_id!r}: run `fhir-server seed-demo` first")
    return client


def instructions(issuer: str) -> str:
    return f"""
Demo accounts (password {PASSWORD!r} for the users; sign in at {issuer}/auth/authorize with the app
'{APP}', or take a 5-minute token straight from the auth database):

  TOKEN=$(.venv/bin/fhir-server demo-token nurse)      # parent | nurse | manager | auditor | emr
  curl -s -H "Authorization: Bearer $TOKEN" '{issuer}/fhir/Immunization?_count=2'

  parent:  patient/*.rs for one child      nurse:   user/*.cruds at the first organisation
  manager: user/*.rs for one province      auditor: user/AuditEvent.rs      emr: system/*.cruds
Every FHIR request needs a token (FHIR_AUTH_REQUIRED=false turns this off, for development only).
""".strip("\n")
