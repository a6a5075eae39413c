"""Transcribes the official commune list into `terminology/communes.csv` (header `code,name,province_code`).

Source: the General Statistics Office's list of the commune-level units in force from 1 July 2025 and their
codes, "Danh mục và mã số các đơn vị hành chính cấp xã", issued with Official Letter 1027/CTK-CSCL of
25 June 2025 (https://www.nso.gov.vn/default/2025/06/thong-bao-ma-so-va-ten-don-vi-hanh-chinh-cap-xa-moi/),
the codes of Decision 19/2025/QĐ-TTg. Its PDF text, as a CSV `code,name,province_code` (one row per unit,
in the list's order), is this script's input:

    python3 scripts/terminology/communes_csv.py gso-1027.csv
    python3 scripts/terminology/vn_terminology.py

Only the facts are taken: each commune's 5-digit code, its name and the 2-digit code of its province. The
PDF's text layer splits one letter ("Á i" for "Ái", in four names): joined again here.

Stdlib only. Refuses a province this project does not know (scripts/terminology/vn_units.py), a code twice
or a count other than 3,321, so a changed source cannot slip in silently.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from vn_units import NEW_PROVINCES

ROOT = Path(__file__).resolve().parents[2]
EXPECTED_COMMUNES = 3321


def clean(name: str) -> str:
    return " ".join(name.replace("Á i", "Ái").split())


def rows(listed: list[dict[str, str]]) -> list[tuple[str, str, str]]:
    """(commune code, name, province code), sorted by commune code."""
    provinces = {code for code, _, _ in NEW_PROVINCES}
    out: list[tuple[str, str, str]] = []
    for row in listed:
        code, province = f"{int(row['code']):05d}", f"{int(row['province_code']):02d}"
        if province not in provinces:
            raise ValueError(f"commune {code}: province {province} is not one of vn_units' 34")
        out.append((code, clean(row["name"]), province))
    if len(out) != EXPECTED_COMMUNES or len({c for c, _, _ in out}) != len(out):
        raise ValueError(f"expected {EXPECTED_COMMUNES} distinct communes, found {len(out)}")
    return sorted(out)


def main(source: Path, target: Path = ROOT / "terminology" / "communes.csv") -> None:
    with source.open(encoding="utf-8-sig", newline="") as handle:
        found = rows(list(csv.DictReader(handle)))
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("code", "name", "province_code"))
        writer.writerows(found)
    print(f"{target}: {len(found)} communes")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
