"""$operations and the read-only national artifacts: thin handlers, one call each. Included before the
resource router so that `/ValueSet/$expand` is never read as the ValueSet with id "$expand"."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from fhir_server.api import context
from fhir_server.api.negotiation import pretty, read_body, response_format
from fhir_server.api.responses import json_response, prefer_strict
from fhir_server.api.security import access_of
from fhir_server.model.outcome import FhirError, Issue
from fhir_server.operations.container import Operations
from fhir_server.services.container import Services
from fhir_server.settings import Settings


def _pairs(body: Any) -> list[tuple[str, str]]:
    """A Parameters body -> (name, value) pairs of its primitive parameters."""
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        raise FhirError.of(
            400, "invalid", "The body must be a Parameters resource", "Nội dung phải là Parameters"
        )
    out = []
    for p in body.get("parameter", ()):
        value = (
            next((v for k, v in p.items() if k.startswith("value")), None) if isinstance(p, dict) else None
        )
        if isinstance(value, str | int | bool):
            out.append((str(p.get("name")), str(value).lower() if isinstance(value, bool) else str(value)))
        elif isinstance(value, dict) and "valueCoding" in p:  # `coding`: as `coding.system`, `coding.code`
            out += [(f"{p.get('name')}.{k}", str(value[k])) for k in ("system", "code") if k in value]
        elif value is not None:  # a complex value no operation here reads: say so rather than drop it
            out.append((str(p.get("name")), ""))
    return out


def operations_router(services: Services, operations: Operations, settings: Settings) -> APIRouter:
    router = APIRouter()
    limit = settings.max_body_bytes
    types = services.resource_types

    async def params(request: Request) -> list[tuple[str, str]]:
        query = list(request.query_params.multi_items())
        if request.method == "POST":
            query.extend(_pairs(await read_body(request, limit)))
        return query

    def answer(request: Request, resource: dict[str, Any]) -> Response:
        return json_response(resource, indent=pretty(request))

    @router.api_route("/CodeSystem/$lookup", methods=["GET", "POST"])
    async def lookup(request: Request) -> Response:
        response_format(request)
        return answer(request, operations.terminology.lookup(await params(request)))

    @router.api_route("/ValueSet/$expand", methods=["GET", "POST"])
    async def expand(request: Request) -> Response:
        response_format(request)
        return answer(request, operations.terminology.expand(await params(request)))

    @router.api_route("/ValueSet/$validate-code", methods=["GET", "POST"])
    async def validate_code(request: Request) -> Response:
        response_format(request)
        return answer(request, operations.terminology.validate_code(await params(request)))

    @router.api_route("/ConceptMap/$translate", methods=["GET", "POST"])
    async def translate(request: Request) -> Response:
        response_format(request)
        return answer(request, operations.translate.translate(await params(request)))

    @router.api_route("/ConceptMap/{id}/$translate", methods=["GET", "POST"])
    async def translate_with(request: Request, id: str) -> Response:
        response_format(request)
        return answer(request, operations.translate.translate(await params(request), id))

    @router.post("/{resource_type}/$validate")
    async def validate_type(request: Request, resource_type: str) -> Response:
        context.begin(request, settings, resource_type, types)
        body = await read_body(request, limit)
        query = list(request.query_params.multi_items())
        return answer(request, operations.validate.run(resource_type, None, body, query, access_of(request)))

    @router.api_route("/{resource_type}/{id}/$validate", methods=["GET", "POST"])
    async def validate_instance(request: Request, resource_type: str, id: str) -> Response:
        context.begin(request, settings, resource_type, types)
        body = await read_body(request, limit) if request.method == "POST" else None
        query = list(request.query_params.multi_items())
        return answer(request, operations.validate.run(resource_type, id, body, query, access_of(request)))

    artifacts = operations.artifacts
    for artifact_type in artifacts.types:
        _artifact_routes(router, artifact_type, operations, settings)
    return router


def _artifact_routes(
    router: APIRouter, artifact_type: str, operations: Operations, settings: Settings
) -> None:
    artifacts = operations.artifacts

    async def search(request: Request) -> Response:
        response_format(request)
        base = context.base_url(request, settings)
        params = list(request.query_params.multi_items())
        bundle = artifacts.search(artifact_type, params, base, strict=prefer_strict(request))
        return json_response(bundle, indent=pretty(request))

    async def read(request: Request, id: str) -> Response:
        response_format(request)
        return json_response(artifacts.read(artifact_type, id), indent=pretty(request))

    async def refuse(request: Request) -> Response:
        raise FhirError(
            405,
            [_read_only(artifact_type)],
            headers={"Allow": "GET"},
        )

    router.add_api_route(f"/{artifact_type}", search, methods=["GET"])
    router.add_api_route(f"/{artifact_type}/{{id}}", read, methods=["GET"])
    router.add_api_route(f"/{artifact_type}", refuse, methods=["POST", "PUT", "DELETE"])
    router.add_api_route(f"/{artifact_type}/{{id}}", refuse, methods=["PUT", "PATCH", "DELETE"])


def _read_only(artifact_type: str) -> Issue:
    return Issue(
        "not-supported",
        f"{artifact_type} resources are the server's national artifacts and are read-only",
        f"Tài nguyên {artifact_type} là tài liệu quốc gia của máy chủ, chỉ được đọc",
    )
