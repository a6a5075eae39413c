"""Clients nobody here wrote — SMART's `fhirclient` and Beda's `fhirpy` — drive a real uvicorn server."""

from __future__ import annotations

import pytest
from fhirclient import client as smart_client
from fhirclient.models.immunization import Immunization
from fhirclient.models.patient import Patient
from fhirpy import SyncFHIRClient

from tests.e2e.server import ServerProcess

pytestmark = pytest.mark.e2e

PATIENT = {
    "resourceType": "Patient",
    "identifier": [{"system": "https://fhir.vn/sid/cccd", "value": "001226000777"}],
    "name": [{"family": "Trần", "given": ["Minh", "Đức"]}],
    "gender": "male",
    "birthDate": "2026-02-03",
}


def test_fhirclient_create_read_update_history_delete(server: ServerProcess) -> None:
    smart = smart_client.FHIRClient(settings={"app_id": "e2e", "api_base": server.base})
    created = Patient(dict(PATIENT)).create(smart.server)
    assert created is not None
    patient_id = created["id"]

    patient = Patient.read(patient_id, smart.server)
    assert patient.name[0].family == "Trần"
    assert patient.meta.versionId == "1"

    patient.gender = "other"
    patient.update(smart.server)
    assert Patient.read(patient_id, smart.server).gender == "other"

    immunization = Immunization(
        {
            "resourceType": "Immunization",
            "status": "completed",
            "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "19"}]},
            "patient": {"reference": f"Patient/{patient_id}"},
            "occurrenceDateTime": "2026-02-04T09:00:00+07:00",
            "primarySource": True,
        }
    ).create(smart.server)
    assert immunization is not None

    history = smart.server.request_json(f"Patient/{patient_id}/_history")
    assert history["total"] == 2
    assert [e["request"]["method"] for e in history["entry"]] == ["PUT", "POST"]

    Patient.read(patient_id, smart.server).delete(smart.server)
    with pytest.raises(Exception, match="410"):
        Patient.read(patient_id, smart.server)


def test_fhirpy_create_read_update_history_delete(server: ServerProcess) -> None:
    fhir = SyncFHIRClient(server.base)
    patient = fhir.resource("Patient", **{k: v for k, v in PATIENT.items() if k != "resourceType"})
    patient.save()
    assert patient.id
    assert patient["meta"]["versionId"] == "1"

    fetched = fhir.reference("Patient", patient.id).to_resource()
    assert fetched["name"][0]["given"] == ["Minh", "Đức"]

    fetched["birthDate"] = "2026-02-04"
    fetched.save()
    assert fetched["meta"]["versionId"] == "2"

    history = fhir.execute(f"Patient/{patient.id}/_history", method="get")
    assert [e["resource"]["birthDate"] for e in history["entry"]] == ["2026-02-04", "2026-02-03"]

    fetched.delete()
    bundle = fhir.execute(f"Patient/{patient.id}/_history", method="get")
    assert bundle["entry"][0]["request"]["method"] == "DELETE"


def test_fhirpy_posts_a_transaction_bundle(server: ServerProcess) -> None:
    fhir = SyncFHIRClient(server.base)
    urn = "urn:uuid:0f3c5a2e-7d41-4c8b-9e6f-1a2b3c4d5e6f"
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": urn,
                "resource": {k: v for k, v in PATIENT.items() if k != "id"},
                "request": {"method": "POST", "url": "Patient"},
            },
            {
                "resource": {
                    "resourceType": "Immunization",
                    "status": "completed",
                    "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "08"}]},
                    "patient": {"reference": urn},
                    "occurrenceDateTime": "2026-02-03",
                },
                "request": {"method": "POST", "url": "Immunization"},
            },
        ],
    }
    response = fhir.execute("", method="post", data=bundle)
    assert response["type"] == "transaction-response"
    patient_id = response["entry"][0]["response"]["location"].split("/")[1]
    found = fhir.resources("Immunization").search(patient=f"Patient/{patient_id}").fetch()
    assert [i["patient"]["reference"] for i in found] == [f"Patient/{patient_id}"]
