"""Vietnam's 34 provinces (since 1 July 2025, Decision 19/2025/QĐ-TTg codes) and their real communes
(terminology/CodeSystem-vn-commune.json, read through the definitions loader)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache

from fhir_server.definitions.loader import load_artifacts

VN_COMMUNE = "https://fhir.vn/CodeSystem/vn-commune"


@dataclass(frozen=True)
class Province:
    code: str  # 2-digit administrative code
    name: str
    region: str  # "north" | "central" | "south": drives family-name variants (Hoàng/Huỳnh, Vũ/Võ)


def _p(code: str, name: str, region: str) -> Province:
    return Province(code, name, region)


PROVINCES: tuple[Province, ...] = (
    _p("01", "Hà Nội", "north"),
    _p("04", "Cao Bằng", "north"),
    _p("08", "Tuyên Quang", "north"),
    _p("11", "Điện Biên", "north"),
    _p("12", "Lai Châu", "north"),
    _p("14", "Sơn La", "north"),
    _p("15", "Lào Cai", "north"),
    _p("19", "Thái Nguyên", "north"),
    _p("20", "Lạng Sơn", "north"),
    _p("22", "Quảng Ninh", "north"),
    _p("24", "Bắc Ninh", "north"),
    _p("25", "Phú Thọ", "north"),
    _p("31", "Hải Phòng", "north"),
    _p("33", "Hưng Yên", "north"),
    _p("37", "Ninh Bình", "north"),
    _p("38", "Thanh Hóa", "central"),
    _p("40", "Nghệ An", "central"),
    _p("42", "Hà Tĩnh", "central"),
    _p("44", "Quảng Trị", "central"),
    _p("46", "Huế", "central"),
    _p("48", "Đà Nẵng", "central"),
    _p("51", "Quảng Ngãi", "central"),
    _p("52", "Gia Lai", "central"),
    _p("56", "Khánh Hòa", "central"),
    _p("66", "Đắk Lắk", "central"),
    _p("68", "Lâm Đồng", "central"),
    _p("75", "Đồng Nai", "south"),
    _p("79", "Thành phố Hồ Chí Minh", "south"),
    _p("80", "Tây Ninh", "south"),
    _p("82", "Đồng Tháp", "south"),
    _p("86", "Vĩnh Long", "south"),
    _p("91", "An Giang", "south"),
    _p("92", "Cần Thơ", "south"),
    _p("96", "Cà Mau", "south"),
)
BY_CODE: dict[str, Province] = {p.code: p for p in PROVINCES}

# Provinces that get facilities (and so residents), with rough population weights (millions, 2025).
FACILITY_PROVINCES: tuple[tuple[str, float], ...] = (
    ("01", 8.7),
    ("79", 14.0),
    ("40", 3.8),
    ("48", 3.1),
    ("66", 3.3),
    ("92", 4.2),
)
COMMUNES_PER_PROVINCE = 2


@dataclass(frozen=True)
class Commune:
    code: str  # 5-digit code of Decision 19/2025/QĐ-TTg
    name: str  # "Phường Sài Gòn", "Xã Tân Phú", "Đặc khu Côn Đảo"

    @property
    def urban(self) -> bool:
        return self.name.startswith("Phường")


@cache
def communes_of(province_code: str) -> tuple[Commune, ...]:
    """The communes of a province in code order (the official list)."""
    concepts = load_artifacts().terminology.code_systems[VN_COMMUNE].concepts.values()
    wanted = (province_code,)
    return tuple(Commune(c.code, c.display) for c in concepts if c.properties.get("province") == wanted)


def pick_commune(rng: random.Random, province_code: str, urban: bool, taken: set[str]) -> Commune:
    """A real commune ("Xã", or a ward "Phường" when `urban`) of the province, not in `taken` (codes).
    Falls back to the other kind when the province has none left of the kind asked for."""
    all_ = [c for c in communes_of(province_code) if c.code not in taken]
    fitting = [c for c in all_ if c.urban == urban] or all_
    if not fitting:
        raise RuntimeError(f"no commune left in province {province_code}")
    chosen = rng.choice(fitting)
    taken.add(chosen.code)
    return chosen
