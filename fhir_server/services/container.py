"""The services the API calls, built once by `app.py`."""

from __future__ import annotations

from dataclasses import dataclass

from fhir_server.definitions.artifacts import Artifacts
from fhir_server.model.validator import Validator
from fhir_server.search.extract import Extractor
from fhir_server.services.access import AccessPolicy
from fhir_server.services.capabilities import CapabilityService
from fhir_server.services.crud import ResourceService
from fhir_server.services.forecasts import ForecastService
from fhir_server.services.history import HistoryService
from fhir_server.services.recommendations import RecommendationRefresher
from fhir_server.services.search import SearchService
from fhir_server.services.transaction import TransactionService
from fhir_server.storage.base import Store
from fhir_server.types import Clock


@dataclass(frozen=True, slots=True)
class Services:
    store: Store
    resources: ResourceService
    history: HistoryService
    search: SearchService
    transactions: TransactionService
    capabilities: CapabilityService
    resource_types: frozenset[str]
    access: AccessPolicy
    extractor: Extractor
    clock: Clock
    forecasts: ForecastService
    recommendations: RecommendationRefresher
    artifacts: Artifacts
    validator: Validator
