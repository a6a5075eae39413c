"""Transcribes the commune- and district-level units in force until 30 June 2025, and what each commune became
on 1 July 2025, into `terminology/communes-2004.csv` (header `code,name,district_code,province_code,successors`)
and `terminology/districts-2004.csv` (header `code,name,province_code`).

Source: the data files of the PyPI package `vietnamadminunits` 1.0.4 (MIT licence, © 2025 Tran Ngoc Minh
Hieu): `vietnamadminunits/data/dataset.db` (table `admin_units_legacy`: the 63-province list with GSO codes;
table `admin_units`: the 34-province list) and `vietnamadminunits/data/converter_2025.json` (which old units
each new commune was formed from, and for an old commune split between several new ones, which new one is
the default). Only facts are taken: codes, names and the succession. The package is not a dependency:

    pip download --no-deps vietnamadminunits==1.0.4 && unzip vietnamadminunits-1.0.4-py3-none-any.whl
    python3 scripts/terminology/communes_2004_csv.py vietnamadminunits/data
    python3 scripts/terminology/vn_terminology.py

Today's communes are named by their code in `terminology/communes.csv` (the GSO list of Official Letter
1027/CTK-CSCL), matched by province and name, so the two lists cannot disagree about a code here. `successors` lists the new
commune codes separated by `;`, the default one first (where records without a finer address are counted).

Stdlib only. Stops when an old unit has no successor, a new commune is not in communes.csv, or the counts
differ from those expected, so a changed source cannot slip in silently.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import sys
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from vn_units import OLD_PROVINCES

ROOT = Path(__file__).resolve().parents[2]
EXPECTED_COMMUNES = 10_035  # 1 January 2025; 5 island districts had no commune-level units
EXPECTED_DISTRICTS = 696
# Spelling differences between the two lists that name the same unit: old/new tone placement, dashes.
_TONES = {
    "oà": "òa", "oá": "óa", "oả": "ỏa", "oã": "õa", "oạ": "ọa", "oè": "òe", "oé": "óe", "oẻ": "ỏe",
    "oẽ": "õe", "oẹ": "ọe", "uỳ": "ùy", "uý": "úy", "uỷ": "ủy", "uỹ": "ũy", "uỵ": "ụy",
}  # fmt: skip


def name_key(name: str) -> str:
    text = unicodedata.normalize("NFC", " ".join(name.split())).lower()
    text = text.replace("–", "-").replace("’", "'")
    for old, new in _TONES.items():
        text = text.replace(old, new)
    return text


def current_codes(communes_csv: Path) -> dict[tuple[str, str], str]:
    with communes_csv.open(encoding="utf-8", newline="") as handle:
        return {(r["province_code"], name_key(r["name"])): r["code"] for r in csv.DictReader(handle)}


def districts(data: Path) -> list[tuple[str, str, str]]:
    """(district code, name, old province code), sorted by code."""
    db = sqlite3.connect(data / "dataset.db")
    found = sorted(set(db.execute("SELECT districtCode, district, provinceCode FROM admin_units_legacy")))
    if len(found) != EXPECTED_DISTRICTS or len({code for code, _, _ in found}) != len(found):
        raise ValueError(f"expected {EXPECTED_DISTRICTS} distinct districts, found {len(found)}")
    return [(code, " ".join(name.split()), province) for code, name, province in found]


def rows(data: Path, communes_csv: Path) -> list[tuple[str, str, str, str, str]]:
    """(old code, name, district code, old province code, successors), sorted by code."""
    db = sqlite3.connect(data / "dataset.db")
    legacy = {
        f"{p}_{d}_{w or ''}": (code, name, dcode, pcode)
        for p, d, w, code, name, dcode, pcode in db.execute(
            "SELECT provinceKey, districtKey, wardKey, wardCode, ward, districtCode, provinceCode "
            "FROM admin_units_legacy"
        )
    }
    new_units = {(p, w): (pcode, name) for p, w, pcode, name in db.execute(
        "SELECT provinceKey, wardKey, provinceCode, ward FROM admin_units")}  # fmt: skip
    ours = current_codes(communes_csv)

    def code_of(province_key: str, ward_key: str) -> str:
        province, name = new_units[(province_key, ward_key)]
        return ours[(province, name_key(name))]

    converter = json.loads((data / "converter_2025.json").read_text("utf-8"))
    successors: dict[str, list[str]] = {}
    for province_key, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward_key, olds in wards.items():
            for old in olds:
                successors.setdefault(old, []).append(code_of(province_key, ward_key))
    for province_key, olds in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, parts in olds.items():
            ordered = sorted(parts, key=lambda part: not part["isDefaultNewWard"])  # the default first
            successors.setdefault(old, []).extend(code_of(province_key, p["newWardKey"]) for p in ordered)
    provinces = {code for code, _ in OLD_PROVINCES}
    out = []
    islands: set[str] = set()
    for key, (code, name, dcode, pcode) in legacy.items():
        if not code:  # an island district without communes (Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa, Lý Sơn, Côn Đảo),
            islands.update(successors[key])  # today a special zone (đặc khu) of its own
            continue
        if key not in successors or pcode not in provinces:
            raise ValueError(f"{code} {name}: no successor, or an unknown province {pcode}")
        out.append((code, " ".join(name.split()), dcode, pcode, ";".join(dict.fromkeys(successors[key]))))
    reached = {s for row in out for s in row[4].split(";")}
    if len(out) != EXPECTED_COMMUNES or len({r[0] for r in out}) != len(out) or reached | islands != set(ours.values()):
        raise ValueError(f"expected {EXPECTED_COMMUNES} distinct old communes reaching every new one")
    return sorted(out)


def _write(target: Path, header: tuple[str, ...], found: list[tuple[str, ...]]) -> None:
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(found)
    print(f"{target}: {len(found)} rows")


def main(data: Path, target: Path = ROOT / "terminology") -> None:
    communes = rows(data, target / "communes.csv")
    _write(target / "communes-2004.csv", ("code", "name", "district_code", "province_code", "successors"), communes)
    _write(target / "districts-2004.csv", ("code", "name", "province_code"), districts(data))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
