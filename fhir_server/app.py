"""Composition root: settings -> definitions -> storage -> services -> routers. Only this module knows
every part."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from auth.component import AuthComponents, build_auth, build_verifier
from auth.router import auth_router
from auth.settings import AuthSettings
from fhir_server.api.appointments import appointment_router
from fhir_server.api.bulk_export import export_router
from fhir_server.api.bundles import bundle_router
from fhir_server.api.errors import InternalErrorGuard, install_error_handlers
from fhir_server.api.forecast import forecast_router
from fhir_server.api.history import history_router
from fhir_server.api.operations import operations_router
from fhir_server.api.reports import reports_router
from fhir_server.api.resources import compartment_router, resource_router, system_search_router
from fhir_server.api.security import Guard
from fhir_server.api.system import health_router, metadata_router
from fhir_server.bulk.export_service import ExportService, ExportSettings
from fhir_server.definitions.artifacts import ARTIFACT_TYPES, Artifacts
from fhir_server.definitions.loader import (
    load_artifacts,
    load_definitions,
    load_programmes,
    load_schedule,
    load_unit_successions,
    load_vaccine_catalog,
    load_vaccine_systems,
)
from fhir_server.logs import AccessLog
from fhir_server.logs import configure as configure_logging
from fhir_server.model.outcome import Issue
from fhir_server.model.part_of import RULES
from fhir_server.model.profile_checker import ProfileChecker
from fhir_server.model.validator import Validator
from fhir_server.operations.aefi import AefiReports
from fhir_server.operations.container import Operations
from fhir_server.operations.coverage_data import CoverageData
from fhir_server.operations.coverage_summary import CoverageSummarizer
from fhir_server.operations.defaulters import Defaulters
from fhir_server.operations.immds_forecast import ImmdsForecast
from fhir_server.operations.terminology import TerminologyOperations
from fhir_server.operations.translate import Translator
from fhir_server.operations.validate import ValidateOperation
from fhir_server.search.extract import Extractor
from fhir_server.services.access import AccessPolicy
from fhir_server.services.aefi import AefiFlags
from fhir_server.services.artifacts import ArtifactService
from fhir_server.services.audit import AuditTrail
from fhir_server.services.capabilities import CapabilityService, OperationEntry
from fhir_server.services.compartments import Compartments
from fhir_server.services.conditions import Conditions
from fhir_server.services.container import Services
from fhir_server.services.crud import ResourceService
from fhir_server.services.forecasts import ForecastService
from fhir_server.services.history import HistoryService
from fhir_server.services.part_of_chains import (
    CHILDREN_NAMED,
    PartOfChains,
    children_query,
    parent_issues,
    part_of_issues,
)
from fhir_server.services.recommendations import RecommendationRefresher
from fhir_server.services.references import ReferenceResolver
from fhir_server.services.reminder_schedule import reminder_schedule
from fhir_server.services.scheduling import Scheduling, build_scheduling
from fhir_server.services.search import SearchService
from fhir_server.services.search_coverage import log_unsupported
from fhir_server.services.slot_capacity import SlotCapacity
from fhir_server.services.transaction import TransactionService
from fhir_server.settings import MessagingSettings, Settings
from fhir_server.storage.base import Store
from fhir_server.storage.factory import open_store
from fhir_server.types import JsonResource

log = logging.getLogger("fhir_server.app")


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def enforced_profiles(setting: str, artifacts: Artifacts) -> frozenset[str]:
    """FHIR_PROFILES_ENFORCED -> the resource types; an unknown type stops start-up."""
    typed = frozenset(p.type for p in artifacts.profiles.values() if p.type != "Extension")
    value = setting.strip()
    if value.lower() == "all":
        return typed
    if value.lower() in ("", "none"):
        return frozenset()
    chosen = frozenset(part.strip() for part in value.split(",") if part.strip())
    if not chosen <= typed:
        unknown = ", ".join(sorted(chosen - typed))
        raise ValueError(f"FHIR_PROFILES_ENFORCED names types without a national profile: {unknown}")
    return chosen


def operation_entries(artifacts: Artifacts) -> list[OperationEntry]:
    """Every routed $operation with its OperationDefinition (conformance/operations/): at system level when
    the definition says `system`, on the types it names when it says `type` or `instance`. Each route in
    api/ has its definition there; tests/api/test_capabilities_truth.py calls and reads every one."""
    entries = []
    for od in sorted(artifacts.operation_definitions.values(), key=lambda od: od["id"]):
        if od.get("system"):
            entries.append(OperationEntry(od["code"], (), od["url"]))
        if od.get("type") or od.get("instance"):
            entries.append(OperationEntry(od["code"], tuple(od["resource"]), od["url"]))
    return entries


def coverage_summarizer(settings: Settings) -> CoverageSummarizer:
    """The coverage aggregate the store keeps with every Patient and Immunization write (issue 10)."""
    return CoverageSummarizer(load_vaccine_catalog(), ZoneInfo(settings.default_timezone))


def open_server_store(settings: Settings) -> Store:
    """The store as the server opens it: with its summarizers, which every process writing to it or even
    opening it must have (a store opened without one drops the aggregate's "complete" marker)."""
    return open_store(
        settings.database_url,
        SystemClock(),
        mongodb_timeout_ms=settings.mongodb_timeout_ms,
        summarizers=(coverage_summarizer(settings),),
    )


def build_services(
    settings: Settings, store: Store | None = None, artifacts: Artifacts | None = None
) -> Services:
    definitions = load_definitions()
    artifacts = artifacts or load_artifacts()
    profiles = ProfileChecker(artifacts)
    clock = SystemClock()
    store = store or open_server_store(settings)
    default_tz = ZoneInfo(settings.default_timezone)
    # The token modifiers :in / :not-in expand the national ValueSets at parse time.
    registry = replace(definitions.search_params, value_sets=artifacts.terminology.expansions())
    log_unsupported(registry)
    extractor = Extractor(registry, default_tz)
    conditions = Conditions(registry, default_tz)
    compartments = Compartments(definitions.compartments, registry)
    validator = Validator(
        definitions.validation,
        definitions.resource_types,
        profiles,
        enforced_profiles(settings.profiles_enforced, artifacts),
    )
    resources = ResourceService(
        store,
        validator,
        extractor,
        conditions,
        references=ReferenceResolver(conditions, definitions.resource_types),
        hooks=(AefiFlags(extractor), SlotCapacity(conditions, extractor)),
        # the partOf rule (it reads other resources) follows the per-type switch of its profile
        checks=(PartOfChains(validator.enforced, conditions),),
        read_only=frozenset(ARTIFACT_TYPES),
    )
    search = SearchService(
        store,
        registry,
        default_tz,
        settings.max_count,
        settings.default_count,
        extractor=extractor,
        compartments=compartments,
        element_flags=definitions.element_flags,
    )
    forecasts = ForecastService(
        store,
        conditions,
        load_schedule(settings.forecast_schedule),
        load_programmes(settings.forecast_schedule),
        load_vaccine_systems(),
    )
    recommendations = RecommendationRefresher(
        store, forecasts, extractor, lambda: clock.now().astimezone(default_tz).date()
    )
    if settings.forecast_upkeep:
        resources.on_commit(recommendations.after_commit)
    return Services(
        store=store,
        resources=resources,
        history=HistoryService(store, settings.max_count, settings.history_count),
        search=search,
        transactions=TransactionService(
            store, resources, search, definitions.resource_types, settings.max_bundle_entries
        ),
        capabilities=CapabilityService(
            definitions,
            clock.now(),
            artifacts,
            operation_entries(artifacts),
            validator.enforced,
        ),
        resource_types=definitions.resource_types,
        access=AccessPolicy(compartments, registry, default_tz, store),
        extractor=extractor,
        clock=clock,
        forecasts=forecasts,
        recommendations=recommendations,
        artifacts=artifacts,
        validator=validator,
    )


def chains_of(store: Store) -> Callable[[JsonResource], list[Issue]]:
    """$validate's partOf rule, on every Location and Organization whatever FHIR_PROFILES_ENFORCED says."""
    return lambda resource: part_of_issues(resource, store.read)


def parents_of(services: Services) -> Callable[[str, str], list[Issue]]:
    """$validate mode=delete: a Location or Organization that is still the partOf parent of others."""

    def issues(resource_type: str, id: str) -> list[Issue]:
        if resource_type not in RULES:
            return []
        request = services.resources.condition_params(resource_type, children_query(resource_type, id))
        page = services.store.search(replace(request, count=CHILDREN_NAMED), with_total=True)
        return parent_issues(resource_type, id, [r.id for r in page.resources], page.total)

    return issues


def build_operations(services: Services) -> Operations:
    return Operations(
        validate=ValidateOperation(
            services.validator, services.resources, chains_of(services.store), parents_of(services)
        ),
        terminology=TerminologyOperations(services.artifacts.terminology, SystemClock()),
        translate=Translator(services.artifacts.terminology),
        artifacts=ArtifactService(services.artifacts),
    )


def export_dir(settings: Settings) -> Path:
    if settings.export_dir:
        return Path(settings.export_dir)
    if settings.database_url.startswith("sqlite:///"):
        return Path(settings.database_url.removeprefix("sqlite:///")).parent / "exports"
    return Path("var/exports")


def build_export(settings: Settings, services: Services, audit: AuditTrail | None = None) -> ExportService:
    return ExportService(
        services.store,
        services.resources,
        load_definitions(),
        ExportSettings(
            export_dir(settings),
            expiry=settings.export_expiry_seconds,
            max_lines=settings.export_max_lines,
            default_timezone=settings.default_timezone,
        ),
        audit=audit,
    )


def build_reports(services: Services, settings: Settings) -> tuple[CoverageData, AefiReports, Defaulters]:
    """The reports' readers of the index (issue 10)."""
    tz = ZoneInfo(settings.default_timezone)
    conditions = Conditions(load_definitions().search_params, tz)
    data = CoverageData(services.store, conditions, load_vaccine_catalog(), tz, load_unit_successions())
    return data, AefiReports(services.store, conditions, data), Defaulters(services.store, conditions, data)


def scheduling_for(settings: Settings, services: Services) -> Scheduling:
    """Appointments, check-in and reminders over the same store and resource service."""
    return build_scheduling(
        services.store,
        services.resources,
        SystemClock(),
        ZoneInfo(settings.default_timezone),
        services.forecasts.vaccine_groups_of,
    )


def auth_settings_for(settings: Settings) -> AuthSettings:
    """AUTH_ settings; unless AUTH_AUDIENCE says otherwise, tokens are for this server's FHIR base."""
    auth = AuthSettings()
    if auth.audience is None:
        audience = settings.public_base_url or f"{auth.issuer.rstrip('/')}{settings.base_path}"
        auth = auth.model_copy(update={"audience": audience.rstrip("/")})
    return auth


def create_app(
    settings: Settings | None = None, services: Services | None = None, auth: AuthComponents | None = None
) -> FastAPI:
    settings = settings or Settings()
    services = services or build_services(settings)
    auth = auth or build_auth(auth_settings_for(settings))
    if not settings.auth_required:
        log.warning(
            "!!! FHIR_AUTH_REQUIRED=false: the FHIR API serves requests WITHOUT a token, unrestricted. "
            "Development only — never expose this server. !!!"
        )
    audit = (
        AuditTrail(services.store, services.extractor, services.clock, "fhir-server")
        if settings.audit
        else None
    )
    export = build_export(settings, services, audit)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        export.worker.start()  # picks up the jobs left pending or running by an earlier process
        if reminders is not None:
            reminders.start()
        yield
        if reminders is not None:
            reminders.stop()
        export.close()
        if audit is not None:
            audit.close()  # drain the queue before the store closes
        services.store.close()
        auth.store.close()

    app = FastAPI(
        title="VN Immunization Registry — FHIR R4",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.include_router(health_router(services))
    app.include_router(auth_router(auth))  # the SMART authorization server, same process (DESIGN.md §8)
    endpoints = f"{auth.settings.issuer.rstrip('/')}/auth"
    oauth = {
        "authorize": f"{endpoints}/authorize",
        "token": f"{endpoints}/token",
        "introspect": f"{endpoints}/introspect",
        "revoke": f"{endpoints}/revoke",
    }
    app.include_router(metadata_router(services, settings, oauth), prefix=settings.base_path)
    app.include_router(export_router(export, settings), prefix=settings.base_path)
    operation = ImmdsForecast(
        services.artifacts.operation("immds-forecast"), services.forecasts, services.resources.validate
    )
    app.include_router(forecast_router(operation, settings), prefix=settings.base_path)  # before `/{type}`
    app.include_router(history_router(services, settings), prefix=settings.base_path)
    # Before the resource routes: `/$coverage` would otherwise be read as a search of type "$coverage".
    reports = reports_router(
        *build_reports(services, settings), services.artifacts.system_operations(), settings
    )
    app.include_router(reports, prefix=settings.base_path)
    # Before the resource router: `/ValueSet/$expand`, `/Patient/$validate` and the read-only artifacts.
    app.include_router(
        operations_router(services, build_operations(services), settings), prefix=settings.base_path
    )
    # before the generic routes: it takes over POST /Appointment and PUT /Appointment/{id}
    scheduling = scheduling_for(settings, services)
    reminders = reminder_schedule(scheduling, MessagingSettings())  # None unless FHIR_SMS_DAILY_AT is set
    app.include_router(appointment_router(services, scheduling, settings), prefix=settings.base_path)
    app.include_router(resource_router(services, settings), prefix=settings.base_path)
    app.include_router(compartment_router(services, settings), prefix=settings.base_path)
    app.include_router(system_search_router(services, settings), prefix=settings.base_path)
    app.include_router(bundle_router(services, settings), prefix=settings.base_path)
    app.state.audit = audit
    app.add_middleware(
        Guard,
        base_path=settings.base_path,
        verifier=build_verifier(auth.settings, auth),
        policy=services.access,
        required=settings.auth_required,
        audit=audit,
    )
    app.add_middleware(InternalErrorGuard)
    app.add_middleware(AccessLog)
    return app


def serve_app() -> FastAPI:
    """The factory uvicorn runs in each worker process: logging first, then the app."""
    settings = Settings()
    configure_logging(settings.log_level)
    return create_app(settings)
