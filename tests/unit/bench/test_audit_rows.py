"""`python -m bench.audit_rows` runs, and counts the rows it says: a search event naming two patients has
13 rows of its own and an `entity` and a `patient` row per patient."""

from __future__ import annotations

import sys

import pytest

from bench import audit_rows


def test_one_batch_of_events_naming_two_patients(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["audit_rows", "--batches", "1", "--patients", "2"])
    audit_rows.main()
    printed = capsys.readouterr().out
    assert "index rows per event naming 2 patient(s): 17.0" in printed
    assert "patient 2," in printed and " entity 2," in printed
    assert printed.count("CPU µs per event") == 2
