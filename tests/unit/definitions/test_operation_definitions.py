"""The OperationDefinitions in conformance/ are valid FHIR and name the parameters the reports read."""

from __future__ import annotations

from fhir_server.definitions.loader import load_definitions, load_operation_definitions, load_vaccine_catalog
from fhir_server.definitions.vaccines import CVX, VN_VACCINE
from fhir_server.model.validator import Validator


def test_report_operations_are_loaded_and_valid() -> None:
    definitions = load_operation_definitions()
    codes = ("coverage", "low-coverage", "defaulters", "aefi-serious", "aefi-signal")
    assert set(codes) <= set(definitions)
    validator = Validator(load_definitions().validation, load_definitions().resource_types)
    for code in codes:
        validator.validate(dict(definitions[code]), expected_type="OperationDefinition")
    names = {p["name"] for p in definitions["coverage"]["parameter"] if p["use"] == "in"}
    assert names == {"area", "cohort", "age", "date"}


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
