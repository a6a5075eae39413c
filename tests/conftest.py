"""Shared fixtures: the definitions are loaded once per test session (they are frozen)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fhir_server.definitions.loader import load_definitions
from fhir_server.definitions.registry import Definitions

# The authorization server mounted by create_app keeps its state in memory during tests, never in var/.
os.environ.setdefault("AUTH_DATABASE_URL", "memory://")
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
    _TABLES.extend(str(value) for name, value in report.user_properties if name == "cdsi_table")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for text in _TABLES[:1]:
        terminalreporter.section("CDC CDSi test cases per vaccine group")
        terminalreporter.write_line(text)
