"""`POST [base]`: batch and transaction Bundles."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from fhir_server.api import context
from fhir_server.api.negotiation import pretty, read_body, response_format
from fhir_server.api.responses import json_response, prefer_return, prefer_strict
from fhir_server.api.security import access_of
from fhir_server.services.container import Services
from fhir_server.services.transaction import BundleRequest
from fhir_server.settings import Settings


def bundle_router(services: Services, settings: Settings) -> APIRouter:
    """A Bundle holds up to `max_bundle_entries` writes: it runs in the threadpool, so that a long
    transaction never stalls the reads this worker serves meanwhile."""
    router = APIRouter()

    async def process(request: Request) -> Response:
        response_format(request)
        body = await read_body(request, settings.max_bundle_bytes)
        url = context.base_url(request, settings)
        bundle_request = BundleRequest(
            base_url=url,
            prefer_return=prefer_return(request),
            search_link=context.search_link,
            strict=prefer_strict(request),
            access=access_of(request),
        )
        result = await run_in_threadpool(services.transactions.process, body, bundle_request)
        return json_response(result, indent=pretty(request))

    router.add_api_route("/", process, methods=["POST"])
    if settings.base_path:
        router.add_api_route("", process, methods=["POST"])
    return router
