"""Vietnam's provinces before and after the 2025 reform (Resolution 202/2025/QH15, in force 12 June 2025;
codes of Decision 124/2004/QĐ-TTg and Decision 19/2025/QĐ-TTg). Data only; `vn_terminology.py` writes the
FHIR files from it."""

from __future__ import annotations

# The 63 provinces in force until 30 June 2025: (code, name).
OLD_PROVINCES: tuple[tuple[str, str], ...] = (
    ("01", "Thành phố Hà Nội"), ("02", "Hà Giang"), ("04", "Cao Bằng"), ("06", "Bắc Kạn"),
    ("08", "Tuyên Quang"), ("10", "Lào Cai"), ("11", "Điện Biên"), ("12", "Lai Châu"), ("14", "Sơn La"),
    ("15", "Yên Bái"), ("17", "Hòa Bình"), ("19", "Thái Nguyên"), ("20", "Lạng Sơn"), ("22", "Quảng Ninh"),
    ("24", "Bắc Giang"), ("25", "Phú Thọ"), ("26", "Vĩnh Phúc"), ("27", "Bắc Ninh"), ("30", "Hải Dương"),
    ("31", "Thành phố Hải Phòng"), ("33", "Hưng Yên"), ("34", "Thái Bình"), ("35", "Hà Nam"),
    ("36", "Nam Định"), ("37", "Ninh Bình"), ("38", "Thanh Hóa"), ("40", "Nghệ An"), ("42", "Hà Tĩnh"),
    ("44", "Quảng Bình"), ("45", "Quảng Trị"), ("46", "Thừa Thiên Huế"), ("48", "Thành phố Đà Nẵng"),
    ("49", "Quảng Nam"), ("51", "Quảng Ngãi"), ("52", "Bình Định"), ("54", "Phú Yên"), ("56", "Khánh Hòa"),
    ("58", "Ninh Thuận"), ("60", "Bình Thuận"), ("62", "Kon Tum"), ("64", "Gia Lai"), ("66", "Đắk Lắk"),
    ("67", "Đắk Nông"), ("68", "Lâm Đồng"), ("70", "Bình Phước"), ("72", "Tây Ninh"), ("74", "Bình Dương"),
    ("75", "Đồng Nai"), ("77", "Bà Rịa - Vũng Tàu"), ("79", "Thành phố Hồ Chí Minh"), ("80", "Long An"),
    ("82", "Tiền Giang"), ("83", "Bến Tre"), ("84", "Trà Vinh"), ("86", "Vĩnh Long"), ("87", "Đồng Tháp"),
    ("89", "An Giang"), ("91", "Kiên Giang"), ("92", "Thành phố Cần Thơ"), ("93", "Hậu Giang"),
    ("94", "Sóc Trăng"), ("95", "Bạc Liêu"), ("96", "Cà Mau"),
)  # fmt: skip

# The 34 provinces since 1 July 2025: (code, name, codes of the old provinces merged into it).
NEW_PROVINCES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("01", "Thành phố Hà Nội", ("01",)),
    ("04", "Cao Bằng", ("04",)),
    ("08", "Tuyên Quang", ("08", "02")),
    ("11", "Điện Biên", ("11",)),
    ("12", "Lai Châu", ("12",)),
    ("14", "Sơn La", ("14",)),
    ("15", "Lào Cai", ("10", "15")),
    ("19", "Thái Nguyên", ("19", "06")),
    ("20", "Lạng Sơn", ("20",)),
    ("22", "Quảng Ninh", ("22",)),
    ("24", "Bắc Ninh", ("27", "24")),
    ("25", "Phú Thọ", ("25", "26", "17")),
    ("31", "Thành phố Hải Phòng", ("31", "30")),
    ("33", "Hưng Yên", ("33", "34")),
    ("37", "Ninh Bình", ("37", "35", "36")),
    ("38", "Thanh Hóa", ("38",)),
    ("40", "Nghệ An", ("40",)),
    ("42", "Hà Tĩnh", ("42",)),
    ("44", "Quảng Trị", ("45", "44")),
    ("46", "Thành phố Huế", ("46",)),
    ("48", "Thành phố Đà Nẵng", ("48", "49")),
    ("51", "Quảng Ngãi", ("51", "62")),
    ("52", "Gia Lai", ("64", "52")),
    ("56", "Khánh Hòa", ("56", "58")),
    ("66", "Đắk Lắk", ("66", "54")),
    ("68", "Lâm Đồng", ("68", "67", "60")),
    ("75", "Đồng Nai", ("75", "70")),
    ("79", "Thành phố Hồ Chí Minh", ("79", "74", "77")),
    ("80", "Tây Ninh", ("72", "80")),
    ("82", "Đồng Tháp", ("87", "82")),
    ("86", "Vĩnh Long", ("86", "83", "84")),
    ("91", "An Giang", ("89", "91")),
    ("92", "Thành phố Cần Thơ", ("92", "93", "94")),
    ("96", "Cà Mau", ("96", "95")),
)
