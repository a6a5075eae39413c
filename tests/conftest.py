"""Shared fixtures: the definitions are loaded once per test session (they are frozen)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fhir_server.definitions.loader import load_definitions
from fhir_server.definitions.registry import Definitions

# The authorization server mounted by create_app keeps its state in memory during tests, never in var/.
os.environ.setdefault("AUTH_DATABASE_URL", "memory://")
# Explicit development settings for the suite written before enforcement (and the e2e servers, which
# inherit the environment): no token needed, no audit trail. The security tests (tests/api/test_security*,
# tests/e2e/test_enforcement.py) switch both on explicitly.
os.environ.setdefault("FHIR_AUTH_REQUIRED", "false")
os.environ.setdefault("FHIR_AUDIT", "false")
# The server enforces the national profiles by default; the suites that test FHIR mechanics (CRUD, search,
# history, bundles) write minimal resources, so they run without. tests/api/test_profiles.py and
# tests/unit/model/test_profile_checker.py enforce them explicitly.
os.environ.setdefault("FHIR_PROFILES_ENFORCED", "none")

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def definitions() -> Definitions:
    return load_definitions()


# The CDC CDSi pass table (recorded by tests/forecast/test_cdc_cases.py; works under pytest-xdist) is printed
# at the end of every run, so `make test` shows it.
_TABLES: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _TABLES.extend(str(value) for name, value in report.user_properties if name in ("cdsi_table", "vn_table"))


def pytest_report_header() -> str:
    """Say which MongoDB the mongodb backend runs against (mongomock unless FHIR_TEST_MONGODB_URL)."""
    from tests.contract.mongo_backend import describe

    return describe()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _TABLES:
        terminalreporter.section("CDSi test cases per vaccine group (CDC's, then the Vietnamese ones)")
    for text in sorted(set(_TABLES), key=lambda t: "vn " in t):
        terminalreporter.write_line(text)
    # Repeated after the results, where `-q` runs show it too.
    from tests.contract.mongo_backend import describe

    terminalreporter.write_line(describe())
