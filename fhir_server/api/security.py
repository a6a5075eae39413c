"""The FHIR API's door (DESIGN.md §8): the bearer token becomes a Principal and the request's `Access`
(services.access), and every request leaves an AuditEvent (services.audit).

One pure ASGI middleware rather than a FastAPI dependency on every route: no route can forget it, and
refused requests (401) are audited like the others. Handlers take the result with `access_of(request)`
and hand it to the one service they call; the service applies it.

Outside the FHIR base (`/health`, `/auth/...`) and for the conformance documents (`/metadata`,
`/.well-known/...`), no token is needed. With FHIR_AUTH_REQUIRED=false (development only) a request
without a token is served without restriction; a request that does send a token is still checked.
"""

from __future__ import annotations

import logging
from typing import Final

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from auth.verify import Principal, TokenError, TokenVerifier, www_authenticate
from fhir_server.api.errors import outcome_response
from fhir_server.model.outcome import FhirError, Issue
from fhir_server.services.access import Access, AccessPolicy
from fhir_server.services.audit import AuditRecord, AuditTrail
from fhir_server.services.disclosure import Disclosure

log = logging.getLogger("fhir_server.security")
REALM: Final = "fhir"
_OPEN_PATHS: Final = ("metadata", ".well-known")
_NOT_FHIR: Final = ("/health", "/auth/")  # with FHIR_BASE_PATH="" these share the root with the API
_SIGN_IN: Final = frozenset({"/auth/token", "/auth/authorize"})  # refusals here are audited as logins


def access_of(request: Request) -> Access:
    """The request's Access, set by Guard. Missing means the request bypassed the door: refuse."""
    access = request.scope.get("state", {}).get("access")
    if not isinstance(access, Access):
        raise FhirError.of(401, "login", "Authentication required", "Cần xác thực")
    return access


def population_only(request: Request) -> None:
    """Router dependency for what spans many children (reports, bulk export): user/ or system/ scopes."""
    access_of(request).check_population()


class Guard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        base_path: str,
        verifier: TokenVerifier,
        policy: AccessPolicy,
        required: bool,
        audit: AuditTrail | None,
    ) -> None:
        self.app = app
        self._base = base_path.rstrip("/")
        self._verifier = verifier
        self._policy = policy
        self._required = required
        self._audit = audit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path in _SIGN_IN and scope["method"] == "POST" and self._audit is not None:
            await self._sign_in(scope, receive, send)
            return
        outside = self._base and not (path == self._base or path.startswith(self._base + "/"))
        if outside or (not self._base and path.startswith(_NOT_FHIR)):
            await self.app(scope, receive, send)
            return
        relative = path[len(self._base) :].strip("/")
        if relative.startswith(_OPEN_PATHS):
            await self.app(scope, receive, send)
            return
        principal, failure = self._authenticate(Headers(scope=scope).get("authorization"))
        if failure is not None:
            await self._unauthorized(scope, receive, send, failure, relative)
            return
        disclosure = Disclosure() if self._audit is not None else None
        scope.setdefault("state", {})["access"] = self._policy.for_principal(principal, disclosure)
        status, location = 500, None

        async def watching(message: Message) -> None:
            nonlocal status, location
            if message["type"] == "http.response.start":
                status = message["status"]
                location = Headers(raw=message.get("headers", [])).get("location")
            await send(message)

        try:
            await self.app(scope, receive, watching)
        finally:
            self._record(scope, relative, status, principal, location, disclosure=disclosure)

    async def _sign_in(self, scope: Scope, receive: Receive, send: Send) -> None:
        status = 500

        async def watching(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watching)
        finally:
            if status >= 400 and self._audit is not None:
                client = scope.get("client")
                self._audit.record(
                    AuditRecord(
                        "POST", scope["path"], "", status, None, client[0] if client else None, login=True
                    )
                )

    def _authenticate(self, header: str | None) -> tuple[Principal | None, tuple[str, str | None] | None]:
        """(principal, None), or (None, (description, RFC 6750 error)) for a refusal."""
        if header is None:
            return (None, ("no access token", None)) if self._required else (None, None)
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None, ("the Authorization header must be 'Bearer <token>'", "invalid_request")
        try:
            return self._verifier.verify(token), None
        except TokenError as error:
            return None, (str(error), "invalid_token")

    async def _unauthorized(
        self, scope: Scope, receive: Receive, send: Send, failure: tuple[str, str | None], relative: str
    ) -> None:
        description, error = failure
        header = www_authenticate(REALM, error, description if error else None)
        issue = Issue(
            "login",
            f"Authentication required: {description}",
            f"Cần xác thực bằng mã truy cập hợp lệ: {description}",
        )
        await outcome_response(401, [issue], {"WWW-Authenticate": header})(scope, receive, send)
        self._record(scope, relative, 401, failure=description)

    def _record(
        self,
        scope: Scope,
        relative: str,
        status: int,
        principal: Principal | None = None,
        location: str | None = None,
        *,
        failure: str | None = None,
        disclosure: Disclosure | None = None,
    ) -> None:
        if self._audit is None:
            return
        client = scope.get("client")
        query = scope.get("query_string", b"").decode("latin-1")
        self._audit.record(
            AuditRecord(
                method=scope["method"],
                path=relative,
                query=query,
                status=status,
                principal=principal,
                address=client[0] if client else None,
                location=location,
                failure=failure or ("refused: insufficient scope" if status == 403 else None),
                disclosure=disclosure,
            )
        )
