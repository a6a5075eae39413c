"""Shared fixtures: the definitions are loaded once per test session (they are frozen)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fhir_server.definitions.loader import load_definitions
from fhir_server.definitions.registry import Definitions

# The authorization server mounted by create_app keeps its state in memory during tests, never in var/.
os.environ.setdefault("AUTH_DATABASE_URL", "memory://")

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def definitions() -> Definitions:
    return load_definitions()
