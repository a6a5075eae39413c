"""Registering clients and users: what `fhir-server create-client` and `create-user` call."""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

from auth.models import Client, ClientKind, Role, User
from auth.passwords import hash_secret
from auth.scopes import Context, ScopeSet
from auth.store.base import AuthStore

_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")  # FHIR id grammar, for the ids a user or client links to


class RegistrationError(ValueError):
    pass


def create_client(
    store: AuthStore,
    *,
    kind: ClientKind,
    name: str,
    scope: str,
    client_id: str | None = None,
    redirect_uris: tuple[str, ...] = (),
    jwks: dict[str, Any] | str | None = None,
    jwks_uri: str | None = None,
    organization: str | None = None,
    with_secret: bool = False,
) -> tuple[Client, str | None]:
    """Registers a client; returns it and, for a confidential app with a secret, the secret (shown once,
    stored only hashed)."""
    client_id = client_id or f"{kind.value}-{secrets.token_hex(6)}"
    if store.client(client_id) is not None:
        raise RegistrationError(f"client {client_id!r} exists")
    scopes = ScopeSet.parse(scope)
    key_set: dict[str, Any] | None = json.loads(jwks) if isinstance(jwks, str) else jwks
    secret: str | None = None
    if kind is ClientKind.BACKEND:
        if scopes.contexts - {Context.SYSTEM}:
            raise RegistrationError("a backend client holds system/ scopes only")
        if not (key_set or jwks_uri):
            raise RegistrationError("a backend client needs its public keys: --jwks or --jwks-uri")
        if organization is not None and not _ID.match(organization):
            raise RegistrationError("organization must be a FHIR id")
        method = "private_key_jwt"
    else:
        if Context.SYSTEM in scopes.contexts:
            raise RegistrationError("system/ scopes are for backend clients")
        if not redirect_uris:
            raise RegistrationError("an app needs at least one redirect URI")
        if kind is ClientKind.PUBLIC:
            method = "none"
        elif key_set or jwks_uri:
            method = "private_key_jwt"
        else:
            with_secret = True
            method = "client_secret_basic"
    if with_secret and kind is ClientKind.CONFIDENTIAL:
        secret = secrets.token_urlsafe(32)
    client = Client(
        client_id=client_id,
        kind=kind,
        name=name,
        auth_method=method,
        scope=str(scopes),
        redirect_uris=tuple(redirect_uris),
        secret_hash=hash_secret(secret) if secret else None,
        jwks=key_set,
        jwks_uri=jwks_uri,
        organization=organization,
    )
    store.put_client(client)
    return client, secret


def create_user(
    store: AuthStore,
    *,
    username: str,
    password: str,
    role: Role,
    fhir_user: str | None = None,
    patients: tuple[str, ...] = (),
    practitioner_role: str | None = None,
    organization: str | None = None,
    area: str | None = None,
) -> User:
    if store.user_by_name(username) is not None:
        raise RegistrationError("a user with this username exists")
    if len(password) < 10:
        raise RegistrationError("the password must have at least 10 characters")
    for value in (*patients, practitioner_role, organization):
        if value is not None and not _ID.match(value):
            raise RegistrationError("patient, practitioner role and organization must be FHIR ids")
    if fhir_user is not None and not re.match(
        r"^(RelatedPerson|Practitioner|Patient)/[A-Za-z0-9\-.]{1,64}$", fhir_user
    ):
        raise RegistrationError("fhirUser must be RelatedPerson/<id>, Practitioner/<id> or Patient/<id>")
    if role is Role.PARENT and not patients:
        raise RegistrationError("a parent is linked to at least one child (--patient)")
    if role is Role.HEALTH_WORKER and not organization:
        raise RegistrationError("a health worker belongs to an organization (--organization)")
    if role is Role.MANAGER and not area:
        raise RegistrationError("a manager oversees an area (--area)")
    user = User(
        user_id=f"u-{secrets.token_hex(8)}",
        username=username,
        role=role,
        password_hash=hash_secret(password),
        fhir_user=fhir_user,
        patients=tuple(patients),
        practitioner_role=practitioner_role,
        organization=organization,
        area=area,
    )
    store.put_user(user)
    return user
