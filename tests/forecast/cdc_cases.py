"""CDSi test cases run through the engine: loading, running and comparing one case.

CDC's cases run with schedules/cdc; the hand-written Vietnamese cases (`vn-cases.json`, same shape) with
schedules/vn. Used by `test_cdc_cases.py`, `test_vn_cases.py` and by `python -m tests.forecast.report`
(the pass table per vaccine group).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from fhir_server.definitions.loader import load_schedule
from fhir_server.definitions.schedule import Schedule
from fhir_server.forecast.engine import assess
from fhir_server.forecast.history import normalise_cvx
from fhir_server.forecast.model import (
    AdministeredDose,
    DoseEvaluation,
    Patient,
    PatientObservation,
    VaccineGroupResult,
)
from fhir_server.forecast.vaccine_group import primary

DATA = Path(__file__).parent / "data"
FILES = {
    "healthy": "cdsi-healthy-childhood-and-adult-test-cases-v4.45.json",
    "underlying": "CDSi-underlying-conditions-test-cases-v4.6.json",
}
VN_FILE = "vn-cases.json"
KNOWN = Path(__file__).parent / "known_disagreements.csv"
VN_KNOWN = Path(__file__).parent / "vn_known_disagreements.csv"
# test-case group name -> schedule vaccine group
GROUPS = {
    "DTAP": "DTaP/Tdap/Td",
    "DTaP": "DTaP/Tdap/Td",
    "POL": "Polio",
    "IPOL": "Polio",
    "HIB": "Hib",
    "PCV": "Pneumococcal",
    "VAR": "Varicella",
    "ROTA": "Rotavirus",
    "Rota": "Rotavirus",
    "MCV": "Meningococcal",
    "MENB": "Meningococcal B",
    "ZOSTER": "Zoster",
    "FLU": "Influenza",
    "Flu": "Influenza",
}


@dataclass(frozen=True, slots=True)
class Outcome:
    case_id: str
    kind: str  # healthy | underlying | vn
    group: str  # schedule vaccine group
    problems: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.problems


@cache
def schedule(name: str = "cdc") -> Schedule:
    return load_schedule(name)


def cases() -> Iterator[tuple[str, dict[str, Any]]]:
    for kind, name in FILES.items():
        for case in json.loads((DATA / name).read_text(encoding="utf-8"))["cases"]:
            yield kind, case


def vn_cases() -> Iterator[tuple[str, dict[str, Any]]]:
    for case in json.loads((DATA / VN_FILE).read_text(encoding="utf-8"))["cases"]:
        yield "vn", case


def known_disagreements(path: Path = KNOWN) -> dict[str, str]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.reader(handle) if row and not row[0].startswith("#")]
    return {row[0]: row[1] if len(row) > 1 else "" for row in rows[1:]}


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _norm(text: str | None) -> str:
    return re.sub(r"[^a-z]", "", (text or "").lower())


def run_case(kind: str, case: dict[str, Any]) -> Outcome:
    data = schedule("vn" if kind == "vn" else "cdc")
    group = GROUPS.get(case["vaccine_group"], case["vaccine_group"])
    patient = Patient(
        birth_date=date.fromisoformat(case["dob"]),
        sex="female" if case["gender"] == "F" else "male" if case["gender"] == "M" else "unknown",
        observations=tuple(
            PatientObservation(o["code"], _day(o.get("date"))) for o in case.get("observations") or ()
        ),
    )
    doses = [
        AdministeredDose(
            str(d["dose"]), date.fromisoformat(d["date_administered"]), d["cvx"], d.get("mvx") or ""
        )
        for d in case["doses"]
    ]
    touched = {group} | {g for d in doses for g in _groups_of(data, d.cvx)}
    assessment = assess(patient, doses, date.fromisoformat(case["assessment_date"]), data, touched)
    results = assessment.groups(group)
    chosen = primary(results)
    # a case may list doses of other groups (e.g. a varicella dose before MMR): their own group judges them
    evaluations: dict[str, list[DoseEvaluation]] = {}
    for name in touched - {group}:
        for e in r.evaluations if (r := primary(assessment.groups(name))) else ():
            evaluations[e.key] = [e]
    for e in chosen.evaluations if chosen else ():
        evaluations[e.key] = [e]
    if kind == "underlying" or any(d.get("series_type") for d in case["doses"]):
        # these cases label each dose 'standard' or 'risk', not always the series that judged it (a fifth
        # polio dose labelled standard is extraneous there, valid in the risk series): any best series counts
        for result in results:
            for e in result.evaluations:
                evaluations.setdefault(e.key, []).append(e)
    return Outcome(case["id"], kind, group, tuple(compare(case, chosen, evaluations)))


def _groups_of(data: Schedule, cvx: str) -> set[str]:
    vaccine = data.vaccines.get(normalise_cvx(cvx))
    if vaccine is None:
        return set()
    return {g for a in vaccine.associations if (g := data.group_of_antigen(a.antigen))}


def compare(
    case: dict[str, Any], result: VaccineGroupResult | None, evaluations: dict[str, list[DoseEvaluation]]
) -> Iterator[str]:
    for dose in case["doses"]:
        expected = dose.get("evaluation_status")
        if not expected:
            continue
        candidates = evaluations.get(str(dose["dose"]), [])
        if not candidates:
            yield f"dose {dose['dose']}: expected {expected}, not evaluated"
            continue
        got = next((c for c in candidates if _norm(c.status) == _norm(expected)), candidates[0])
        if _norm(got.status) != _norm(expected):
            yield f"dose {dose['dose']}: expected {expected}, got {got.status} {[r.cdc for r in got.reasons]}"
        elif dose.get("evaluation_reason") and _norm(dose["evaluation_reason"]) not in {
            _norm(r.cdc) for r in got.reasons
        }:
            got_reasons = [r.cdc for r in got.reasons]
            yield f"dose {dose['dose']}: expected reason {dose['evaluation_reason']}, got {got_reasons}"
    forecast = result.forecast if result else None
    status = forecast.status if forecast else "none"
    if _norm(status) != _norm(case["series_status"]):
        yield f"status: expected {case['series_status']}, got {status}"
    expected_forecast = case["forecast"]
    number = expected_forecast.get("forecast_num")
    want_number = int(number) if number and number.strip().isdigit() else None
    got_number = forecast.dose_number if forecast else None
    if want_number != got_number:
        yield f"forecast dose: expected {want_number}, got {got_number}"
    for field in ("earliest", "recommended", "past_due"):
        want = _day(expected_forecast.get(f"{field}_date"))
        got_date = getattr(forecast, field) if forecast else None
        if want != got_date:
            yield f"{field}: expected {want}, got {got_date}"


def run_all() -> list[Outcome]:
    return [run_case(kind, case) for kind, case in cases()]


def run_vn() -> list[Outcome]:
    return [run_case(kind, case) for kind, case in vn_cases()]
