"""The care-date table (services.care_dates): every entry is a date SearchParameter of a type in the
Patient compartment, so a range never silently drops a type's filter."""

from __future__ import annotations

from fhir_server.definitions.registry import Definitions
from fhir_server.services.care_dates import CARE_DATES


def test_every_care_date_is_a_date_parameter_of_a_compartment_type(definitions: Definitions) -> None:
    for resource_type, code in CARE_DATES.items():
        definition = definitions.search_params.get(resource_type, code)
        assert definition is not None and definition.type == "date", (resource_type, code)
        assert definitions.compartments.params("Patient", resource_type), resource_type


def test_the_r4_clinical_date_types_use_it(definitions: Definitions) -> None:
    """R4's shared `clinical-date` parameter (`date` on 17 types) is the care date of each of its types."""
    clinical = "http://hl7.org/fhir/SearchParameter/clinical-date"
    sharing = {
        resource_type
        for resource_type, params in definitions.search_params.by_type.items()
        if (date := params.get("date")) is not None and date.url == clinical
    }
    assert len(sharing) == 17
    assert all(CARE_DATES[resource_type] == "date" for resource_type in sharing)
    assert CARE_DATES["Immunization"] == "date" and CARE_DATES["Condition"] == "onset-date"
    assert "Patient" not in CARE_DATES and "AuditEvent" not in CARE_DATES  # no care date: always returned
