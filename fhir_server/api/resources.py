"""Type and instance interactions: thin handlers that call one service each."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from fhir_server.api import context
from fhir_server.api.negotiation import pretty, read_body, response_format
from fhir_server.api.responses import (
    body_response,
    json_response,
    prefer_strict,
    version_headers,
    write_response,
)
from fhir_server.api.security import access_of
from fhir_server.model.bundle import etag
from fhir_server.model.outcome import FhirError
from fhir_server.services.container import Services
from fhir_server.settings import Settings

P = ParamSpec("P")
T = TypeVar("T")


async def run_inline(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    return function(*args, **kwargs)


def subset_read(services: Services, request: Request, resource_type: str, body: bytes) -> bytes:
    """`GET /Patient/1?_summary=true`: `_summary` and `_elements` apply to a read too."""
    subsetting = [(n, v) for n, v in request.query_params.multi_items() if n in ("_summary", "_elements")]
    if not subsetting:
        return body
    return services.search.subset(resource_type, body, subsetting, strict=prefer_strict(request))


def reader(settings: Settings) -> Callable[..., Awaitable[Any]]:
    """How reads and searches run: inline (a SQLite lookup takes microseconds and the threadpool hop
    would cost ~40 %), or in the threadpool with `offload_reads` (a networked store such as MongoDB
    would otherwise stall the event loop for a round trip)."""
    return run_in_threadpool if settings.offload_reads else run_inline


def resource_router(services: Services, settings: Settings) -> APIRouter:
    """Reads run as `reader` says. Writes run inline too unless `offload_writes` (see Settings) moves
    them to the threadpool."""
    router = APIRouter()
    types = services.resource_types
    limit = settings.max_body_bytes
    run = run_in_threadpool if settings.offload_writes else run_inline
    reads = reader(settings)

    def start(request: Request, resource_type: str) -> str:
        return context.begin(request, settings, resource_type, types)

    async def search_response(
        request: Request, url: str, resource_type: str, params: list[tuple[str, str]]
    ) -> Response:
        result = await reads(
            services.search.search,
            resource_type,
            params,
            url,
            context.search_link(f"{url}/{resource_type}"),
            strict=prefer_strict(request),
            explain=context.explain(request, settings),
            access=access_of(request),
        )
        return json_response(result, indent=pretty(request))

    # Before the /{resource_type}/{id} routes, so that "_search" is never taken for an id.
    @router.post("/{resource_type}/_search")
    async def search_by_post(request: Request, resource_type: str) -> Response:
        url = start(request, resource_type)
        form = await read_form(request, limit)
        access_of(request).note_form(urlencode(form))  # audited with the URL's query, like a GET's
        return await search_response(
            request, url, resource_type, [*request.query_params.multi_items(), *form]
        )

    @router.get("/{resource_type}/{id}/_history/{version}")
    async def vread(request: Request, resource_type: str, id: str, version: str) -> Response:
        start(request, resource_type)
        number = context.version_number(version)
        stored = await reads(
            services.resources.vread,
            resource_type,
            id,
            -1 if number is None else number,
            access=access_of(request),
        )
        return body_response(request, stored.body, 200, version_headers(stored))

    @router.get("/{resource_type}/{id}")
    async def read(request: Request, resource_type: str, id: str) -> Response:
        start(request, resource_type)
        stored = await reads(services.resources.read, resource_type, id, access=access_of(request))
        headers = version_headers(stored)
        if request.headers.get("if-none-match") == headers["ETag"]:
            return Response(status_code=304, headers=headers)
        body = subset_read(services, request, resource_type, stored.body)
        return body_response(request, body, 200, headers)

    @router.get("/{resource_type}")
    async def search(request: Request, resource_type: str) -> Response:
        url = start(request, resource_type)
        return await search_response(request, url, resource_type, list(request.query_params.multi_items()))

    @router.post("/{resource_type}")
    async def create(request: Request, resource_type: str) -> Response:
        url = start(request, resource_type)
        body = await read_body(request, limit)
        result = await run(
            services.resources.create,
            resource_type,
            body,
            if_none_exist=request.headers.get("if-none-exist"),
            access=access_of(request),
        )
        return write_response(request, result.stored, 201 if result.created else 200, url)

    @router.put("/{resource_type}/{id}")
    async def update(request: Request, resource_type: str, id: str) -> Response:
        url = start(request, resource_type)
        body = await read_body(request, limit)
        result = await run(
            services.resources.update,
            resource_type,
            id,
            body,
            if_match=context.if_match(request),
            access=access_of(request),
        )
        return write_response(request, result.stored, 201 if result.created else 200, url)

    @router.put("/{resource_type}")
    async def conditional_update(request: Request, resource_type: str) -> Response:
        url = start(request, resource_type)
        body = await read_body(request, limit)
        query = list(request.query_params.multi_items())
        result = await run(
            services.resources.conditional_update,
            resource_type,
            query,
            body,
            if_match=context.if_match(request),
            access=access_of(request),
        )
        return write_response(request, result.stored, 201 if result.created else 200, url)

    @router.patch("/{resource_type}/{id}")
    async def patch(request: Request, resource_type: str, id: str) -> Response:
        url = start(request, resource_type)
        operations = await read_body(request, limit, patch=True)
        result = await run(
            services.resources.patch,
            resource_type,
            id,
            operations,
            if_match=context.if_match(request),
            access=access_of(request),
        )
        return write_response(request, result.stored, 200, url)

    @router.delete("/{resource_type}/{id}")
    async def delete(request: Request, resource_type: str, id: str) -> Response:
        start(request, resource_type)
        deleted = await run(
            services.resources.delete,
            resource_type,
            id,
            if_match=context.if_match(request),
            access=access_of(request),
        )
        headers = {"ETag": etag(deleted.version)} if deleted else {}
        return Response(status_code=204, headers=headers)

    @router.delete("/{resource_type}")
    async def conditional_delete(request: Request, resource_type: str) -> Response:
        start(request, resource_type)
        deleted = await run(
            services.resources.conditional_delete,
            resource_type,
            list(request.query_params.multi_items()),
            access=access_of(request),
        )
        headers = {"ETag": etag(deleted.version)} if deleted else {}
        return Response(status_code=204, headers=headers)

    return router


def compartment_router(services: Services, settings: Settings) -> APIRouter:
    """`GET [base]/Patient/123/Immunization?...`. Included after the history router, which owns
    `/{type}/{id}/_history`, so that `_history` is never taken for a compartment's resource type."""
    router = APIRouter()
    types = services.resource_types

    @router.get("/Patient/{id}/$everything")  # before the compartment route, which would take "$everything"
    async def everything(request: Request, id: str) -> Response:
        response_format(request)
        url = context.base_url(request, settings)
        result = await reader(settings)(
            services.search.everything,
            id,
            list(request.query_params.multi_items()),
            url,
            context.search_link(f"{url}/Patient/{id}/$everything"),
            strict=prefer_strict(request),
            access=access_of(request),
        )
        return json_response(result, indent=pretty(request))

    @router.get("/{compartment_type}/{compartment_id}/{resource_type}")
    async def compartment_search(
        request: Request, compartment_type: str, compartment_id: str, resource_type: str
    ) -> Response:
        context.check_type(compartment_type, types)
        url = context.begin(request, settings, resource_type, types)
        result = await reader(settings)(
            services.search.compartment_search,
            (compartment_type, compartment_id),
            resource_type,
            list(request.query_params.multi_items()),
            url,
            context.search_link(f"{url}/{compartment_type}/{compartment_id}/{resource_type}"),
            strict=prefer_strict(request),
            explain=context.explain(request, settings),
            access=access_of(request),
        )
        return json_response(result, indent=pretty(request))

    return router


def system_search_router(services: Services, settings: Settings) -> APIRouter:
    """`GET [base]?_type=...` (and `[base]/`): registered on the base path itself."""
    router = APIRouter()

    async def system_search(request: Request) -> Response:
        response_format(request)
        url = context.base_url(request, settings)
        result = await reader(settings)(
            services.search.system_search,
            list(request.query_params.multi_items()),
            url,
            context.search_link(url),
            strict=prefer_strict(request),
            access=access_of(request),
        )
        return json_response(result, indent=pretty(request))

    router.add_api_route("/", system_search, methods=["GET"])
    if settings.base_path:  # "" + "" is not a route; with a prefix, "/fhir" as well as "/fhir/"
        router.add_api_route("", system_search, methods=["GET"])
    return router


async def read_form(request: Request, limit: int) -> list[tuple[str, str]]:
    """The name/value pairs of an application/x-www-form-urlencoded body (POST _search)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media and media != "application/x-www-form-urlencoded":
        raise FhirError.of(
            415,
            "not-supported",
            f"Content-Type {media} is not supported for _search; send application/x-www-form-urlencoded",
            f"Không hỗ trợ kiểu nội dung {media} cho _search; hãy gửi application/x-www-form-urlencoded",
        )
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise FhirError.of(
                413, "too-costly", f"The body exceeds {limit} bytes", f"Nội dung vượt quá {limit} byte"
            )
    try:
        return parse_qsl(bytes(data).decode(), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as exc:
        raise FhirError.of(
            400, "invalid", "The form body is not UTF-8", "Nội dung biểu mẫu không phải UTF-8"
        ) from exc
