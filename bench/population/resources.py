"""FHIR R4 JSON for one child: Patient, the mother as RelatedPerson, and the Immunizations."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bench.population import systems
from bench.population.facilities import Facilities, Station, coded_units
from bench.population.history import Dose
from fhir_server.types import JsonResource

_NATIONAL_ID_TYPE = {
    "coding": [
        {"system": systems.IDENTIFIER_TYPE, "code": "NI", "display": "National unique individual identifier"}
    ],
    "text": "Số định danh cá nhân",
}
_BIRTH_CERTIFICATE_TYPE = {
    "coding": [{"system": systems.IDENTIFIER_TYPE, "code": "BCT", "display": "Birth Certificate"}],
    "text": "Giấy khai sinh",
}
_MOTHER = {
    "coding": [{"system": systems.ROLE_CODE, "code": "MTH", "display": "mother"}],
    "text": "Mẹ",
}
# The national product code (terminology/CodeSystem-vn-vaccine.json) of the EPI product each vaccine stands
# for; it also names the manufacturer (profile vn-immunization, invariant vn-imm-5).
_PRODUCT = {
    "hepb": "VN-GENE-HBVAX", "bcg": "VN-BCG", "penta": "VN-COMBE-FIVE", "bopv": "VN-BOPV", "ipv": "VN-IPV",
    "rota": "VN-ROTAVIN-M1", "pcv": "VN-SYNFLORIX", "measles": "VN-MVVAC", "mr": "VN-MRVAC", "dtp": "VN-DTP",
    "je": "VN-JEVAX", "td": "VN-TD",
}  # fmt: skip
_EPI_FUNDING = {
    "coding": [
        {"system": systems.FUNDING_SOURCE, "code": "EPI", "display": "Expanded Programme on Immunization"}
    ],
    "text": "Tiêm chủng mở rộng",
}
_ADMINISTERING = {
    "coding": [{"system": systems.PERFORMER_FUNCTION, "code": "AP", "display": "Administering Provider"}]
}


def ref(kind: str, rid: str) -> dict[str, str]:
    return {"reference": f"{kind}/{rid}"}


def human_name(family: str, middle: str, given: str) -> dict[str, Any]:
    # Vietnamese order is family, middle, given; `text` keeps it, `given` lists middle then given name.
    return {
        "use": "official",
        "text": f"{family} {middle} {given}",
        "family": family,
        "given": [middle, given],
    }


def home_address(station: Station, hamlet: int) -> dict[str, Any]:
    urban = station.commune.startswith("Phường")
    line = f"Tổ dân phố {hamlet}" if urban else f"Thôn {hamlet}"
    return {
        "extension": coded_units(station.commune_code, station.province.code),
        "use": "home",
        "type": "physical",
        "text": f"{line}, {station.commune}, {station.province.name}",
        "line": [line],
        "city": station.commune,
        "state": station.province.name,
        "country": "VN",
    }


def patient(
    rid: str,
    *,
    name: dict[str, Any],
    female: bool,
    birth: date,
    cccd: str,
    birth_certificate: str,
    address: dict[str, Any],
    station: Station,
) -> JsonResource:
    return {
        "resourceType": "Patient",
        "id": rid,
        "identifier": [
            {"use": "official", "type": _NATIONAL_ID_TYPE, "system": systems.CCCD, "value": cccd},
            {
                "type": _BIRTH_CERTIFICATE_TYPE,
                "system": systems.BIRTH_CERTIFICATE,
                "value": birth_certificate,
            },
        ],
        "active": True,
        "name": [name],
        "gender": "female" if female else "male",
        "birthDate": birth.isoformat(),
        "address": [address],
        "managingOrganization": ref("Organization", station.org_id),
    }


def mother(
    rid: str,
    *,
    patient_id: str,
    name: dict[str, Any],
    birth: date,
    cccd: str,
    phone: str,
    address: dict[str, Any],
) -> JsonResource:
    return {
        "resourceType": "RelatedPerson",
        "id": rid,
        "identifier": [{"use": "official", "type": _NATIONAL_ID_TYPE, "system": systems.CCCD, "value": cccd}],
        "active": True,
        "patient": ref("Patient", patient_id),
        "relationship": [_MOTHER],
        "name": [name],
        "telecom": [{"system": "phone", "value": phone, "use": "mobile", "rank": 1}],
        "gender": "female",
        "birthDate": birth.isoformat(),
        "address": [address],
    }


def lot(dose: Dose, choice: int) -> tuple[str, str]:
    """Lot number and expiry: two lots per vaccine and quarter, valid two years from the quarter start."""
    day = dose.when.date()
    quarter_month = (day.month - 1) // 3 * 3 + 1
    number = f"{dose.vaccine.lot_prefix}-{day.year % 100:02d}{quarter_month:02d}{'AB'[choice]}"
    return number, date(day.year + 2, quarter_month, 1).isoformat()


def immunization(
    rid: str, *, patient_id: str, dose: Dose, facilities: Facilities, station: Station, lot_choice: int
) -> JsonResource:
    v = dose.vaccine
    if dose.at_birth:
        hospital = facilities.hospitals[station.province.code]
        performer, location = hospital.org_id, hospital.room_loc_id
    else:
        performer, location = station.org_id, station.loc_id
    lot_number, expiry = lot(dose, lot_choice)
    return {
        "resourceType": "Immunization",
        "id": rid,
        "identifier": [{"system": systems.IMMUNIZATION_RECORD, "value": rid.removeprefix("imm-")}],
        "status": "completed",
        "vaccineCode": {
            "coding": [
                {"system": systems.CVX, "code": v.cvx, "display": v.cvx_display},
                {"system": systems.VN_VACCINE, "code": _PRODUCT[v.key]},
            ],
            "text": v.text_vi,
        },
        "patient": ref("Patient", patient_id),
        "occurrenceDateTime": dose.when.strftime("%Y-%m-%dT%H:%M:00+07:00"),
        "primarySource": True,
        "location": ref("Location", location),
        "lotNumber": lot_number,
        "expirationDate": expiry,
        "route": {"coding": [{"system": systems.ROUTE, "code": v.route[0], "display": v.route[1]}]},
        "doseQuantity": {"value": v.dose_ml, "unit": "mL", "system": systems.UCUM, "code": "mL"},
        "fundingSource": _EPI_FUNDING,
        "performer": [{"function": _ADMINISTERING, "actor": ref("Organization", performer)}],
        "protocolApplied": [
            {
                "series": v.series_vi,
                "authority": ref("Organization", facilities.authority_id),
                "doseNumberPositiveInt": dose.dose_number,
            }
        ],
    }


def mother_birth_date(birth: date, age_years: float) -> date:
    return birth - timedelta(days=round(age_years * 365.25))
