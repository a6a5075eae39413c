"""Appointment writes go through the booking service (slot times, forecast check, cheap refusals);
`$find-slots`, `$check-in` and `$queue`. Mounted before the generic resource routes, which it overrides
for POST /Appointment and PUT, PATCH, DELETE /Appointment/{id}. (Capacity holds on every path, Bundles
included: services/slot_capacity.py.)

Access is checked per route: a parent's `patient/` token books, changes and cancels appointments of the
launch child and finds slots for that child; the session desk (`$queue`, `$check-in`) is for staff
(`user/` or `system/` scopes, `population_only`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from auth.scopes import Interaction
from fhir_server.api import context
from fhir_server.api.negotiation import pretty, read_body
from fhir_server.api.resources import run_inline
from fhir_server.api.responses import json_response, write_response
from fhir_server.api.security import access_of, population_only
from fhir_server.model.bundle import BundleEntry, bundle, etag
from fhir_server.model.json import dumps, loads
from fhir_server.model.outcome import FhirError
from fhir_server.services.check_in import Vaccination
from fhir_server.services.container import Services
from fhir_server.services.scheduling import Scheduling
from fhir_server.services.slot_finder import SlotChoice
from fhir_server.settings import Settings


def _day(value: str | None, name: str, default: date) -> date:
    if value is None:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FhirError.of(
            400, "invalid", f"{name} is a date (YYYY-MM-DD)", f"{name} phải là ngày (YYYY-MM-DD)", name
        ) from None


def _parameters(body: Any) -> dict[str, Any]:
    """A Parameters resource -> {name: value[x]} (first value per name)."""
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        raise FhirError.of(
            400, "invalid", "The body must be a Parameters resource", "Phải gửi tài nguyên Parameters"
        )
    found: dict[str, Any] = {}
    for parameter in body.get("parameter", ()):
        for key, value in parameter.items():
            if key.startswith("value"):
                found.setdefault(str(parameter.get("name")), value)
    return found


def _slot_bundle(url: str, choices: Sequence[SlotChoice]) -> dict[str, Any]:
    """The searchset of `$find-slots`: the Slots (match) and their Locations (include)."""
    entries, locations = [], {}
    for choice in choices:
        entries.append(
            BundleEntry(f"{url}/Slot/{choice.slot['id']}", dumps(choice.slot), search_mode="match")
        )
        locations[choice.location["id"]] = choice.location
    entries += [
        BundleEntry(f"{url}/Location/{id}", dumps(loc), search_mode="include")
        for id, loc in locations.items()
    ]
    return bundle("searchset", entries, total=len(choices))


def appointment_router(services: Services, scheduling: Scheduling, settings: Settings) -> APIRouter:
    router = APIRouter()
    staff_only = [Depends(population_only)]
    limit = settings.max_body_bytes
    run = run_in_threadpool if settings.offload_writes else run_inline
    types = services.resource_types

    def today() -> date:
        return datetime.now(scheduling.zone).date()

    @router.post("/Appointment")
    async def book(request: Request) -> Response:
        url = context.begin(request, settings, "Appointment", types)
        body = await read_body(request, limit)
        result = await run(scheduling.booking.book, body, access=access_of(request))
        return write_response(request, result.stored, 201, url)

    @router.get("/Appointment/$find-slots")
    async def find_slots(request: Request) -> Response:
        url = context.begin(request, settings, "Slot", types)
        query = request.query_params
        patient = query.get("patient", "").removeprefix("Patient/")
        if not patient:
            raise FhirError.of(400, "required", "patient is required", "Cần tham số patient", "patient")
        start = _day(query.get("start"), "start", today())
        count = int(query["_count"]) if query.get("_count", "").isdigit() else 5
        access = access_of(request)
        access.rule("Slot", Interaction.SEARCH)  # slots hold no personal data: patient/ scopes reach them
        services.resources.read("Patient", patient, access=access)  # another child: 404
        choices = scheduling.slot_finder.find(patient, start, count=min(count, 50))
        return json_response(_slot_bundle(url, choices), indent=pretty(request))

    @router.put("/Appointment/{id}")
    async def update(request: Request, id: str) -> Response:
        url = context.begin(request, settings, "Appointment", types)
        body = await read_body(request, limit)
        if_match, access = context.if_match(request), access_of(request)
        result = await run(scheduling.booking.update, id, body, if_match=if_match, access=access)
        return write_response(request, result.stored, 201 if result.created else 200, url)

    @router.patch("/Appointment/{id}")
    async def patch(request: Request, id: str) -> Response:
        url = context.begin(request, settings, "Appointment", types)
        operations = await read_body(request, limit, patch=True)
        if_match, access = context.if_match(request), access_of(request)
        result = await run(scheduling.booking.patch, id, operations, if_match=if_match, access=access)
        return write_response(request, result.stored, 200, url)

    @router.delete("/Appointment/{id}")
    async def delete(request: Request, id: str) -> Response:
        context.begin(request, settings, "Appointment", types)
        if_match, access = context.if_match(request), access_of(request)
        deleted = await run(scheduling.booking.delete, id, if_match=if_match, access=access)
        return Response(status_code=204, headers={"ETag": etag(deleted.version)} if deleted else {})

    @router.post("/Appointment/{id}/$check-in", dependencies=staff_only)
    async def check_in(request: Request, id: str) -> Response:
        context.begin(request, settings, "Appointment", types)
        given = _parameters(await read_body(request, limit))
        occurrence = given.get("occurrence")
        vaccination = Vaccination(
            lot_number=given.get("lotNumber"),
            performer=str(given["performer"]).removeprefix("Practitioner/")
            if given.get("performer")
            else None,
            occurrence=datetime.fromisoformat(occurrence) if isinstance(occurrence, str) else None,
        )
        marked = await run(scheduling.check_in.mark, id, str(given.get("status", "")), vaccination)
        parameters: list[dict[str, Any]] = [
            {"name": "appointment", "resource": loads(marked.appointment.body)}
        ]
        if marked.immunization is not None:
            parameters.append({"name": "immunization", "resource": loads(marked.immunization.body)})
        return json_response({"resourceType": "Parameters", "parameter": parameters}, indent=pretty(request))

    @router.get("/Location/{id}/$queue", dependencies=staff_only)
    async def queue(request: Request, id: str) -> Response:
        url = context.begin(request, settings, "Appointment", types)
        day = _day(request.query_params.get("date"), "date", today())
        found = scheduling.check_in.queue(id, day)
        entries = [BundleEntry(f"{url}/Appointment/{a['id']}", dumps(a), search_mode="match") for a in found]
        return json_response(bundle("searchset", entries, total=len(found)), indent=pretty(request))

    return router
