"""The start-up report of what search does not cover."""

from __future__ import annotations

import logging
from types import MappingProxyType

import pytest

from fhir_server.definitions.registry import SearchParamDef, SearchParamRegistry
from fhir_server.services.search_coverage import log_unsupported


def _param(code: str, resource_type: str, type_: str) -> SearchParamDef:
    """No component types: a composite whose component definitions are unknown."""
    return SearchParamDef(code, resource_type, type_, None, f"http://example.org/{code}")  # type: ignore[arg-type]


REGISTRY = SearchParamRegistry(
    MappingProxyType(
        {
            "Location": MappingProxyType(
                {
                    "near": _param("near", "Location", "special"),
                    "name": _param("name", "Location", "string"),
                    "_text": _param("_text", "Location", "string"),
                }
            ),
            "Observation": MappingProxyType(
                {
                    "code-value-quantity": _param("code-value-quantity", "Observation", "composite"),
                    "combo-code-value-quantity": _param(
                        "combo-code-value-quantity", "Observation", "composite"
                    ),
                    "_text": _param("_text", "Observation", "string"),
                }
            ),
        }
    )
)


def test_one_line_per_unimplemented_type_with_its_count(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="fhir_server.search")
    assert log_unsupported(REGISTRY) == {"composite": 2, "special": 1}
    lines = {
        r.__dict__["param_type"]: r
        for r in caplog.records
        if r.message == "search parameter type not implemented"
    }
    assert set(lines) == {"composite", "special"}
    assert all(r.name == "fhir_server.search" and r.levelno == logging.INFO for r in lines.values())
    assert lines["composite"].__dict__["parameters"] == 2
    assert lines["special"].__dict__["examples"] == ["Location.near"]
    names = [r for r in caplog.records if r.message == "search parameter not implemented"]
    assert [(r.__dict__["param"], r.__dict__["resource_types"]) for r in names] == [("_text", 2)]


def test_the_official_definitions_report_only_special(caplog: pytest.LogCaptureFixture) -> None:
    """Every official composite names known component definitions, so only `special` is left."""
    from fhir_server.definitions.loader import load_definitions

    caplog.set_level(logging.INFO, logger="fhir_server.search")
    counts = log_unsupported(load_definitions().search_params)
    assert set(counts) == {"special"}
    assert "string" not in counts and "token" not in counts


def test_logged_once_when_the_app_is_built(caplog: pytest.LogCaptureFixture) -> None:
    from fhir_server.app import build_services
    from fhir_server.settings import Settings

    caplog.set_level(logging.INFO, logger="fhir_server.search")
    build_services(Settings(database_url="memory://")).store.close()
    kinds = [
        r.__dict__["param_type"]
        for r in caplog.records
        if r.message == "search parameter type not implemented"
    ]
    assert kinds == ["special"]
