from __future__ import annotations

from fhir_server.model.elements import (
    mark_subsetted,
    parse_elements,
    select_elements,
    select_summary,
    select_text,
    without_text,
)

PATIENT = {
    "resourceType": "Patient",
    "id": "a",
    "meta": {"versionId": "2", "tag": [{"system": "urn:x", "code": "t"}]},
    "text": {"status": "generated", "div": "<div/>"},
    "gender": "female",
    "birthDate": "2026-01-15",
    "_birthDate": {"extension": [{"url": "urn:e", "valueString": "x"}]},
    "name": [{"family": "Nguyễn"}],
}


def test_parse_elements_splits_trims_and_drops_own_type_prefix() -> None:
    assert parse_elements(["gender, Patient.name", "birthDate,"], "Patient") == {
        "gender",
        "name",
        "birthDate",
    }
    assert parse_elements(["Observation.code"], "Patient") == {"Observation.code"}


def test_select_elements_keeps_named_and_mandatory_framing() -> None:
    result = select_elements(PATIENT, {"birthDate"})
    assert list(result) == ["resourceType", "id", "meta", "birthDate", "_birthDate"]
    assert result["meta"]["versionId"] == "2"
    assert [t["code"] for t in result["meta"]["tag"]] == ["t", "SUBSETTED"]
    assert PATIENT["meta"] == {"versionId": "2", "tag": [{"system": "urn:x", "code": "t"}]}  # not changed


def test_without_text_and_single_tag() -> None:
    result = without_text(mark_subsetted(PATIENT))
    assert "text" not in result
    assert [t["code"] for t in result["meta"]["tag"]].count("SUBSETTED") == 1


def test_mark_subsetted_creates_meta_when_absent() -> None:
    result = mark_subsetted({"resourceType": "Patient", "gender": "male"})
    assert list(result) == ["resourceType", "meta", "gender"]
    assert result["meta"]["tag"][0]["code"] == "SUBSETTED"


OBSERVATION = {
    "resourceType": "Observation",
    "id": "o",
    "text": {"status": "generated", "div": "<div/>"},
    "status": "final",
    "_status": {"extension": [{"url": "urn:e", "valueString": "x"}]},
    "code": {"text": "weight"},
    "valueQuantity": {"value": 3.2},
    "valuesetLike": "not a choice type",  # starts with "value" but the rest is not a type name
    "note": [{"text": "n"}],
}


def test_select_summary_expands_choice_names() -> None:
    result = select_summary(OBSERVATION, {"status", "code", "value[x]"})
    assert list(result) == ["resourceType", "id", "meta", "status", "_status", "code", "valueQuantity"]
    assert [t["code"] for t in result["meta"]["tag"]] == ["SUBSETTED"]


def test_select_text_keeps_narrative_and_mandatory() -> None:
    result = select_text(OBSERVATION, {"status", "code"})
    assert set(result) == {"resourceType", "id", "meta", "text", "status", "_status", "code"}


def test_select_elements_adds_mandatory_elements() -> None:
    result = select_elements(OBSERVATION, {"note"}, mandatory={"status", "value[x]"})
    assert set(result) == {"resourceType", "id", "meta", "note", "status", "_status", "valueQuantity"}
