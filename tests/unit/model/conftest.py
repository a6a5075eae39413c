"""Fixtures for the validation tests: one Validator for the session, and the vendored official examples."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from fhir_server.definitions.registry import Definitions
from fhir_server.model.json import loads
from fhir_server.model.validator import Validator
from fhir_server.types import JsonResource

EXAMPLES = Path(__file__).resolve().parents[2] / "data" / "examples"


@pytest.fixture(scope="session")
def validator(definitions: Definitions) -> Validator:
    return Validator(definitions.validation, definitions.resource_types)


@pytest.fixture
def example() -> Callable[[str], JsonResource]:
    """Reads a fresh copy of an official R4 example from tests/data/examples (safe to mutate)."""

    def read(name: str) -> JsonResource:
        resource: JsonResource = loads((EXAMPLES / name).read_bytes())
        return resource

    return read
