"""AEFI reports (issue 10 item 5), from the index.

- `$aefi-serious?area=…&since=…`: the serious, actual AdverseEvents of the area's children (the province
  AEFI team's work list), as a searchset Bundle, newest first, at most `MAX_EVENTS`.
- `$aefi-signal?since=…&min-events=…`: per vaccine lot, the events whose suspected Immunization carries
  that lot, how many of them are serious, the doses of the lot on record, and events per 10,000 doses,
  highest rate first. `Immunization?lot-number:exact=<lot>` then lists everyone who received it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

from fhir_server.model.json import loads
from fhir_server.model.outcome import FhirError
from fhir_server.operations.coverage_data import CoverageData, org_batches
from fhir_server.services.aefi import SERIOUS_CODES, SERIOUSNESS
from fhir_server.services.conditions import Conditions
from fhir_server.storage.base import Store, StoredResource
from fhir_server.types import JsonResource

MAX_EVENTS = 1000


def _instant(stored: StoredResource) -> str:
    """The event's date as a UTC instant that sorts as text ("" when absent: last)."""
    raw = str(loads(stored.body).get("date", ""))
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return raw
    if moment.tzinfo is None:
        return moment.isoformat()
    return moment.astimezone(UTC).isoformat()


def _since(params: Mapping[str, str]) -> str | None:
    raw = params.get("since")
    if not raw:
        return None
    try:
        return date.fromisoformat(raw).isoformat()
    except ValueError:
        raise FhirError.of(
            400,
            "invalid",
            "'since' must be a date (YYYY-MM-DD)",
            "'since' phải là ngày (YYYY-MM-DD)",
            "since",
        ) from None


@dataclass(frozen=True, slots=True)
class LotSignal:
    lot: str
    vaccine: str  # "system|code" of the suspected doses' vaccine (the first seen)
    events: int
    serious: int
    doses: int

    @property
    def per_10000(self) -> float | None:
        return 10_000 * self.events / self.doses if self.doses else None


class AefiReports:
    def __init__(self, store: Store, conditions: Conditions, data: CoverageData) -> None:
        self._store = store
        self._conditions = conditions
        self._data = data

    def serious(self, params: Mapping[str, str], base_url: str) -> JsonResource:
        area_ref = params.get("area", "").strip()
        if not area_ref:
            raise FhirError.of(
                400, "invalid", "The parameter 'area' is required", "Cần tham số 'area'", "area"
            )
        area = self._data.area(area_ref)
        if not area.unit_of_org:
            return {"resourceType": "Bundle", "type": "searchset", "total": 0}
        found: list[tuple[str, StoredResource]] = []
        total = 0
        for orgs in org_batches(area):  # a search takes at most 100 ORed values: a province has more
            query = [
                ("actuality", "actual"),
                ("seriousness", ",".join(f"{SERIOUSNESS}|{code}" for code in SERIOUS_CODES)),
                ("subject:Patient.organization", orgs),
                ("_sort", "-date"),
                ("_count", str(MAX_EVENTS)),
            ]
            if since := _since(params):
                query.append(("date", f"ge{since}"))
            page = self._store.search(self._conditions.from_params("AdverseEvent", query), with_total=True)
            total += page.total or 0
            found += [(_instant(stored), stored) for stored in page.resources]
        # Newest first across the batches (each batch came sorted); the first MAX_EVENTS.
        found.sort(key=lambda item: item[0], reverse=True)
        bundle: JsonResource = {"resourceType": "Bundle", "type": "searchset", "total": total}
        if found:
            bundle["entry"] = [
                {
                    "fullUrl": f"{base_url}/AdverseEvent/{stored.id}",
                    "resource": loads(stored.body),
                    "search": {"mode": "match"},
                }
                for _, stored in found[:MAX_EVENTS]
            ]
        return bundle

    def signal(self, params: Mapping[str, str]) -> list[LotSignal]:
        query = [("actuality", "actual")]
        if since := _since(params):
            query.append(("date", f"ge{since}"))
        min_events = params.get("min-events", "1")
        if not min_events.isdigit():
            raise FhirError.of(
                400, "invalid", "'min-events' is a whole number", "'min-events' là số nguyên", "min-events"
            )
        events = self._conditions.from_params("AdverseEvent", query)
        suspected: dict[str, list[tuple[str, bool]]] = {}  # immunization id -> (event id, serious)
        rows: dict[str, dict[str, list[str]]] = {}
        for id, param, value in self._store.column_values(events, ("substance", "seriousness")):
            rows.setdefault(id, {}).setdefault(param, []).append(str(value))
        for id, values in rows.items():
            serious = any(v.partition("|")[2] in SERIOUS_CODES for v in values.get("seriousness", ()))
            for target in dict.fromkeys(values.get("substance", ())):
                suspected.setdefault(target, []).append((id, serious))
        if not suspected:
            return []
        immunizations = self._conditions.from_params("Immunization", [("_id", ",".join(sorted(suspected)))])
        lot_of: dict[str, str] = {}
        vaccine_of: dict[str, str] = {}
        for id, param, value in self._store.column_values(immunizations, ("lot-number", "vaccine-code")):
            if param == "lot-number":
                lot_of[id] = str(value)
            else:
                vaccine_of.setdefault(id, str(value))
        per_lot: dict[str, set[tuple[str, bool]]] = {}
        lot_vaccine: dict[str, str] = {}
        for immunization, found in suspected.items():
            lot = lot_of.get(immunization)
            if lot is None:
                continue
            per_lot.setdefault(lot, set()).update(found)
            lot_vaccine.setdefault(lot, vaccine_of.get(immunization, ""))
        doses: dict[str, int] = dict.fromkeys(per_lot, 0)
        if per_lot:
            escaped = ",".join(lot.replace("\\", "\\\\").replace(",", "\\,") for lot in sorted(per_lot))
            received = self._conditions.from_params(
                "Immunization", [("lot-number:exact", escaped), ("status", "completed")]
            )
            for _, _, value in self._store.column_values(received, ("lot-number",)):
                if str(value) in doses:
                    doses[str(value)] += 1
        signals = [
            LotSignal(lot, lot_vaccine[lot], len(found), sum(1 for _, s in found if s), doses[lot])
            for lot, found in per_lot.items()
            if len(found) >= int(min_events)
        ]
        return sorted(signals, key=lambda s: (-(s.per_10000 or 0.0), -s.events, s.lot))


def signal_parameters(signals: list[LotSignal]) -> JsonResource:
    parameter: list[JsonResource] = []
    for s in signals:
        system, _, code = s.vaccine.partition("|")
        parts: list[JsonResource] = [
            {"name": "lot-number", "valueString": s.lot},
            {"name": "events", "valueInteger": s.events},
            {"name": "serious", "valueInteger": s.serious},
            {"name": "doses", "valueInteger": s.doses},
        ]
        if code:
            parts.insert(1, {"name": "vaccine", "valueCoding": {"system": system, "code": code}})
        if s.per_10000 is not None:
            parts.append({"name": "per-10000-doses", "valueDecimal": round(s.per_10000, 2)})
        parameter.append({"name": "lot", "part": parts})
    return {"resourceType": "Parameters", **({"parameter": parameter} if parameter else {})}


def signal_csv(signals: list[LotSignal]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["lot_number", "vaccine", "events", "serious", "doses", "per_10000_doses"])
    for s in signals:
        rate = "" if s.per_10000 is None else f"{s.per_10000:.2f}"
        writer.writerow([s.lot, s.vaccine, s.events, s.serious, s.doses, rate])
    return out.getvalue()
