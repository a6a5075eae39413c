"""Health facilities: the national EPI authority, provincial CDCs, birth hospitals and commune stations."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from bench.population import systems
from bench.population.geography import (
    BY_CODE,
    COMMUNES_PER_PROVINCE,
    FACILITY_PROVINCES,
    Commune,
    Province,
    pick_commune,
)
from fhir_server.types import JsonResource

_STREETS = ("Trần Hưng Đạo", "Lê Lợi", "Nguyễn Trãi", "Hai Bà Trưng", "Lý Thường Kiệt", "Quang Trung",
            "Hùng Vương", "Lê Duẩn", "Nguyễn Huệ", "Điện Biên Phủ", "Phan Chu Trinh", "Bà Triệu")  # fmt: skip


@dataclass(frozen=True)
class Station:
    """A commune health station (trạm y tế xã/phường): where the routine EPI doses are given."""

    org_id: str
    loc_id: str
    province: Province
    commune: str
    commune_code: str  # the official 5-digit code
    session_days: tuple[int, ...]  # days of the month with vaccination sessions


@dataclass(frozen=True)
class Hospital:
    """A provincial obstetric-paediatric hospital: where births and birth doses happen."""

    org_id: str
    room_loc_id: str  # the newborn vaccination room


@dataclass
class Facilities:
    authority_id: str = ""  # Organization running the national EPI programme
    stations: list[Station] = field(default_factory=list)
    station_weights: list[float] = field(default_factory=list)  # relative population served
    hospitals: dict[str, Hospital] = field(default_factory=dict)  # by province code
    resources: list[JsonResource] = field(default_factory=list)  # referenced before referencing


def _ref(kind: str, rid: str) -> dict[str, str]:
    return {"reference": f"{kind}/{rid}"}


def coded_units(commune_code: str, province_code: str) -> list[dict[str, Any]]:
    """The vn-commune and vn-province extensions of an address (profiles/, terminology/)."""
    return [
        {
            "url": systems.PROVINCE_EXTENSION,
            "valueCoding": {"system": systems.VN_PROVINCE, "code": province_code},
        },
        {
            "url": systems.COMMUNE_EXTENSION,
            "valueCoding": {"system": systems.VN_COMMUNE, "code": commune_code},
        },
    ]


def province_unit(province_code: str) -> list[dict[str, Any]]:
    """The vn-province extension alone: a province's own jurisdiction has no commune."""
    return [
        {
            "url": systems.PROVINCE_EXTENSION,
            "valueCoding": {"system": systems.VN_PROVINCE, "code": province_code},
        }
    ]


def _address(rng: random.Random, commune: Commune, province: Province) -> dict[str, Any]:
    line = f"Số {rng.randrange(1, 300)} đường {rng.choice(_STREETS)}"
    return {
        "extension": coded_units(commune.code, province.code),
        "use": "work",
        "type": "physical",
        "text": f"{line}, {commune.name}, {province.name}",
        "line": [line],
        "city": commune.name,
        "state": province.name,
        "country": "VN",
    }


class _Builder:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.out = Facilities()
        self._orgs = 0
        self._locs = 0

    def organization(
        self, code: str, name: str, kind: str, address: dict[str, Any], part_of: str | None = None
    ) -> str:
        self._orgs += 1
        rid = f"org-{self._orgs:04d}"
        display = {"govt": "Government", "prov": "Healthcare Provider"}[kind]
        resource: JsonResource = {
            "resourceType": "Organization",
            "id": rid,
            "identifier": [{"use": "official", "system": systems.FACILITY, "value": code}],
            "active": True,
            "type": [{"coding": [{"system": systems.ORGANIZATION_TYPE, "code": kind, "display": display}]}],
            "name": name,
            "address": [address],
        }
        if part_of:
            resource["partOf"] = _ref("Organization", part_of)
        self.out.resources.append(resource)
        return rid

    def area(
        self,
        code: str,
        name: str,
        authority: str,
        state: str,
        part_of: str | None = None,
        *,
        units: list[dict[str, Any]] | None = None,
    ) -> str:
        """A jurisdiction (country, province, commune): the Location hierarchy reports count by. Managed by
        its health authority and addressed by its province (the capital's for the country), as the
        national Location profile asks (managingOrganization, vn-loc-1). `units`: the coded province (and
        commune) of a province's (commune's) address, which make it province level (commune level) for the
        partOf rule vn-loc-2; the country has none, being above province level."""
        rid = f"area-{code.lower()}"
        resource: JsonResource = {
            "resourceType": "Location",
            "id": rid,
            "identifier": [{"system": systems.ADMIN_UNIT, "value": code}],
            "status": "active",
            "name": name,
            "mode": "instance",
            "physicalType": {
                "coding": [
                    {"system": systems.LOCATION_PHYSICAL_TYPE, "code": "jdn", "display": "Jurisdiction"}
                ]
            },
            "address": {"text": name, "state": state, "country": "VN"},
            "managingOrganization": _ref("Organization", authority),
        }
        if units:
            resource["address"] = {"extension": units, **resource["address"]}
        if part_of:
            resource["partOf"] = _ref("Location", part_of)
        self.out.resources.append(resource)
        return rid

    def location(
        self,
        code: str,
        name: str,
        org_id: str,
        address: dict[str, Any],
        part_of: str | None = None,
        *,
        area: str | None = None,
    ) -> str:
        self._locs += 1
        rid = f"loc-{self._locs:04d}"
        room = part_of is not None
        part_of = part_of or area  # a building is part of its commune, a room of its building
        resource: JsonResource = {
            "resourceType": "Location",
            "id": rid,
            "identifier": [{"system": systems.LOCATION, "value": code}],
            "status": "active",
            "name": name,
            "mode": "instance",
            "physicalType": {
                "coding": [
                    {
                        "system": systems.LOCATION_PHYSICAL_TYPE,
                        "code": "ro" if room else "bu",
                        "display": "Room" if room else "Building",
                    }
                ]
            },
            "address": address,
            "managingOrganization": _ref("Organization", org_id),
        }
        if part_of:
            resource["partOf"] = _ref("Location", part_of)
        self.out.resources.append(resource)
        return rid

    def province(self, province: Province, weight: float, communes: int = COMMUNES_PER_PROVINCE) -> None:
        rng, p = self.rng, province
        taken: set[str] = set()
        centre = pick_commune(rng, p.code, True, taken)
        cdc = self.organization(
            f"{p.code}001",
            f"Trung tâm Kiểm soát Bệnh tật {p.name}",
            "govt",
            _address(rng, centre, p),
            part_of=self.out.authority_id,
        )
        province_area = self.area(p.code, p.name, cdc, p.name, part_of="area-vn", units=province_unit(p.code))
        name = f"Bệnh viện Sản Nhi {p.name}"
        address = _address(rng, centre, p)
        # Under the provincial CDC, which stands in for the Department of Health in this synthetic network, so
        # that every organization rolls up to its province (profile vn-organization, vn-org-1 and vn-org-3).
        hospital = self.organization(f"{p.code}002", name, "prov", address, part_of=cdc)
        # The hospital's building is part of the commune it stands in, part of the province (vn-loc-2); that
        # commune has no station here, so its jurisdiction is managed by the CDC.
        centre_area = self.area(
            centre.code,
            centre.name,
            cdc,
            p.name,
            part_of=province_area,
            units=coded_units(centre.code, p.code),
        )
        building = self.location(f"{p.code}002", name, hospital, address, area=centre_area)
        room = self.location(
            f"{p.code}002-TC", f"Phòng tiêm chủng sơ sinh - {name}", hospital, address, part_of=building
        )
        self.out.hospitals[p.code] = Hospital(hospital, room)
        for n in range(communes):
            commune = pick_commune(rng, p.code, n % 2 == 0, taken)
            address = _address(rng, commune, p)
            code = f"{p.code}{101 + n:03d}"
            org = self.organization(code, f"Trạm Y tế {commune.name}", "prov", address, part_of=cdc)
            commune_area = self.area(
                commune.code,
                commune.name,
                org,
                p.name,
                part_of=province_area,
                units=coded_units(commune.code, p.code),
            )
            name = f"Điểm tiêm chủng Trạm Y tế {commune.name}"
            loc = self.location(code, name, org, address, area=commune_area)
            days = tuple(sorted(rng.sample(range(2, 27), rng.choice((1, 2)))))
            self.out.stations.append(Station(org, loc, p, commune.name, commune.code, days))
            self.out.station_weights.append(weight / communes)


def build_facilities(
    rng: random.Random,
    provinces: tuple[tuple[str, float], ...] = FACILITY_PROVINCES,
    communes: int = COMMUNES_PER_PROVINCE,
) -> Facilities:
    """The facility network; `org-0001` is the national EPI authority (NIHE). `provinces`: (code, weight)
    of the provinces that get facilities (and so children); `communes`: stations per province."""
    builder = _Builder(rng)
    hanoi = BY_CODE["01"]
    builder.out.authority_id = builder.organization(
        "00001",
        "Viện Vệ sinh Dịch tễ Trung ương",
        "govt",
        {
            "extension": coded_units("00256", hanoi.code),  # Phường Hai Bà Trưng
            "use": "work",
            "type": "physical",
            "text": "Số 1 Yersin, Phường Hai Bà Trưng, Hà Nội",
            "line": ["Số 1 Yersin"],
            "city": "Phường Hai Bà Trưng",
            "state": hanoi.name,
            "country": "VN",
        },
    )
    builder.area("VN", "Việt Nam", builder.out.authority_id, hanoi.name)
    for code, weight in provinces:
        builder.province(BY_CODE[code], weight, communes)
    return builder.out
