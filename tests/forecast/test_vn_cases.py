"""The 46 hand-written Vietnamese cases (`data/vn-cases.json`) through the engine with schedules/vn.

Same rules as CDC's cases: every case passes unless listed in vn_known_disagreements.csv with its reason, and
every listed case must still fail. The pass table is printed at the end of the run and by
`python -m tests.forecast.report`.
"""

from __future__ import annotations

import pytest

from tests.forecast.cdc_cases import VN_KNOWN, Outcome, known_disagreements, run_vn
from tests.forecast.report import table


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    return run_vn()


def test_every_vn_case_runs(outcomes: list[Outcome]) -> None:
    assert len(outcomes) == 46
    assert {o.kind for o in outcomes} == {"vn"}


def test_vn_cases_pass_unless_known(outcomes: list[Outcome], record_property: pytest.RecordProperty) -> None:
    record_property("vn_table", table(outcomes))
    known = known_disagreements(VN_KNOWN)
    unexpected = [
        f"{o.case_id} ({o.group}): {'; '.join(o.problems)}"
        for o in outcomes
        if not o.passed and o.case_id not in known
    ]
    assert not unexpected, "\n".join(unexpected)


def test_vn_known_disagreements_still_fail(outcomes: list[Outcome]) -> None:
    known = known_disagreements(VN_KNOWN)
    by_id = {o.case_id: o for o in outcomes}
    assert set(known) <= set(by_id), sorted(set(known) - set(by_id))
    now_passing = sorted(case_id for case_id in known if by_id[case_id].passed)
    assert not now_passing, f"remove from vn_known_disagreements.csv, these pass now: {now_passing}"
    assert all(reason.strip() for reason in known.values())
