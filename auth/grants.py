"""authlib grants, configured the SMART way: authorization code with PKCE S256 only and `state` required;
refresh tokens that rotate, with reuse detection; client_credentials for backend systems. Tokens come from
`TokenIssuer`; the server object (auth.server.SmartServer) carries the store, issuer and settings."""

from __future__ import annotations

import hashlib
import hmac
import time
from base64 import urlsafe_b64encode
from typing import Any, ClassVar

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidRequestError, InvalidScopeError
from authlib.oauth2.rfc7636 import CodeChallenge

from auth.models import AuthCode, Client, RefreshToken, User, contexts_for
from auth.passwords import digest
from auth.scopes import ScopeError, ScopeSet
from auth.store.base import CodeReuse

APP_AUTH_METHODS = ["none", "client_secret_basic", "client_secret_post", "private_key_jwt"]


def _s256_matches(verifier: str, challenge: str) -> bool:
    computed = urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()
    return hmac.compare_digest(computed, challenge)


class S256Only(CodeChallenge):  # type: ignore[misc]
    """PKCE, required for every client, S256 only: a missing challenge, `plain`, or a missing method
    (which RFC 7636 would read as plain) is refused at the authorization endpoint."""

    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]
    CODE_CHALLENGE_METHODS: ClassVar[dict[str, Any]] = {"S256": _s256_matches}

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge': PKCE (S256) is required.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256.")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'.")
        super().validate_code_verifier(grant, result)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = APP_AUTH_METHODS

    def validate_authorization_request(self) -> str:
        redirect_uri: str = super().validate_authorization_request()
        if not self.request.payload.state:
            raise InvalidRequestError("Missing 'state' in request.", redirect_uri=redirect_uri)
        return redirect_uri

    def save_authorization_code(self, code: str, request: Any) -> None:
        user: User = request.user
        patient = getattr(request, "launch_patient", None)
        scope = ScopeSet.parse(request.scope).only(contexts_for(user.role, patient))
        data = request.payload.data
        self.server.store.add_code(
            AuthCode(
                code_hash=digest(code),
                client_id=request.client.client_id,
                user_id=user.user_id,
                redirect_uri=request.payload.redirect_uri,
                scope=str(scope),
                code_challenge=data["code_challenge"],
                code_challenge_method=data["code_challenge_method"],
                expires_at=int(time.time()) + self.server.settings.code_seconds,
                patient=patient,
                nonce=data.get("nonce"),
            )
        )

    def query_authorization_code(self, code: str, client: Client) -> AuthCode | None:
        try:
            found = self.server.store.consume_code(digest(code), int(time.time()))
        except CodeReuse as reuse:
            self.server.store.revoke_family(reuse.family)  # RFC 6749 §4.1.2: revoke what the code issued
            return None
        if found is None or found.client_id != client.client_id:
            return None
        consumed: AuthCode = found
        return consumed

    def delete_authorization_code(self, authorization_code: AuthCode) -> None:
        """Nothing to do: `query_authorization_code` consumed the code atomically."""

    def authenticate_user(self, authorization_code: AuthCode) -> User | None:
        return _active_user(self.server.store.user(authorization_code.user_id))

    def generate_token(self, user: User | None = None, scope: str | None = None, **_: Any) -> dict[str, Any]:
        code: AuthCode = self.request.authorization_code
        issued: dict[str, Any] = self.server.issuer.issue(
            client=self.request.client,
            user=user,
            scope=scope or "",
            patient=code.patient,
            family=code.code_hash,
            refresh=_wants_refresh(scope, self.request.client),
            nonce=code.nonce,
        )
        return issued

    def save_token(self, token: dict[str, Any]) -> None:
        """Nothing to do: the issuer stored the refresh token; access tokens are self-contained."""


class RefreshTokenGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = APP_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshToken | None:
        found: RefreshToken | None = self.server.store.refresh(digest(refresh_token))
        if found is None or found.revoked or found.expires_at <= time.time():
            return None
        if found.used:  # a rotated-out token came back: it leaked; end the whole family
            self.server.store.revoke_family(found.family)
            return None
        return found

    def _validate_token_scope(self, token: RefreshToken) -> None:
        requested = self.request.payload.scope
        try:
            if requested and not ScopeSet.parse(token.scope).covers(ScopeSet.parse(requested)):
                raise InvalidScopeError("A refresh may narrow the granted scopes, never widen them.")
        except ScopeError as error:
            raise InvalidScopeError(str(error)) from error

    def authenticate_user(self, refresh_token: RefreshToken) -> User | None:
        return _active_user(self.server.store.user(refresh_token.user_id))

    def issue_token(self, user: User, refresh_token: RefreshToken) -> dict[str, Any]:
        if not self.server.store.use_refresh(refresh_token.token_hash):  # lost a race with a replay
            self.server.store.revoke_family(refresh_token.family)
            raise InvalidGrantError("Refresh token already used.")
        scope = self.request.payload.scope or refresh_token.scope
        issued: dict[str, Any] = self.server.issuer.issue(
            client=self.request.client,
            user=user,
            scope=scope,
            patient=refresh_token.patient,
            family=refresh_token.family,
            refresh=True,
        )
        return issued

    def save_token(self, token: dict[str, Any]) -> None:
        """Nothing to do: the issuer stored the new refresh token."""

    def revoke_old_credential(self, refresh_token: RefreshToken) -> None:
        """Nothing to do: `issue_token` marked it used (a later use revokes the family)."""


class ClientCredentialsGrant(grants.ClientCredentialsGrant):  # type: ignore[misc]
    """SMART Backend Services: a signed assertion (private_key_jwt) is the only way in."""

    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["private_key_jwt"]

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        client: Client = self.request.client
        scope = client.get_allowed_scope(self.request.payload.scope)
        if not ScopeSet.parse(scope).resource_scopes:
            raise InvalidScopeError("None of the requested scopes is registered for this client.")
        token = self.server.issuer.issue(client=client, user=None, scope=scope)
        return 200, token, self.TOKEN_RESPONSE_HEADER


def _active_user(user: User | None) -> User | None:
    return user if user is not None and user.active else None


def _wants_refresh(scope: str | None, client: Client) -> bool:
    granted = ScopeSet.parse(scope)
    return client.check_grant_type("refresh_token") and (
        granted.has("offline_access") or granted.has("online_access")
    )
