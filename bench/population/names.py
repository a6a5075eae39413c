"""Vietnamese names with realistic frequencies, CCCD numbers and phone numbers."""

from __future__ import annotations

import random
from datetime import date
from itertools import accumulate

# Approximate shares (%) of family names in Vietnam; Hoàng/Huỳnh and Vũ/Võ split by region below.
_COMMON: tuple[tuple[str, float], ...] = (
    ("Nguyễn", 38.4), ("Trần", 12.1), ("Lê", 9.5), ("Phạm", 7.0), ("Phan", 4.5), ("Đặng", 2.1),
    ("Bùi", 2.0), ("Đỗ", 1.4), ("Hồ", 1.3), ("Ngô", 1.3), ("Dương", 1.0), ("Lý", 0.5), ("Đinh", 0.8),
    ("Trương", 0.6), ("Trịnh", 0.6), ("Lương", 0.5), ("Mai", 0.5), ("Đoàn", 0.5), ("Lâm", 0.4),
    ("Cao", 0.4), ("Hà", 0.4), ("Lưu", 0.3), ("Tô", 0.2), ("Tạ", 0.2), ("Chu", 0.2), ("Kiều", 0.1),
)  # fmt: skip
_REGIONAL: dict[str, tuple[tuple[str, float], ...]] = {
    "north": (("Hoàng", 4.6), ("Huỳnh", 0.5), ("Vũ", 3.5), ("Võ", 0.4)),
    "central": (("Hoàng", 2.5), ("Huỳnh", 2.6), ("Vũ", 0.9), ("Võ", 3.0)),
    "south": (("Hoàng", 0.8), ("Huỳnh", 4.3), ("Vũ", 0.9), ("Võ", 3.0)),
}

_MIDDLE_BOY = (("Văn", 10), ("Minh", 14), ("Gia", 10), ("Đức", 8), ("Quốc", 6), ("Hoàng", 6), ("Bảo", 8),
               ("Anh", 6), ("Tuấn", 4), ("Thành", 4), ("Hữu", 5), ("Nhật", 5), ("Đăng", 4), ("Trung", 3),
               ("Thiên", 3), ("Công", 2))  # fmt: skip
_MIDDLE_GIRL = (("Thị", 12), ("Ngọc", 12), ("Bảo", 8), ("Khánh", 7), ("Minh", 6), ("Thanh", 5),
                ("Phương", 5), ("Gia", 6), ("Hà", 4), ("Thu", 4), ("Mai", 3), ("Như", 4), ("Tường", 2),
                ("Diệu", 3), ("Quỳnh", 3), ("Kim", 3))  # fmt: skip
_MIDDLE_MOTHER = (("Thị", 55), ("Ngọc", 8), ("Thanh", 7), ("Thu", 6), ("Kim", 5), ("Hồng", 5),
                  ("Thùy", 4), ("Phương", 4), ("Mỹ", 3), ("Minh", 3))  # fmt: skip
_GIVEN_BOY = ("An", "Khôi", "Minh", "Huy", "Phúc", "Khang", "Bảo", "Đăng", "Nam", "Long", "Quân", "Dũng",
              "Hiếu", "Hưng", "Lâm", "Phong", "Duy", "Đức", "Kiên", "Tùng", "Vinh", "Nguyên", "Khoa",
              "Thịnh", "Trí", "Tín", "Nhân", "Sơn", "Hải", "Việt", "Đạt", "Tuấn", "Thái", "Kiệt")  # fmt: skip
_GIVEN_GIRL = ("Anh", "Linh", "Ngọc", "Hân", "Vy", "Thư", "Trang", "Chi", "Nhi", "My", "Hà", "Hương",
               "Lan", "Mai", "Thảo", "Yến", "Châu", "Diệp", "Ánh", "Uyên", "Quỳnh", "Nhung", "Như", "Tâm",
               "An", "Khuê", "Ngân", "Trâm", "Hằng", "Phương")  # fmt: skip
_GIVEN_MOTHER = ("Hương", "Lan", "Hoa", "Hạnh", "Hằng", "Huyền", "Thủy", "Nga", "Dung", "Loan", "Nhung",
                 "Trang", "Linh", "Phương", "Thảo", "Yến", "Oanh", "Hiền", "Giang", "Tuyết", "Vân", "Mai",
                 "Hà", "Ngọc", "Thu", "Liên", "Hồng", "Thơ", "Quyên", "Diễm")  # fmt: skip

# Mobile prefixes in use since the 2018 renumbering (Viettel 03x, MobiFone 07x, VinaPhone 08x, ...).
_MOBILE_PREFIXES = ("32", "33", "34", "35", "36", "37", "38", "39", "70", "76", "77", "78", "79", "81", "82",
                    "83", "84", "85", "86", "88", "89", "90", "91", "93", "94", "96", "97", "98")  # fmt: skip

_Table = tuple[tuple[str, ...], tuple[float, ...]]


def _table(rows: tuple[tuple[str, float], ...]) -> _Table:
    return tuple(r[0] for r in rows), tuple(accumulate(r[1] for r in rows))


_FAMILY: dict[str, _Table] = {region: _table(_COMMON + extra) for region, extra in _REGIONAL.items()}
_MIDDLE: dict[str, _Table] = {
    "boy": _table(_MIDDLE_BOY),
    "girl": _table(_MIDDLE_GIRL),
    "mother": _table(_MIDDLE_MOTHER),
}
_GIVEN: dict[str, tuple[str, ...]] = {"boy": _GIVEN_BOY, "girl": _GIVEN_GIRL, "mother": _GIVEN_MOTHER}


def _pick(rng: random.Random, table: _Table) -> str:
    names, cumulative = table
    return rng.choices(names, cum_weights=cumulative)[0]


def family_name(rng: random.Random, region: str) -> str:
    return _pick(rng, _FAMILY[region])


def middle_and_given(rng: random.Random, kind: str) -> tuple[str, str]:
    """kind: "boy", "girl" or "mother". Middle and given name never repeat each other."""
    middle = _pick(rng, _MIDDLE[kind])
    given = rng.choice(_GIVEN[kind])
    while given == middle:
        given = rng.choice(_GIVEN[kind])
    return middle, given


def century_sex_digit(birth: date, female: bool) -> int:
    """CCCD digit 4: 0/1 for men/women born 1900-1999, 2/3 for 2000-2099 (then 4/5, ... per century)."""
    return (birth.year // 100 - 19) * 2 + int(female)


class CccdIssuer:
    """Issues unique 12-digit personal identification numbers with a consistent structure:
    3-digit province-of-birth code, century/sex digit, 2-digit birth year, 6 random digits."""

    def __init__(self) -> None:
        self._issued: set[str] = set()

    def issue(self, rng: random.Random, province_code: str, birth: date, female: bool) -> str:
        head = f"0{province_code}{century_sex_digit(birth, female)}{birth.year % 100:02d}"
        while True:
            number = f"{head}{rng.randrange(1_000_000):06d}"
            if number not in self._issued:
                self._issued.add(number)
                return number


def mobile_phone(rng: random.Random) -> str:
    """A Vietnamese mobile number in E.164 form, e.g. +84912345678."""
    return f"+84{rng.choice(_MOBILE_PREFIXES)}{rng.randrange(10_000_000):07d}"
