"""Typed values of supporting-data XML elements: text, durations, dates, flags and code lists.

CDC writes empty values as an empty element or `n/a`; both read as absent. A value that does not parse raises
ScheduleError naming its element, so a broken schedule fails when it is loaded.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime

from fhir_server.definitions.duration import Duration, DurationError
from fhir_server.definitions.schedule import ALWAYS, Period


class ScheduleError(ValueError):
    """Supporting data that cannot be read."""


_EMPTY = {"", "n/a", "na"}


def text(node: ET.Element | None, tag: str) -> str:
    if node is None:
        return ""
    child = node.find(tag)
    if child is None or child.text is None:
        return ""
    value = " ".join(child.text.split())
    return "" if value.lower() in _EMPTY else value


def duration(node: ET.Element | None, tag: str) -> Duration | None:
    value = text(node, tag)
    if not value:
        return None
    try:
        return Duration.parse(value)
    except DurationError as exc:
        raise ScheduleError(f"<{tag}>: {exc}") from exc


def day(node: ET.Element | None, tag: str) -> date | None:
    value = text(node, tag)
    if not value:
        return None
    for pattern in ("%Y%m%d", "%m/%d/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ScheduleError(f"<{tag}>: not a date: {value!r}")


def period(node: ET.Element) -> Period:
    effective, cessation = day(node, "effectiveDate"), day(node, "cessationDate")
    return ALWAYS if effective is None and cessation is None else Period(effective, cessation)


def yes(node: ET.Element | None, tag: str) -> bool:
    return text(node, tag).lower() in {"yes", "y", "true"}


def codes(value: str) -> frozenset[str]:
    return frozenset(cvx(code) for code in re.split(r"[;,]", value) if code.strip())


def cvx(code: str) -> str:
    """CVX codes compare as written without leading zeros ('03' and '3' are one vaccine)."""
    code = code.strip()
    return code.lstrip("0") or "0" if code.isdigit() else code


def number(value: str, what: str) -> int:
    try:
        return int(re.sub(r"\D", "", value))
    except ValueError as exc:
        raise ScheduleError(f"{what}: not a number: {value!r}") from exc


def is_empty(node: ET.Element) -> bool:
    return all(
        not (child.text or "").strip() or (child.text or "").strip().lower() in _EMPTY
        for child in node.iter()
    )
