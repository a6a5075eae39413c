"""Hand-built scheduling data shared by the appointment, check-in and reminder tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from fhir_server.services.scheduling_codes import VACCINE_SYSTEM

MR = "VN-MRVAC"
JE = "VN-JEVAX"


PROVINCE_AREA = "area-01"
PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"


def province_area(id: str = PROVINCE_AREA, code: str = "01", name: str = "Hà Nội") -> dict[str, Any]:
    """The province's jurisdiction: the top of every vaccination point's partOf chain (vn-loc-2)."""
    return {
        "resourceType": "Location",
        "id": id,
        "status": "active",
        "name": name,
        "physicalType": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/location-physical-type", "code": "jdn"}
            ]
        },
        "address": {
            "extension": [
                {
                    "url": "https://fhir.vn/StructureDefinition/vn-province",
                    "valueCoding": {"system": "https://fhir.vn/CodeSystem/vn-province", "code": code},
                }
            ],
            "state": name,
            "country": "VN",
        },
    }


def location(id: str, commune: str, province: str = "Hà Nội", part_of: str = PROVINCE_AREA) -> dict[str, Any]:
    """A vaccination point, part of `part_of` (put `province_area()` first)."""
    return {
        "resourceType": "Location",
        "id": id,
        "status": "active",
        "name": f"Trạm Y tế {commune}",
        "address": {"city": commune, "state": province, "country": "VN"},
        "partOf": {"reference": f"Location/{part_of}"},
    }


def child(id: str, commune: str = "Phường Ba Đình", province: str = "Hà Nội") -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": id,
        "name": [{"family": "Nguyễn", "given": ["Minh", "Đức"]}],
        "gender": "male",
        "birthDate": "2025-06-01",
        "address": [{"city": commune, "state": province, "country": "VN"}],
    }


def mother(id: str, child_id: str, phone: str = "0912345678", opt_out: bool = False) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "RelatedPerson",
        "id": id,
        "patient": {"reference": f"Patient/{child_id}"},
        "relationship": [
            {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "MTH"}]}
        ],
        "name": [{"family": "Trần", "given": ["Thị", "Hoa"]}],
        "telecom": [{"system": "phone", "value": phone, "use": "mobile"}],
    }
    if opt_out:
        resource["extension"] = [
            {"url": "https://fhir.vn/StructureDefinition/sms-opt-out", "valueBoolean": True}
        ]
    return resource


def recommendation(
    patient_id: str,
    code: str = MR,
    *,
    status: str = "due",
    earliest: date | None = None,
    due: date | None = None,
    overdue: date | None = None,
    label: str = "Sởi - Rubella",
) -> dict[str, Any]:
    criteria = [
        (loinc, value)
        for loinc, value in (("30981-5", earliest), ("30980-7", due), ("59778-1", overdue))
        if value is not None
    ]
    return {
        "resourceType": "ImmunizationRecommendation",
        "id": f"rec-{patient_id}",
        "patient": {"reference": f"Patient/{patient_id}"},
        "date": "2026-01-01T00:00:00+07:00",
        "recommendation": [
            {
                "vaccineCode": [{"coding": [{"system": VACCINE_SYSTEM, "code": code, "display": label}]}],
                "forecastStatus": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/immunization-recommendation-status",
                            "code": status,
                        }
                    ]
                },
                "dateCriterion": [
                    {
                        "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
                        "value": value.isoformat(),
                    }
                    for loinc, value in criteria
                ],
            }
        ],
    }


def appointment(patient_id: str, slot_id: str, code: str = MR) -> dict[str, Any]:
    return {
        "resourceType": "Appointment",
        "status": "booked",
        "serviceType": [{"coding": [{"system": VACCINE_SYSTEM, "code": code}]}],
        "slot": [{"reference": f"Slot/{slot_id}"}],
        "participant": [{"actor": {"reference": f"Patient/{patient_id}"}, "status": "accepted"}],
    }


TEMPLATE = {
    "sessions": [{"weekday": "tue", "start": "07:30", "end": "08:30"}],
    "slotMinutes": 15,
    "capacity": 5,
    "vaccines": [MR, JE],
    "program": "EPI",
}
