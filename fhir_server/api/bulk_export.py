"""Bulk Data $export (HL7 Bulk Data Access IG v2): kick-off, status, cancel and file download.

Registered before the resource routes, so that `Patient/$export` is never read as a Patient id.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from fhir_server.api import context
from fhir_server.api.negotiation import read_body, response_format
from fhir_server.api.responses import prefer_strict
from fhir_server.api.security import access_of, population_only
from fhir_server.bulk.export_request import Level, parameters_to_params
from fhir_server.bulk.export_service import ExportService
from fhir_server.model.bundle import http_date
from fhir_server.model.json import dumps
from fhir_server.model.outcome import FhirError
from fhir_server.services.audit_requester import requester
from fhir_server.settings import Settings

NDJSON = "application/fhir+ndjson"


def _respond_async(request: Request) -> bool:
    prefer = request.headers.get("prefer", "")
    return any(p.split(";")[0].strip().lower() == "respond-async" for p in prefer.split(","))


def export_router(export: ExportService, settings: Settings) -> APIRouter:
    """Every export route, status and file downloads included, spans many children: population access."""
    router = APIRouter(dependencies=[Depends(population_only)])

    def kickoff(
        request: Request,
        level: Level,
        group_id: str | None = None,
        params: list[tuple[str, str]] | None = None,
    ) -> Response:
        response_format(request)
        if not _respond_async(request):
            raise FhirError.of(
                400,
                "invalid",
                "$export runs asynchronously: send the header Prefer: respond-async",
                "$export chạy bất đồng bộ: hãy gửi tiêu đề Prefer: respond-async",
            )
        base = context.base_url(request, settings)
        client = request.client
        asked = requester(
            access_of(request).principal,
            request.method,
            request.url.path.removeprefix(settings.base_path.rstrip("/")).strip("/"),
            request.url.query,
            client.host if client else None,
        )
        job = export.kickoff(
            level,
            list(request.query_params.multi_items()) if params is None else params,
            strict=prefer_strict(request),
            request_url=str(request.url),
            base_url=base,
            group_id=group_id,
            requester=asked,
        )
        return Response(status_code=202, headers={"Content-Location": f"{base}/$export-status/{job}"})

    @router.get("/$export")
    async def system_export(request: Request) -> Response:
        return kickoff(request, "system")

    @router.get("/Patient/$export")
    async def patient_export(request: Request) -> Response:
        return kickoff(request, "patient")

    @router.get("/Group/{group_id}/$export")
    async def group_export(request: Request, group_id: str) -> Response:
        return kickoff(request, "group", group_id)

    # The IG's optional POST kick-off: the parameters in a Parameters body (with any in the query).
    async def body_params(request: Request) -> list[tuple[str, str]]:
        body = await read_body(request, settings.max_body_bytes)
        return [*request.query_params.multi_items(), *parameters_to_params(body)]

    @router.post("/$export")
    async def system_export_post(request: Request) -> Response:
        return kickoff(request, "system", params=await body_params(request))

    @router.post("/Patient/$export")
    async def patient_export_post(request: Request) -> Response:
        return kickoff(request, "patient", params=await body_params(request))

    @router.post("/Group/{group_id}/$export")
    async def group_export_post(request: Request, group_id: str) -> Response:
        return kickoff(request, "group", group_id, params=await body_params(request))

    @router.get("/$export-status/{job}")
    async def status(job: str) -> Response:
        found = export.status(job)
        if not found.done:
            return Response(status_code=202, headers={"X-Progress": found.progress, "Retry-After": "2"})
        assert found.expires is not None
        # The manifest is not a FHIR resource: plain application/json (Bulk Data IG).
        return Response(
            dumps(found.manifest),
            headers={"Expires": http_date(found.expires)},
            media_type="application/json",
        )

    @router.delete("/$export-status/{job}")
    async def cancel(job: str) -> Response:
        export.cancel(job)
        return Response(status_code=202)

    @router.get("/$export-file/{job}/{name}")
    async def download(job: str, name: str) -> Response:
        return FileResponse(export.file(job, name), media_type=NDJSON)

    return router
