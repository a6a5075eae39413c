"""Coverage reports over HTTP: `$coverage` (MeasureReport or CSV), `$low-coverage` (Parameters or CSV),
the HTML page `/reports/coverage` and its SVG charts. Thin: parameters in, operations out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from fhir_server.api import context
from fhir_server.api.negotiation import pretty
from fhir_server.api.responses import json_response
from fhir_server.api.security import access_of, population_only
from fhir_server.model.outcome import FhirError
from fhir_server.operations import aefi, charts, coverage, defaulters, low_coverage, report_page
from fhir_server.operations.coverage_data import CoverageData
from fhir_server.settings import Settings


def _wants_csv(request: Request) -> bool:
    fmt = request.query_params.get("_format", "")
    return fmt in ("csv", "text/csv") or (not fmt and "text/csv" in request.headers.get("accept", ""))


_ALWAYS = frozenset({"_format", "_pretty"})


def _checker(definitions: Mapping[str, Any]) -> Callable[[str, Request], None]:
    """Refuse (400) a query parameter the operation's OperationDefinition does not declare."""
    allowed = {
        code: frozenset(p["name"] for p in d.get("parameter", []) if p["use"] == "in") | _ALWAYS
        for code, d in definitions.items()
    }

    def check(code: str, request: Request) -> None:
        unknown = sorted(set(request.query_params) - allowed.get(code, _ALWAYS))
        if unknown:
            raise FhirError.of(
                400, "not-supported", f"${code} has no parameter {', '.join(unknown)}",
                f"${code} không có tham số {', '.join(unknown)}", unknown[0],
            )  # fmt: skip

    return check


def _params(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if k not in ("_format", "_pretty", "chart")}


def _confiner(data: CoverageData) -> Callable[[Request], None]:
    def confine(request: Request) -> None:
        """A manager's reports stay within their area (403 outside it); other callers are not narrowed.
        A plain `def` dependency: FastAPI runs it in the threadpool (it reads Locations)."""
        principal = access_of(request).principal
        if principal is not None and principal.role == "manager":
            data.confine(principal.area, request.query_params.get("area", ""))

    return confine


def reports_router(
    data: CoverageData,
    aefi_reports: aefi.AefiReports,
    recall: defaulters.Defaulters,
    definitions: Mapping[str, Any],
    settings: Settings,
) -> APIRouter:
    router = APIRouter(dependencies=[Depends(population_only), Depends(_confiner(data))])
    check = _checker(definitions)
    tz = ZoneInfo(settings.default_timezone)

    def today() -> date:
        return datetime.now(tz).date()

    @router.get("/$coverage")
    async def coverage_operation(request: Request) -> Response:
        check("coverage", request)
        query = coverage.parse_query(request.query_params, today())
        result = await run_in_threadpool(coverage.run, data, query)
        if _wants_csv(request):
            return Response(coverage.to_csv(result), media_type="text/csv; charset=utf-8")
        report = coverage.measure_report(result, datetime.now(tz).isoformat(timespec="seconds"))
        return json_response(report, indent=pretty(request))

    @router.get("/$low-coverage")
    async def low_coverage_operation(request: Request) -> Response:
        check("low-coverage", request)
        query = coverage.parse_query(request.query_params, today())
        thresholds = low_coverage.parse_thresholds(request.query_params)
        area, ranked = await run_in_threadpool(low_coverage.rank, data, query, thresholds)
        if _wants_csv(request):
            return Response(low_coverage.to_csv(ranked), media_type="text/csv; charset=utf-8")
        return json_response(low_coverage.to_parameters(area, ranked, thresholds), indent=pretty(request))

    @router.get("/reports/coverage.svg")
    async def coverage_chart(request: Request) -> Response:
        query = coverage.parse_query(request.query_params, today())
        thresholds = low_coverage.parse_thresholds(request.query_params)
        area, ranked = await run_in_threadpool(low_coverage.rank, data, query, thresholds)
        if request.query_params.get("chart") == "dropout":
            bars = [charts.Bar(r.unit.name, _percent(r.dropout.score), r.high_dropout) for r in ranked]
            title = f"Tỷ lệ bỏ mũi / Dropout {thresholds.dropout} — {area.name}"
            top = max([10.0, 100 * thresholds.dropout_max * 2, *(b.percent or 0 for b in bars)])
            svg = charts.bar_chart(title, bars, 100 * thresholds.dropout_max, scale_max=min(top, 100.0))
        else:
            bars = [charts.Bar(r.unit.name, _percent(r.coverage.score), r.low_coverage) for r in ranked]
            title = f"Tỷ lệ tiêm / Coverage {thresholds.indicator} — {area.name}"
            svg = charts.bar_chart(title, bars, 100 * thresholds.coverage_min)
        return Response(svg, media_type="image/svg+xml; charset=utf-8")

    @router.get("/reports/coverage")
    async def coverage_page(request: Request) -> Response:
        query = coverage.parse_query(request.query_params, today())
        thresholds = low_coverage.parse_thresholds(request.query_params)
        result = await run_in_threadpool(coverage.run, data, query)
        _, ranked = await run_in_threadpool(low_coverage.rank, data, query, thresholds)
        base = context.base_url(request, settings)
        page = report_page.render(result, ranked, thresholds, _params(request), base)
        return Response(page, media_type="text/html; charset=utf-8")

    @router.get("/$defaulters")
    async def defaulters_operation(request: Request) -> Response:
        check("defaulters", request)
        found = await run_in_threadpool(recall.find, request.query_params, today())
        if _wants_csv(request):
            return Response(defaulters.to_csv(found), media_type="text/csv; charset=utf-8")
        return json_response(defaulters.to_parameters(found), indent=pretty(request))

    @router.get("/$aefi-serious")
    async def aefi_serious(request: Request) -> Response:
        check("aefi-serious", request)
        base = context.base_url(request, settings)
        bundle = await run_in_threadpool(aefi_reports.serious, request.query_params, base)
        return json_response(bundle, indent=pretty(request))

    @router.get("/$aefi-signal")
    async def aefi_signal(request: Request) -> Response:
        check("aefi-signal", request)
        signals = await run_in_threadpool(aefi_reports.signal, request.query_params)
        if _wants_csv(request):
            return Response(aefi.signal_csv(signals), media_type="text/csv; charset=utf-8")
        return json_response(aefi.signal_parameters(signals), indent=pretty(request))

    return router


def _percent(score: float | None) -> float | None:
    return None if score is None else 100 * score
