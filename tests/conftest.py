"""Shared fixtures: the definitions are loaded once per test session (they are frozen)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fhir_server.definitions.loader import load_definitions
from fhir_server.definitions.registry import Definitions

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def definitions() -> Definitions:
    return load_definitions()


def pytest_report_header() -> str:
    """Say which MongoDB the mongodb backend runs against (mongomock unless FHIR_TEST_MONGODB_URL)."""
    from tests.contract.mongo_backend import describe

    return describe()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Repeated after the results, where `-q` runs show it too."""
    from tests.contract.mongo_backend import describe

    terminalreporter.write_line(describe())
