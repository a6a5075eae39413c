"""Every error leaves as an OperationOutcome; no stack trace ever reaches a client."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fhir_server.api.responses import json_response
from fhir_server.model.outcome import FhirError, Issue, operation_outcome
from fhir_server.services.outcomes import version_conflict
from fhir_server.storage.base import StoreUnavailable, VersionConflict

log = logging.getLogger("fhir_server.errors")

_HTTP_ISSUES = {
    404: ("not-found", "No such endpoint", "Không có địa chỉ này"),
    405: (
        "not-supported",
        "This HTTP method is not supported here",
        "Không hỗ trợ phương thức HTTP này ở đây",
    ),
}


def outcome_response(status: int, issues: list[Issue], headers: dict[str, str] | None = None) -> Response:
    return json_response(operation_outcome(issues), status, headers)


async def _fhir_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, FhirError)
    return outcome_response(exc.status, list(exc.issues), exc.headers or None)


async def _version_conflict(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, VersionConflict)
    error = version_conflict(exc)
    return outcome_response(error.status, list(error.issues))


async def _unavailable(_: Request, exc: Exception) -> Response:
    issue = Issue("transient", "The store is busy; retry shortly", "Kho dữ liệu đang bận; vui lòng thử lại")
    return outcome_response(503, [issue], {"Retry-After": "1"})


async def _http_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code, en, vi = _HTTP_ISSUES.get(exc.status_code, ("processing", str(exc.detail), str(exc.detail)))
    return outcome_response(exc.status_code, [Issue(code, en, vi)], dict(exc.headers or {}))


async def _request_validation(_: Request, exc: Exception) -> Response:
    return outcome_response(400, [Issue("invalid", "The request is malformed", "Yêu cầu không hợp lệ")])


class InternalErrorGuard:
    """ASGI middleware: an unexpected exception becomes a 500 OperationOutcome and one log line with the
    exception type and route only (messages and tracebacks may quote personal data from the request)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            route = getattr(scope.get("route"), "path", "unmatched")
            log.error("unhandled error", extra={"error": type(exc).__name__, "route": route})
            if not started:
                issue = Issue("exception", "Internal server error", "Lỗi máy chủ nội bộ", severity="fatal")
                await outcome_response(500, [issue])(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(FhirError, _fhir_error)
    app.add_exception_handler(VersionConflict, _version_conflict)
    app.add_exception_handler(StoreUnavailable, _unavailable)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
