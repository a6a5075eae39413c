"""A hand-built area for the coverage tests: Việt Nam > province 79 > communes 79001 and 79002, one
health station each, and five children born in 2025 whose Penta doses are known exactly."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

ADMIN = "https://fhir.vn/sid/ma-don-vi-hanh-chinh"
CVX = "http://hl7.org/fhir/sid/cvx"
JSON = {"content-type": "application/fhir+json"}
PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"
PROVINCE_EXTENSION = "https://fhir.vn/StructureDefinition/vn-province"
ORG_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"


def area(id: str, code: str, name: str, part_of: str | None = None) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Location", "id": id, "name": name, "status": "active",
        "identifier": [{"system": ADMIN, "value": code}],
    }  # fmt: skip
    if part_of:
        resource["partOf"] = {"reference": f"Location/{part_of}"}
    return resource


def jurisdiction(area: dict[str, Any], province: str | None = None) -> dict[str, Any]:
    """The country (no province) or a province (its coded province): the top of each point's partOf
    chain (vn-loc-2). The synthetic communes 79001/79002 are no official codes, so they stay plain areas."""
    physical = {"coding": [{"system": PHYSICAL_TYPE, "code": "jdn"}]}
    address: dict[str, Any] = {"state": area["name"], "country": "VN"}
    if province:
        coding = {"system": "https://fhir.vn/CodeSystem/vn-province", "code": province}
        address["extension"] = [{"url": PROVINCE_EXTENSION, "valueCoding": coding}]
    return {**area, "physicalType": physical, "address": address}


def station(n: int, commune: str) -> list[dict[str, Any]]:
    return [
        {
            "resourceType": "Organization", "id": f"org-{n}", "name": f"Trạm Y tế {n}",
            "partOf": {"reference": "Organization/cdc-79"},
        },
        {
            "resourceType": "Location", "id": f"loc-{n}", "name": f"Điểm tiêm {n}",
            "managingOrganization": {"reference": f"Organization/org-{n}"},
            "partOf": {"reference": f"Location/{commune}"},
        },
    ]  # fmt: skip


def cdc() -> dict[str, Any]:
    """The provincial CDC the stations belong to (vn-org-3): a government authority of province 79."""
    coding = {"system": "https://fhir.vn/CodeSystem/vn-province", "code": "79"}
    address = {
        "state": "Thành phố Hồ Chí Minh",
        "extension": [{"url": PROVINCE_EXTENSION, "valueCoding": coding}],
    }
    return {
        "resourceType": "Organization", "id": "cdc-79", "name": "Trung tâm Kiểm soát Bệnh tật",
        "type": [{"coding": [{"system": ORG_TYPE, "code": "govt"}]}], "address": [address],
    }  # fmt: skip


def child(id: str, org: str, gender: str, birth: str = "2025-01-10") -> dict[str, Any]:
    return {
        "resourceType": "Patient", "id": id, "gender": gender, "birthDate": birth,
        "managingOrganization": {"reference": f"Organization/{org}"},
    }  # fmt: skip


def shot(id: str, patient: str, cvx: str, when: str, lot: str = "DPH-2503A") -> dict[str, Any]:
    return {
        "resourceType": "Immunization", "id": id, "status": "completed",
        "vaccineCode": {"coding": [{"system": CVX, "code": cvx}]},
        "patient": {"reference": f"Patient/{patient}"},
        "occurrenceDateTime": f"{when}T09:00:00+07:00", "primarySource": True, "lotNumber": lot,
    }  # fmt: skip


PENTA_DAYS = ("2025-03-10", "2025-04-10", "2025-05-10")


def resources() -> list[dict[str, Any]]:
    out = [
        jurisdiction(area("area-vn", "VN", "Việt Nam")),
        jurisdiction(area("area-79", "79", "Thành phố Hồ Chí Minh", "area-vn"), "79"),
        cdc(),
        area("area-79001", "79001", "Phường An Bình", "area-79"),
        area("area-79002", "79002", "Xã Tân Phú", "area-79"),
        *station(1, "area-79001"),
        *station(2, "area-79002"),
        # commune 79001: a, b (3 Penta each), c (Penta 1 only): Penta3 2/3, dropout 1/3
        child("a", "org-1", "female"),
        child("b", "org-1", "male"),
        child("c", "org-1", "male"),
        # commune 79002: d (3 Penta), e (nothing): Penta3 1/2, dropout 0/1
        child("d", "org-2", "female"),
        child("e", "org-2", "female"),
        # born in 2024: outside cohort 2025
        child("old", "org-1", "female", "2024-06-01"),
        shot("old-1", "old", "102", "2024-08-01"),
    ]
    for patient, doses in (("a", 3), ("b", 3), ("c", 1), ("d", 3)):
        out += [shot(f"{patient}-{n}", patient, "102", PENTA_DAYS[n]) for n in range(doses)]
    # an entered-in-error record never counts
    out.append({**shot("c-err", "c", "102", "2025-04-10"), "status": "entered-in-error"})
    return out


def load(client: TestClient) -> None:
    for resource in resources():
        response = client.put(
            f"/fhir/{resource['resourceType']}/{resource['id']}", json=resource, headers=JSON
        )
        assert response.status_code in (200, 201), response.text
