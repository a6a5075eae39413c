"""The issue's rejection table over HTTP, and every official example accepted and read back equal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient

from tests.api.conftest import FHIR_JSON, immunization, patient

JSON = {"Content-Type": FHIR_JSON}
EXAMPLES = sorted((Path(__file__).parents[1] / "data" / "examples").glob("*.json"))

BAD_IMMUNIZATIONS: dict[str, tuple[dict[str, Any], str]] = {
    "primarySource string": (immunization(primarySource="yes"), "Immunization.primarySource"),
    "doseQuantity.value string": (
        immunization(doseQuantity={"value": "5"}),
        "Immunization.doseQuantity.value",
    ),
    "lotNumber number": (immunization(lotNumber=123), "Immunization.lotNumber"),
    "unknown top-level element": (immunization(colour="red"), "Immunization"),
    "unknown nested element": (
        immunization(vaccineCode={"text": "BCG", "foo": 1}),
        "Immunization.vaccineCode",
    ),
    "month 13": (immunization(occurrenceDateTime="2013-13-45"), "Immunization.occurrence"),
    "30 February": (immunization(occurrenceDateTime="2015-02-30"), "Immunization.occurrence"),
    "time without timezone": (
        immunization(occurrenceDateTime="2015-02-07T13:28:17"),
        "Immunization.occurrence",
    ),
    "missing status": (immunization(status=None), "Immunization.status"),
    "missing occurrence": (immunization(occurrenceDateTime=None), "Immunization.occurrence"),
    "doubled occurrence": (immunization(occurrenceString="last spring"), "Immunization.occurrence"),
    "missing patient": (immunization(patient=None), "Immunization.patient"),
    "status not in value set": (immunization(status="done"), "Immunization.status"),
    "empty array": (immunization(note=[]), "Immunization.note"),
    "empty object": (immunization(site={}), "Immunization.site"),
    "null in array": (immunization(note=[None]), "Immunization.note"),
    "wrong reference target": (immunization(patient={"reference": "Practitioner/1"}), "Immunization.patient"),
    "bad id": (immunization(id="bad id!"), "Immunization.id"),
    "id too long": (immunization(id="x" * 65), "Immunization.id"),
}


@pytest.mark.parametrize("case", sorted(BAD_IMMUNIZATIONS))
def test_invalid_immunization_is_rejected_naming_the_element(client: TestClient, case: str) -> None:
    body, element = BAD_IMMUNIZATIONS[case]
    response = client.post("/fhir/Immunization", content=orjson.dumps(body), headers=JSON)
    assert response.status_code in (400, 422), response.text
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    expressions = [e for issue in outcome["issue"] for e in issue.get("expression", [])]
    assert any(e.startswith(element) for e in expressions), expressions
    # Nothing was stored.
    assert client.get("/fhir/Immunization/_history").json()["total"] == 0


def test_invalid_gender_is_rejected(client: TestClient) -> None:
    response = client.post("/fhir/Patient", json=patient(gender="mal"), headers=JSON)
    assert response.status_code in (400, 422)
    assert response.json()["issue"][0]["expression"][0].startswith("Patient.gender")


def test_wrong_resource_type_for_url(client: TestClient) -> None:
    response = client.post("/fhir/Immunization", json=patient(), headers=JSON)
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["resourceType"]


def test_url_id_that_is_malformed(client: TestClient) -> None:
    response = client.put("/fhir/Patient/bad!id", json=patient("bad!id"), headers=JSON)
    assert response.status_code == 400


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_official_example_round_trips(client: TestClient, path: Path) -> None:
    original = orjson.loads(path.read_bytes())
    url = f"/fhir/{original['resourceType']}/{original['id']}"
    stored = client.put(url, content=path.read_bytes(), headers=JSON)
    assert stored.status_code == 201, stored.text
    read_back = client.get(url).json()
    for resource in (original, read_back):
        resource.pop("meta", None)
    assert read_back == original


def test_examples_were_vendored() -> None:
    assert len(EXAMPLES) >= 20
