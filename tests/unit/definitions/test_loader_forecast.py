"""The loader's forecast pieces: programmes.json, the OperationDefinition, national vaccine code systems."""

from __future__ import annotations

from datetime import date

from fhir_server.definitions.loader import load_artifacts, load_programmes, load_vaccine_systems


def test_programmes_give_the_instrument_in_force_and_who_pays() -> None:
    programmes = load_programmes("vn")
    assert programmes.instrument_on(date(2024, 7, 31)).id == "TT38/2017"  # type: ignore[union-attr]
    assert programmes.instrument_on(date(2024, 8, 1)).id == "TT10/2024"  # type: ignore[union-attr]
    assert programmes.instrument_on(date(2030, 1, 1)).id == "TT13/2026"  # type: ignore[union-attr]
    assert programmes.instrument_on(date(2017, 1, 1)) is None
    assert programmes.programme_of("Rotavirus", date(2024, 7, 31)) == "service"
    assert programmes.programme_of("Rotavirus", date(2024, 8, 1)) == "epi"
    assert programmes.programme_of("Varicella", date(2026, 1, 1)) == "service"
    assert load_programmes("cdc").instruments == ()


def test_operation_definition_inputs() -> None:
    definition = load_artifacts().operation("immds-forecast")
    inputs = definition.inputs()
    assert definition.system and definition.instance
    assert (inputs["assessmentDate"].min, inputs["assessmentDate"].max, inputs["assessmentDate"].type) == (
        1,
        "1",
        "date",
    )
    assert inputs["immunization"].many
    assert "recommendation" not in inputs


def test_national_vaccine_codes_have_their_system() -> None:
    systems = load_vaccine_systems()
    assert systems["VN-GENE-HBVAX"] == "https://fhir.vn/CodeSystem/vn-vaccine"
    assert "08" not in systems  # CVX codes keep the CVX system
