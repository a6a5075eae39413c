"""CDC's 1,013 healthy and 337 underlying-condition CDSi test cases through the engine with CDC's data.

Every case must pass except those listed in known_disagreements.csv (each with its reason), and every listed
case must still fail, so the list stays honest. The pass table per vaccine group is printed at the end of the
run (see conftest.py) and by `python -m tests.forecast.report [-v]`.
"""

from __future__ import annotations

import pytest

from tests.forecast.cdc_cases import Outcome, known_disagreements, run_all
from tests.forecast.report import table


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    return run_all()


def test_every_case_runs(outcomes: list[Outcome]) -> None:
    assert sum(o.kind == "healthy" for o in outcomes) == 1013
    assert sum(o.kind == "underlying" for o in outcomes) == 337


def test_cases_pass_unless_known(outcomes: list[Outcome], record_property: pytest.RecordProperty) -> None:
    record_property("cdsi_table", table(outcomes))
    known = known_disagreements()
    unexpected = [
        f"{o.case_id} ({o.group}): {'; '.join(o.problems)}"
        for o in outcomes
        if not o.passed and o.case_id not in known
    ]
    assert not unexpected, "\n".join(unexpected)


def test_known_disagreements_still_fail(outcomes: list[Outcome]) -> None:
    known = known_disagreements()
    by_id = {o.case_id: o for o in outcomes}
    assert set(known) <= set(by_id), sorted(set(known) - set(by_id))
    now_passing = sorted(case_id for case_id in known if by_id[case_id].passed)
    assert not now_passing, f"remove from known_disagreements.csv, these pass now: {now_passing}"
    assert all(reason.strip() for reason in known.values()), (
        "every known disagreement needs a one-line reason"
    )
