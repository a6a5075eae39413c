"""`$immds-forecast` at system and Patient instance level: thin handlers over operations/immds_forecast.py.

Included before the resource routers, whose `/{type}` and `/{type}/{id}/{type}` patterns would take the
operation's paths. A forecast is pure CPU (a few ms): it runs in the threadpool so reads keep flowing.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from fhir_server.api.negotiation import pretty, read_body, response_format
from fhir_server.api.responses import json_response
from fhir_server.api.security import access_of
from fhir_server.operations.immds_forecast import ImmdsForecast
from fhir_server.settings import Settings


def forecast_router(operation: ImmdsForecast, settings: Settings) -> APIRouter:
    router = APIRouter()
    limit = settings.max_body_bytes

    @router.post("/$immds-forecast")
    async def system_level(request: Request) -> Response:
        response_format(request)
        body = await read_body(request, limit)
        result = await run_in_threadpool(operation.system, body)
        return json_response(result, indent=pretty(request))

    @router.get("/Patient/{id}/$immds-forecast")
    async def instance_get(request: Request, id: str) -> Response:
        response_format(request)
        query = list(request.query_params.multi_items())
        result = await run_in_threadpool(operation.instance, id, query, None, access_of(request))
        return json_response(result, indent=pretty(request))

    @router.post("/Patient/{id}/$immds-forecast")
    async def instance_post(request: Request, id: str) -> Response:
        response_format(request)
        query = list(request.query_params.multi_items())
        has_body = request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers
        body = await read_body(request, limit) if has_body else None
        result = await run_in_threadpool(operation.instance, id, query, body, access_of(request))
        return json_response(result, indent=pretty(request))

    return router
