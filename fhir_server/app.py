"""Composition root: settings -> definitions -> storage -> services -> routers. Only this module knows
every part."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from auth.component import AuthComponents, build_auth
from auth.router import auth_router
from auth.settings import AuthSettings
from fhir_server.api.bundles import bundle_router
from fhir_server.api.errors import InternalErrorGuard, install_error_handlers
from fhir_server.api.history import history_router
from fhir_server.api.operations import operations_router
from fhir_server.api.resources import compartment_router, resource_router, system_search_router
from fhir_server.api.system import health_router, metadata_router
from fhir_server.definitions.artifacts import ARTIFACT_TYPES, Artifacts
from fhir_server.definitions.loader import load_artifacts, load_definitions
from fhir_server.logs import AccessLog
from fhir_server.logs import configure as configure_logging
from fhir_server.model.profile_checker import ProfileChecker
from fhir_server.model.validator import Validator
from fhir_server.operations.container import Operations
from fhir_server.operations.terminology import TerminologyOperations
from fhir_server.operations.validate import ValidateOperation
from fhir_server.search.extract import Extractor
from fhir_server.services.artifacts import ArtifactService
from fhir_server.services.capabilities import CapabilityService, OperationEntry
from fhir_server.services.compartments import Compartments
from fhir_server.services.conditions import Conditions
from fhir_server.services.container import Services
from fhir_server.services.crud import ResourceService
from fhir_server.services.history import HistoryService
from fhir_server.services.references import ReferenceResolver
from fhir_server.services.search import SearchService
from fhir_server.services.search_coverage import log_unsupported
from fhir_server.services.transaction import TransactionService
from fhir_server.settings import Settings
from fhir_server.storage.base import Store
from fhir_server.storage.factory import open_store


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
    """The routed $operations (api/operations.py) with their OperationDefinitions (conformance/operations)."""
    return [
        OperationEntry(code, () if od.get("system") else tuple(od["resource"]), od["url"])
        for code, od in sorted(artifacts.operation_definitions.items())
    ]


def build_services(
    settings: Settings, store: Store | None = None, artifacts: Artifacts | None = None
) -> Services:
    definitions = load_definitions()
    artifacts = artifacts or load_artifacts()
    profiles = ProfileChecker(artifacts)
    clock = SystemClock()
    store = store or open_store(settings.database_url, clock)
    default_tz = ZoneInfo(settings.default_timezone)
    # The token modifiers :in / :not-in expand the national ValueSets at parse time.
    registry = replace(definitions.search_params, value_sets=artifacts.terminology.expansions())
    log_unsupported(registry)
    extractor = Extractor(registry, default_tz)
    conditions = Conditions(registry, default_tz)
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
        read_only=frozenset(ARTIFACT_TYPES),
    )
    search = SearchService(
        store,
        registry,
        default_tz,
        settings.max_count,
        settings.default_count,
        extractor=extractor,
        compartments=Compartments(definitions.compartments, registry),
        element_flags=definitions.element_flags,
    )
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
        artifacts=artifacts,
        validator=validator,
    )


def build_operations(services: Services) -> Operations:
    return Operations(
        validate=ValidateOperation(services.validator, services.resources),
        terminology=TerminologyOperations(services.artifacts.terminology, SystemClock()),
        artifacts=ArtifactService(services.artifacts),
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

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
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
    app.include_router(metadata_router(services, settings), prefix=settings.base_path)
    app.include_router(history_router(services, settings), prefix=settings.base_path)
    # Before the resource router: `/ValueSet/$expand`, `/Patient/$validate` and the read-only artifacts.
    app.include_router(
        operations_router(services, build_operations(services), settings), prefix=settings.base_path
    )
    app.include_router(resource_router(services, settings), prefix=settings.base_path)
    app.include_router(compartment_router(services, settings), prefix=settings.base_path)
    app.include_router(system_search_router(services, settings), prefix=settings.base_path)
    app.include_router(bundle_router(services, settings), prefix=settings.base_path)
    app.add_middleware(InternalErrorGuard)
    app.add_middleware(AccessLog)
    return app


def serve_app() -> FastAPI:
    """The factory uvicorn runs in each worker process: logging first, then the app."""
    settings = Settings()
    configure_logging(settings.log_level)
    return create_app(settings)
