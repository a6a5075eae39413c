"""The OperationDefinitions in conformance/operations/ are valid FHIR, one file per routed $operation with
its id the last segment of its url, and name the parameters the operations read."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from fhir_server.definitions.artifacts import ArtifactError
from fhir_server.definitions.loader import (
    OPERATIONS,
    PROFILES,
    TERMINOLOGY,
    load_artifacts,
    load_definitions,
    load_vaccine_catalog,
)
from fhir_server.definitions.vaccines import CVX, VN_VACCINE
from fhir_server.model.validator import Validator


def test_every_operation_definition_is_loaded_valid_and_aligned() -> None:
    definitions = load_artifacts().operation_definitions
    assert set(definitions) == {
        "Resource-validate", "CodeSystem-lookup", "ValueSet-expand", "ValueSet-validate-code",
        "ConceptMap-translate",
        "immds-forecast", "coverage", "low-coverage", "defaulters", "aefi-serious", "aefi-signal",
        "export", "Patient-export", "Group-export",
        "Appointment-find-slots", "Appointment-check-in", "Location-queue", "Patient-everything",
    }  # fmt: skip
    validator = Validator(load_definitions().validation, load_definitions().resource_types)
    for id, definition in definitions.items():
        validator.validate(dict(definition), expected_type="OperationDefinition")
        assert definition["url"] == f"https://fhir.vn/OperationDefinition/{id}"
    system = load_artifacts().system_operations()
    names = {p["name"] for p in system["coverage"]["parameter"] if p["use"] == "in"}
    assert names == {"area", "cohort", "age", "date"}
    export = load_artifacts().operation("Group-export")
    assert (export.code, export.instance, export.resource) == ("export", True, ("Group",))


def test_an_operation_definition_whose_id_is_not_its_url_stops_loading(tmp_path: Path) -> None:
    operations = tmp_path / "operations"
    shutil.copytree(OPERATIONS, operations)
    path = operations / "OperationDefinition-coverage.json"
    definition = json.loads(path.read_text("utf-8"))
    definition["id"] = "vn-coverage"
    path.write_text(json.dumps(definition), "utf-8")
    with pytest.raises(ArtifactError, match=r"OperationDefinition-coverage\.json.*vn-coverage"):
        load_artifacts(PROFILES, TERMINOLOGY, operations)
    del definition["code"]
    definition["id"] = "coverage"
    path.write_text(json.dumps(definition), "utf-8")
    with pytest.raises(ArtifactError, match=r"OperationDefinition-coverage\.json.*code"):
        load_artifacts(PROFILES, TERMINOLOGY, operations)


def test_vaccine_catalog_programme_and_antigens() -> None:
    catalog = load_vaccine_catalog()
    penta = catalog.facts(CVX, "102")
    hexa = catalog.facts(VN_VACCINE, "VN-HEXAXIM")
    bopv = catalog.facts(CVX, "178")
    assert penta is not None and hexa is not None and bopv is not None
    assert (penta.program, "Pertussis" in penta.antigens) == ("EPI", True)
    assert (hexa.program, "Polio" in hexa.antigens, hexa.oral_polio) == ("paid", True, False)
    assert bopv.oral_polio and catalog.facts(CVX, "08") == catalog.facts(CVX, "8")
    assert catalog.facts(CVX, "99999") is None
