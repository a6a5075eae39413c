"""FHIRPath expressions from JSON locations."""

from __future__ import annotations

from fhir_server.model.paths import expression, related


def test_expression() -> None:
    assert expression("Immunization", []) == "Immunization"
    assert expression("Immunization", ["note", 0, "text"]) == "Immunization.note[0].text"
    assert expression("Patient", ["name", 1, "given", 0]) == "Patient.name[1].given[0]"


def test_related() -> None:
    assert related("X.note", "X.note")
    assert related("X.note", "X.note[0]")
    assert related("X.note[0].text", "X.note")
    assert not related("X.note", "X.noteText")
    assert not related("X.a", "X.b")
