"""Fixtures for the search tests: the real registry, an extractor, and the example resources."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from fhir_server.definitions.registry import Definitions, SearchParamRegistry
from fhir_server.model.json import loads
from fhir_server.search.extract import Extractor
from fhir_server.types import JsonResource

DATA = Path(__file__).resolve().parents[2] / "data"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
# ours first, then official R4 examples: the search ones and the shared Patient/Immunization/... set
FOLDERS = (DATA / "search", DATA / "search" / "examples", DATA / "examples")


def example_names() -> list[str]:
    return sorted({path.name for folder in FOLDERS for path in folder.glob("*.json")})


def read_example(name: str) -> JsonResource:
    path = next(folder / name for folder in FOLDERS if (folder / name).exists())
    resource: JsonResource = loads(path.read_bytes())
    return resource


@pytest.fixture(scope="session")
def registry(definitions: Definitions) -> SearchParamRegistry:
    return definitions.search_params


@pytest.fixture(scope="session")
def extractor(registry: SearchParamRegistry) -> Extractor:
    return Extractor(registry, VN)


@pytest.fixture
def example() -> Callable[[str], JsonResource]:
    return read_example
