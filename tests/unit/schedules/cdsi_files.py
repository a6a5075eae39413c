"""Plain reads of the VN supporting data for the schedule tests, plus CDSi duration arithmetic.

Tests only: the server reads schedules/ through fhir_server/definitions (DESIGN.md §3.5).
"""

from __future__ import annotations

import json
import re
from calendar import monthrange
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

ROOT = Path(__file__).resolve().parents[3]
VN = ROOT / "schedules" / "vn"
XSD = ROOT / "schedules" / "xsd"
TERMINOLOGY = ROOT / "terminology"
CASES = ROOT / "tests" / "forecast" / "data" / "vn-cases.json"

_TERM = r"\d+ (?:year|month|week|day)s?"
DURATION = re.compile(rf"^{_TERM}(?: [+-] {_TERM})*$")
_PART = re.compile(r"([+-]?) ?(\d+) (year|month|week|day)s?")


def antigen_files() -> list[Path]:
    return sorted(VN.glob("AntigenSupportingData- *.xml"))


def schedule_root() -> ET.Element:
    return ET.parse(VN / "ScheduleSupportingData.xml").getroot()


def antigen_root(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


def text(element: ET.Element | None, tag: str) -> str:
    """The stripped text of a child (empty when absent or empty), as CDC's empty elements mean 'n/a'."""
    if element is None:
        return ""
    child = element.find(tag)
    return (child.text or "").strip() if child is not None else ""


def cvx_map() -> dict[str, tuple[str, ...]]:
    return {
        text(m, "cvx"): tuple(text(a, "antigen") for a in m.findall("association"))
        for m in schedule_root().iter("cvxMap")
    }


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def code_system() -> dict[str, Any]:
    resource: dict[str, Any] = load_json(TERMINOLOGY / "CodeSystem-vn-vaccine.json")
    return resource


def concept_map() -> dict[str, Any]:
    resource: dict[str, Any] = load_json(TERMINOLOGY / "ConceptMap-vn-vaccine-to-cvx.json")
    return resource


def national_codes() -> set[str]:
    return {c["code"] for c in code_system()["concept"]}


def add(start: date, duration: str) -> date:
    """CDSi CALCDT-1..6: years, then months (an impossible day moves to the 1st of the next month), then
    weeks and days."""
    if not DURATION.match(duration):
        raise ValueError(f"not a CDSi duration: {duration!r}")
    years = months = days = 0
    for sign, amount, unit in _PART.findall(duration):
        n = -int(amount) if sign == "-" else int(amount)
        if unit == "year":
            years += n
        elif unit == "month":
            months += n
        else:
            days += n * 7 if unit == "week" else n
    month_index = start.month - 1 + months
    year, month = start.year + years + month_index // 12, month_index % 12 + 1
    if start.day > monthrange(year, month)[1]:
        shifted = date(year + month // 12, month % 12 + 1, 1)
    else:
        shifted = date(year, month, start.day)
    return shifted + timedelta(days=days)
