"""HTTP endpoints of the authorization server (FastAPI). Handlers build an authlib request from the
Starlette one and run authlib (synchronous: scrypt, SQLite, signing) in the threadpool."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from authlib.oauth2 import OAuth2Error
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, JSONResponse, Response

from auth.component import AuthComponents
from auth.discovery import openid_configuration, smart_configuration
from auth.models import Role, contexts_for
from auth.pages import consent_page, error_page, language, login_page
from auth.passwords import digest, verify_secret
from auth.scopes import ScopeSet
from auth.server import StarletteOAuth2Request

OAUTH_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "nonce",
    "aud",
    "launch",
)
_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    # no form-action: browsers apply it to the redirect that follows the consent form, i.e. to the app
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


def auth_router(auth: AuthComponents) -> APIRouter:
    router = APIRouter()
    settings = auth.settings
    fhir_path = urlsplit(settings.fhir_audience).path.rstrip("/")

    async def smart(_: Request) -> JSONResponse:
        return JSONResponse(smart_configuration(settings))

    router.add_api_route("/.well-known/smart-configuration", smart, methods=["GET"], include_in_schema=False)
    if fhir_path:
        router.add_api_route(
            f"{fhir_path}/.well-known/smart-configuration", smart, methods=["GET"], include_in_schema=False
        )

    @router.get("/.well-known/openid-configuration", include_in_schema=False)
    async def openid(_: Request) -> JSONResponse:
        return JSONResponse(openid_configuration(settings))

    @router.get("/auth/jwks", include_in_schema=False)
    async def jwks(_: Request) -> JSONResponse:
        auth.keys.reload()  # publish a key another process just made (rereads at most every 2 s)
        keys = await run_in_threadpool(auth.keys.public_jwks)
        return JSONResponse(keys, headers={"Cache-Control": "public, max-age=300"})

    @router.post("/auth/token", include_in_schema=False)
    async def token(request: Request) -> Response:
        oauth = await _oauth_request(request, auth)
        limited = await run_in_threadpool(_limit, auth, request, oauth)  # a write to the shared store
        if limited is not None:
            return limited
        response: Response = await run_in_threadpool(auth.server.create_token_response, oauth)
        return response

    @router.post("/auth/introspect", include_in_schema=False)
    async def introspect(request: Request) -> Response:
        oauth = await _oauth_request(request, auth)
        response: Response = await run_in_threadpool(
            auth.server.create_endpoint_response, "introspection", oauth
        )
        return response

    @router.post("/auth/revoke", include_in_schema=False)
    async def revoke(request: Request) -> Response:
        oauth = await _oauth_request(request, auth)
        response: Response = await run_in_threadpool(
            auth.server.create_endpoint_response, "revocation", oauth
        )
        return response

    @router.get("/auth/authorize", include_in_schema=False)
    async def authorize_start(request: Request) -> Response:
        oauth = await _oauth_request(request, auth)
        lang = language(request.query_params.get("lang") or request.query_params.get("ui_locales"))
        response: Response = await run_in_threadpool(_start, auth, oauth, lang, str(request.url.path))
        return response

    @router.post("/auth/authorize", include_in_schema=False)
    async def authorize_step(request: Request) -> Response:
        oauth = await _oauth_request(request, auth)
        address = request.client.host if request.client else "unknown"
        response: Response = await run_in_threadpool(_step, auth, oauth, address)
        return response

    return router


async def _oauth_request(request: Request, auth: AuthComponents) -> StarletteOAuth2Request:
    form: list[tuple[str, str]] = []
    if request.method == "POST":
        data = await request.form()
        form = [(k, v) for k, v in data.multi_items() if isinstance(v, str)]
    query = list(request.query_params.multi_items())
    uri = f"{auth.settings.issuer}{request.url.path}" + (f"?{request.url.query}" if request.url.query else "")
    return StarletteOAuth2Request(request.method, uri, request.headers, query, form)  # type: ignore[arg-type]


def _limit(auth: AuthComponents, request: Request, oauth: StarletteOAuth2Request) -> Response | None:
    address = request.client.host if request.client else "unknown"
    keys = [f"ip:{address}"]
    if oauth.payload.client_id:
        keys.append(f"client:{oauth.payload.client_id}")
    if all(auth.token_limiter.allow(key) for key in keys):
        return None
    return JSONResponse(
        {"error": "too_many_requests", "error_description": "Too many token requests; retry later."},
        status_code=429,
        headers={"Retry-After": str(auth.token_limiter.retry_after()), "Cache-Control": "no-store"},
    )


def _params(oauth: StarletteOAuth2Request) -> dict[str, str]:
    data = oauth.payload.data
    return {k: data[k] for k in OAUTH_PARAMS if k in data}


def _html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers=_PAGE_HEADERS)


def _validate(auth: AuthComponents, oauth: StarletteOAuth2Request, lang: str) -> Any:
    """The authlib grant for a valid request, or the Response that refuses it: a redirect back to the
    client once client and redirect_uri are trusted, an error page before that."""
    try:
        grant = auth.server.get_consent_grant(oauth)
        aud = oauth.payload.data.get("aud")
        if aud is not None and aud.rstrip("/") != auth.settings.fhir_audience.rstrip("/"):
            raise OAuth2Error(
                error="invalid_request",
                description="'aud' is not this FHIR server.",
                redirect_uri=grant.redirect_uri,
            )
    except OAuth2Error as error:
        error.state = oauth.payload.state
        if error.redirect_uri:
            return auth.server.handle_error_response(oauth, error)
        return _html(error_page(lang, error.description or error.error), 400)
    return grant


def _start(auth: AuthComponents, oauth: StarletteOAuth2Request, lang: str, path: str) -> Response:
    grant = _validate(auth, oauth, lang)
    if isinstance(grant, Response):
        return grant
    params = _params(oauth)
    switch = f"{path}?{urlencode({**params, 'lang': 'en' if lang == 'vi' else 'vi'})}"
    return _html(login_page(lang, params, switch_url=switch))


def _step(auth: AuthComponents, oauth: StarletteOAuth2Request, address: str) -> Response:
    form = oauth.form
    lang = language(form.get("lang"))
    grant = _validate(auth, oauth, lang)
    if isinstance(grant, Response):
        return grant
    params = _params(oauth)
    if form.get("step") == "consent":
        return _consent(auth, oauth, grant, params, lang)
    username = form.get("username", "")
    if not (
        auth.login_limiter.allow(f"ip:{address}") and auth.login_limiter.allow(f"user:{digest(username)}")
    ):
        return _html(login_page(lang, params, "slow_down"), 429)
    user = auth.store.user_by_name(username)
    if not verify_secret(user.password_hash if user else None, form.get("password", "")) or not (
        user and user.active
    ):
        return _html(login_page(lang, params, "bad_login"), 401)
    client = oauth.client
    granted = ScopeSet.parse(client.get_allowed_scope(oauth.payload.scope))
    patients = user.patients if user.role is Role.PARENT else ()
    shown = granted.only(contexts_for(user.role, patients[0] if patients else None))
    ticket = auth.tickets.issue(user.user_id, params)
    return _html(
        consent_page(
            lang=lang, params=params, app_name=client.name, scope=shown, ticket=ticket, patients=patients
        )
    )


def _consent(
    auth: AuthComponents, oauth: StarletteOAuth2Request, grant: Any, params: dict[str, str], lang: str
) -> Response:
    form = oauth.form
    user_id = auth.tickets.verify(form.get("ticket", ""), params)
    user = auth.store.user(user_id) if user_id else None
    if user is None or not user.active:
        return _html(login_page(lang, params, "expired"), 401)
    if form.get("decision") != "allow":
        denied: Response = auth.server.create_authorization_response(oauth, grant_user=None, grant=grant)
        return denied
    if user.role is Role.PARENT:
        chosen = form.get("patient") or (user.patients[0] if len(user.patients) == 1 else None)
        if chosen not in user.patients:
            return _html(error_page(lang, "Patient not linked to this account."), 400)
        oauth.launch_patient = chosen
    response: Response = auth.server.create_authorization_response(oauth, grant_user=user, grant=grant)
    return response
