"""Vietnam's 34 provinces (since 1 July 2025, Decision 19/2025/QĐ-TTg codes) and synthetic communes."""

from __future__ import annotations

import random
from dataclasses import dataclass


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

_SYLLABLES = (
    "An", "Bình", "Hòa", "Phú", "Tân", "Long", "Thạnh", "Đông", "Tây", "Vĩnh", "Phước", "Mỹ", "Hưng",
    "Thuận", "Định", "Lộc", "Quang", "Thái", "Xuân", "Hiệp", "Nghĩa", "Trung", "Thành", "Khánh", "Lợi",
)  # fmt: skip


def commune_name(rng: random.Random, urban: bool, taken: set[str]) -> str:
    """A synthetic commune ("Xã") or ward ("Phường") name, unique within `taken`."""
    for _ in range(100):
        first, second = rng.sample(_SYLLABLES, 2)
        name = f"{'Phường' if urban else 'Xã'} {first} {second}"
        if name not in taken:
            taken.add(name)
            return name
    raise RuntimeError("ran out of synthetic commune names")
