"""Transcribes the official commune list into `terminology/communes.csv` (header `code,name,province_code`).

Source: `vietnam_provinces/data/nested-divisions.json` of the PyPI package `vietnam-provinces` 2025.10.1
(data version 2025-10-18), which transcribes the General Statistics Office's list of administrative units
(https://danhmuchanhchinh.gso.gov.vn/) for Decision 19/2025/QĐ-TTg. Only the facts are taken: each
commune's 5-digit code, its name and the 2-digit code of its province. The package is not a dependency:

    pip download --no-deps vietnam-provinces==2025.10.1 && unzip vietnam_provinces-2025.10.1-py3-none-any.whl
    python3 scripts/terminology/communes_csv.py vietnam_provinces/data/nested-divisions.json
    python3 scripts/terminology/vn_terminology.py

Stdlib only. Refuses a province this project does not know (scripts/terminology/vn_units.py) or a name that
differs from ours, so a changed source cannot slip in silently.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from vn_units import NEW_PROVINCES

ROOT = Path(__file__).resolve().parents[2]
EXPECTED_COMMUNES = 3321


def rows(nested: list[dict[str, object]]) -> list[tuple[str, str, str]]:
    """(commune code, name, province code), sorted by commune code."""
    ours = {code: name for code, name, _ in NEW_PROVINCES}
    out: list[tuple[str, str, str]] = []
    for province in nested:
        code = f"{int(str(province['code'])):02d}"
        if ours.get(code) != province["name"]:
            raise ValueError(f"province {code} {province['name']!r} differs from vn_units ({ours.get(code)!r})")
        wards = province["wards"]
        assert isinstance(wards, list)
        out.extend((f"{int(w['code']):05d}", " ".join(str(w["name"]).split()), code) for w in wards)
    if len(out) != EXPECTED_COMMUNES or len({c for c, _, _ in out}) != len(out):
        raise ValueError(f"expected {EXPECTED_COMMUNES} distinct communes, found {len(out)}")
    return sorted(out)


def main(source: Path, target: Path = ROOT / "terminology" / "communes.csv") -> None:
    found = rows(json.loads(source.read_text("utf-8")))
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("code", "name", "province_code"))
        writer.writerows(found)
    print(f"{target}: {len(found)} communes")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
