"""What the authorization server keeps: clients, users, codes, refresh tokens, signing keys. Plain frozen
records; the methods named get_*/check_* are the ones authlib's grants call (its ClientMixin,
AuthorizationCodeMixin and TokenMixin protocols)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from auth.passwords import verify_secret
from auth.scopes import Context, ScopeSet


class ClientKind(StrEnum):
    PUBLIC = "public"
    """A browser or phone app: no secret, PKCE only."""
    CONFIDENTIAL = "confidential"
    """A server-side app: a client secret or a signed assertion, plus PKCE."""
    BACKEND = "backend"
    """A system (an EMR, a clinic's software) acting for an Organization: client_credentials with
    private_key_jwt, SMART Backend Services."""


class Role(StrEnum):
    PARENT = "parent"
    HEALTH_WORKER = "health_worker"
    MANAGER = "manager"
    AUDITOR = "auditor"
    ADMIN = "admin"


ROLE_CONTEXTS: dict[Role, frozenset[Context]] = {
    Role.PARENT: frozenset({Context.PATIENT}),  # their own children's compartments and nothing else
    Role.HEALTH_WORKER: frozenset({Context.PATIENT, Context.USER}),
    Role.MANAGER: frozenset({Context.USER}),
    Role.AUDITOR: frozenset({Context.USER}),
    Role.ADMIN: frozenset({Context.PATIENT, Context.USER}),
}


def contexts_for(role: Role, patient: str | None) -> frozenset[Context]:
    """The scope contexts a user may be granted: their role's, and `patient/` only with a launch patient
    (so a token with patient/ scopes always names the patient they are confined to)."""
    contexts = ROLE_CONTEXTS[role]
    return contexts if patient else contexts - {Context.PATIENT}


GRANT_TYPES: dict[ClientKind, frozenset[str]] = {
    ClientKind.PUBLIC: frozenset({"authorization_code", "refresh_token"}),
    ClientKind.CONFIDENTIAL: frozenset({"authorization_code", "refresh_token"}),
    ClientKind.BACKEND: frozenset({"client_credentials"}),
}


@dataclass(frozen=True)
class Client:
    client_id: str
    kind: ClientKind
    name: str
    auth_method: str
    """none (public apps), client_secret_basic / client_secret_post, or private_key_jwt."""
    scope: str
    """The most this client may ever be granted (requests are narrowed to it)."""
    redirect_uris: tuple[str, ...] = ()
    secret_hash: str | None = None
    jwks: dict[str, Any] | None = None
    jwks_uri: str | None = None
    organization: str | None = None
    """Organization id a backend system records for (its writes are that organisation's)."""

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # redirect_uri is always required, and matched exactly

    def get_allowed_scope(self, scope: str | None) -> str:
        return str(ScopeSet.parse(scope).within(ScopeSet.parse(self.scope)))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return verify_secret(self.secret_hash, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and self.kind is not ClientKind.BACKEND

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in GRANT_TYPES[self.kind]


@dataclass(frozen=True)
class User:
    user_id: str
    username: str
    role: Role
    password_hash: str
    fhir_user: str | None = None
    """RelatedPerson/<id> for a parent, Practitioner/<id> for a health worker."""
    patients: tuple[str, ...] = ()
    """Patient ids of a parent's children."""
    practitioner_role: str | None = None
    organization: str | None = None
    area: str | None = None
    """Administrative unit code (province or commune) a manager oversees."""
    active: bool = True

    def get_user_id(self) -> str:
        return self.user_id


@dataclass(frozen=True)
class AuthCode:
    code_hash: str
    client_id: str
    user_id: str
    redirect_uri: str
    scope: str
    code_challenge: str
    code_challenge_method: str
    expires_at: int
    patient: str | None = None
    nonce: str | None = None

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


@dataclass(frozen=True)
class RefreshToken:
    token_hash: str
    family: str
    """Every refresh token rotated from one authorization shares a family; reuse revokes the family."""
    client_id: str
    user_id: str
    scope: str
    expires_at: int
    patient: str | None = None
    used: bool = False
    revoked: bool = False

    def check_client(self, client: Client) -> bool:
        return client.client_id == self.client_id

    def get_scope(self) -> str:
        return self.scope


@dataclass(frozen=True)
class SigningKey:
    kid: str
    alg: str
    private_jwk: dict[str, Any] = field(repr=False)
    created_at: int
    retire_at: int
    """No new tokens are signed with it from then on."""
    drop_at: int
    """Out of the JWKS from then on: every token it signed has expired."""
