"""Server-level endpoints: the CapabilityStatement and /health."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from fhir_server.api import context
from fhir_server.api.negotiation import pretty, response_format
from fhir_server.api.responses import json_response
from fhir_server.services.container import Services
from fhir_server.settings import Settings


def metadata_router(
    services: Services, settings: Settings, oauth: Mapping[str, str] | None = None
) -> APIRouter:
    """`oauth`: the SMART endpoints announced in `rest.security` (names as in the oauth-uris extension)."""
    router = APIRouter()

    @router.get("/metadata")
    async def metadata(request: Request) -> Response:
        response_format(request)
        url = context.base_url(request, settings)
        return json_response(services.capabilities.statement(url, oauth), indent=pretty(request))

    return router


def health_router(services: Services) -> APIRouter:
    router = APIRouter()

    @router.get("/health")
    async def health() -> Response:
        try:
            store = services.store.health()
        except Exception as exc:  # any failure means "not healthy"; the reason is logged, not returned
            return json_response({"status": "unavailable", "store": {"error": type(exc).__name__}}, 503)
        return json_response({"status": "ok", "store": store})

    return router
