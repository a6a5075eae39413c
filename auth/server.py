"""authlib's generic AuthorizationServer driven from Starlette: the request/response adapter authlib has
no official FastAPI integration for, plus the wiring of grants, client authentication and endpoints."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from authlib.oauth2.rfc6749 import AuthorizationServer, OAuth2Payload, OAuth2Request
from authlib.oauth2.rfc6749.errors import InvalidScopeError
from starlette.responses import JSONResponse, Response

from auth.client_auth import JwksCache, PrivateKeyJwt
from auth.endpoints import Introspection, Revocation
from auth.grants import AuthorizationCodeGrant, ClientCredentialsGrant, RefreshTokenGrant, S256Only
from auth.keys import KeyRing
from auth.models import Client
from auth.scopes import ScopeError, ScopeSet
from auth.settings import AuthSettings
from auth.store.base import AuthStore
from auth.tokens import TokenIssuer


class FormPayload(OAuth2Payload):  # type: ignore[misc]
    """Query and form parameters of one request (form wins), with every value of repeated ones."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in pairs:
            self._datalist[key].append(value)
        self._data = {key: values[-1] for key, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class StarletteOAuth2Request(OAuth2Request):  # type: ignore[misc]
    def __init__(
        self,
        method: str,
        uri: str,
        headers: dict[str, str],
        query: list[tuple[str, str]],
        form: list[tuple[str, str]],
    ) -> None:
        super().__init__(method=method, uri=uri, headers=headers)
        self.payload = FormPayload([*query, *form])
        self._args = dict(query)
        self._form = dict(form)
        self.launch_patient: str | None = None

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class SmartServer(AuthorizationServer):  # type: ignore[misc]
    def __init__(self, settings: AuthSettings, store: AuthStore, keys: KeyRing, issuer: TokenIssuer) -> None:
        super().__init__()
        self.settings = settings
        self.store = store
        self.keys = keys
        self.issuer = issuer
        self.register_grant(AuthorizationCodeGrant, [S256Only(required=True)])
        self.register_grant(RefreshTokenGrant)
        self.register_grant(ClientCredentialsGrant)
        self.register_client_auth_method(
            "private_key_jwt",
            PrivateKeyJwt(
                f"{settings.issuer}/auth/token",
                store,
                JwksCache(settings.jwks_cache_seconds),
                settings.assertion_max_seconds,
            ),
        )
        self.register_endpoint(Introspection)
        self.register_endpoint(Revocation)

    def query_client(self, client_id: str) -> Client | None:
        return self.store.client(client_id)

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """Grants persist what they issue themselves (see auth.grants)."""

    def validate_requested_scope(self, scope: str | None) -> None:
        try:
            ScopeSet.parse(scope)
        except ScopeError as error:
            raise InvalidScopeError(str(error)) from error

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        if isinstance(request, OAuth2Request):
            return request
        raise TypeError("build a StarletteOAuth2Request first (auth.router does)")

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No listeners: nothing is logged about who obtained which token."""

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Response:
        extra = {k: v for k, v in headers if k.lower() != "content-type"}
        extra.setdefault("Cache-Control", "no-store")
        if status in (301, 302, 303):
            return Response(status_code=status, headers=extra)
        return JSONResponse(body if isinstance(body, dict) else {}, status_code=status, headers=extra)
