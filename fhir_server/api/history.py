"""History interactions: system, type and instance, with `_since`, `_count` and cursor paging."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from fhir_server.api import context
from fhir_server.api.negotiation import pretty, response_format
from fhir_server.api.resources import reader
from fhir_server.api.responses import json_response
from fhir_server.api.security import access_of
from fhir_server.services.container import Services
from fhir_server.settings import Settings


def history_router(services: Services, settings: Settings) -> APIRouter:
    router = APIRouter()
    types = services.resource_types

    reads = reader(settings)

    async def respond(request: Request, resource_type: str | None = None, id: str | None = None) -> Response:
        if resource_type is None:
            response_format(request)
            url = context.base_url(request, settings)
        else:
            url = context.begin(request, settings, resource_type, types)
        path = "/".join(part for part in (url, resource_type, id, "_history") if part)
        result = await reads(
            services.history.history,
            url,
            context.link_builder(path, list(request.query_params.multi_items())),
            resource_type=resource_type,
            id=id,
            since=context.since(request),
            count=context.count(request),
            cursor=request.query_params.get("_cursor"),
            access=access_of(request),
        )
        return json_response(result, indent=pretty(request))

    @router.get("/_history")
    async def history_system(request: Request) -> Response:
        return await respond(request)

    @router.get("/{resource_type}/_history")
    async def history_type(request: Request, resource_type: str) -> Response:
        return await respond(request, resource_type)

    @router.get("/{resource_type}/{id}/_history")
    async def history_instance(request: Request, resource_type: str, id: str) -> Response:
        return await respond(request, resource_type, id)

    return router
