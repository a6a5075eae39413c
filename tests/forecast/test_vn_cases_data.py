"""tests/forecast/data/vn-cases.json: hand-written Vietnamese cases in CDC's test-case JSON shape.

The engine's runner feeds them through the engine; this test only checks that the file is well-formed, covers
every EPI row and the required situations, and names only codes and vaccine groups that schedules/vn defines.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.unit.schedules.cdsi_files import CASES, cvx_map, load_json, national_codes, schedule_root, text

CASE_KEYS = {
    "id",
    "name",
    "dob",
    "gender",
    "assessment_date",
    "vaccine_group",
    "series_status",
    "doses",
    "forecast",
    "evaluation_test_type",
    "forecast_test_type",
    "date_added",
    "date_updated",
    "changed_in_version",
    "reason_for_change",
    "general_description",
}  # fmt: skip  (CDC's healthy-case keys; `observations` is optional as in CDC's underlying-condition cases)
DOSE_KEYS = {
    "dose",
    "date_administered",
    "vaccine_name",
    "cvx",
    "mvx",
    "evaluation_status",
    "evaluation_reason",
}
STATUSES = {"Not complete", "Complete", "Aged out", "Immune", "Contraindicated"}
REASONS = {  # CDC's wording, as in the official cases
    "Age: Too Young", "Age: Too Old", "Interval: too Soon", "Live Virus Conflict", "Inadvertent Vaccine",
    "Series Already Complete", "Not a preferable or allowable vaccine",
}  # fmt: skip
EPI_ROWS = {  # ../shared/testdata/vn-epi-schedule.md §2, one id per row
    "hepb-birth", "bcg", "penta-1", "penta-2", "penta-3", "dtp-booster-18m", "td-7y", "bopv-1", "bopv-2",
    "bopv-3", "ipv-1", "ipv-2", "rota-1", "rota-2", "pcv-1", "pcv-2", "pcv-3", "measles-9m", "mr-18m", "je-1",
    "je-2", "je-3", "hpv-1", "tt-pregnancy",
}  # fmt: skip
SCENARIOS = {"on-time", "late", "too-early", "too-short-interval", "missed-caught-up", "product-switch",
             "schedule-change"}  # fmt: skip


def _doc() -> dict[str, Any]:
    doc: dict[str, Any] = load_json(CASES)
    return doc


CASE_LIST: list[dict[str, Any]] = _doc()["cases"]


def _day(value: str) -> date:
    return date.fromisoformat(value)


def test_the_file_has_cdc_top_level_shape_and_unique_ids() -> None:
    doc = _doc()
    assert {"source_file", "sheet", "count", "cases"} <= set(doc)
    assert doc["count"] == len(doc["cases"]) >= 35
    ids = [c["id"] for c in doc["cases"]]
    assert len(ids) == len(set(ids))


def test_every_epi_row_and_required_situation_has_a_case() -> None:
    doc = _doc()
    ids = {c["id"] for c in doc["cases"]}
    assert set(doc["epi_rows"]) == EPI_ROWS
    assert set(doc["scenarios"]) >= SCENARIOS
    for listed in [*doc["epi_rows"].values(), *doc["scenarios"].values()]:
        assert listed and set(listed) <= ids


@pytest.mark.parametrize("case", CASE_LIST, ids=lambda c: c["id"])
def test_case_is_well_formed(case: dict[str, Any]) -> None:
    assert set(case) - {"observations"} == CASE_KEYS
    assert case["general_description"].strip(), "one-line rationale"
    birth, assessed = _day(case["dob"]), _day(case["assessment_date"])
    assert birth <= assessed
    assert case["gender"] in ("F", "M")
    assert case["series_status"] in STATUSES
    given = []
    for number, dose in enumerate(case["doses"], 1):
        assert set(dose) - {"series_type"} == DOSE_KEYS
        assert dose["dose"] == number
        given.append(_day(dose["date_administered"]))
        if dose["evaluation_status"] == "Valid":
            assert dose["evaluation_reason"] is None
        else:
            assert dose["evaluation_status"] in ("Not Valid", "Extraneous")
            assert dose["evaluation_reason"] in REASONS
    assert given == sorted(given)
    assert all(birth <= d <= assessed for d in given)
    forecast = case["forecast"]
    if case["series_status"] == "Not complete":
        assert forecast["forecast_num"].isdigit()
        earliest, recommended = _day(forecast["earliest_date"]), _day(forecast["recommended_date"])
        assert birth <= earliest <= recommended
        # FORECASTDTCAN-1: never before a dose already given (here true of every listed dose)
        assert all(earliest >= d for d in given)
        if forecast["past_due_date"] is not None:
            assert recommended <= _day(forecast["past_due_date"])
    else:
        assert set(forecast.values()) == {None}


@pytest.mark.parametrize("case", CASE_LIST, ids=lambda c: c["id"])
def test_case_names_only_codes_and_groups_of_schedules_vn(case: dict[str, Any]) -> None:
    mapping = cvx_map()
    groups = {
        text(m, "name"): {(a.text or "").strip() for a in m.findall("antigen")}
        for m in schedule_root().iter("vaccineGroupMap")
    }
    assert case["vaccine_group"] in groups
    nationals = national_codes()
    for dose in case["doses"]:
        assert dose["cvx"] in mapping, dose["cvx"]
        assert dose["cvx"].isdigit() or dose["cvx"] in nationals
    if case["doses"]:
        carried = {antigen for dose in case["doses"] for antigen in mapping[dose["cvx"]]}
        assert carried & groups[case["vaccine_group"]], "no dose of the tested vaccine group"
    for observation in case.get("observations", []):
        codes = {text(o, "observationCode") for o in schedule_root().iter("observation")}
        assert observation["code"] in codes
