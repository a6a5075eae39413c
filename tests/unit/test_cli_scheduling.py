"""`fhir-server slots generate`, `reminders run`, `reminders send` and `recall` on a real SQLite file."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest

from fhir_server.app import build_services
from fhir_server.cli import main
from fhir_server.settings import Settings
from tests.scheduling_world import (
    PROVINCE_AREA,
    TEMPLATE,
    child,
    location,
    mother,
    province_area,
    recommendation,
)


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.sqlite3"
    monkeypatch.setenv("FHIR_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("FHIR_SMS_GATEWAY", "file")
    monkeypatch.setenv("FHIR_SMS_FILE_PATH", str(tmp_path / "sms.jsonl"))
    monkeypatch.setenv("FHIR_SMS_QUIET_START", "00:00")
    monkeypatch.setenv("FHIR_SMS_QUIET_END", "00:00")
    services = build_services(Settings(database_url=f"sqlite:///{path}"))
    services.resources.update("Location", PROVINCE_AREA, province_area())
    services.resources.update("Location", "loc-1", location("loc-1", "Xã Tân Lập"))
    services.resources.update("Patient", "c1", child("c1", commune="Xã Tân Lập"))
    services.resources.update("RelatedPerson", "m1", mother("m1", "c1", "0987654321"))
    rec = recommendation("c1", status="overdue", due=date(2026, 9, 1), overdue=date(2026, 10, 1))
    services.resources.update("ImmunizationRecommendation", rec["id"], rec)
    services.store.close()
    return path


def test_slots_generate(database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = tmp_path / "tue.json"
    template.write_text(json.dumps(TEMPLATE))
    args = ["slots", "generate", "--location", "loc-1", "--template", str(template)]
    assert main([*args, "--from", "2026-04-20", "--to", "2026-05-05", "--closed", "2026-05-05"]) == 0
    shown = json.loads(capsys.readouterr().out)
    # Tuesdays 21 and 28 April open; 5 May closed by hand (the Hùng Kings' day, 26 April, is a Sunday)
    assert shown == {
        "schedule": "sched-loc-1-epi",
        "created": 8,
        "existing": 0,
        "holidays_skipped": ["2026-05-05"],
    }
    assert main([*args, "--from", "2026-04-20", "--to", "2026-04-20"]) == 0
    bad = tmp_path / "bad.json"
    bad.write_text('{"sessions": []}')
    assert (
        main(
            [
                "slots",
                "generate",
                "--location",
                "loc-1",
                "--template",
                str(bad),
                "--from",
                "2026-04-20",
                "--to",
                "2026-04-21",
            ]
        )
        == 2
    )


def test_reminders_run_send_and_recall(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["reminders", "run", "--date", "2026-11-30"]) == 0
    assert json.loads(capsys.readouterr().out)["created"] == 1
    assert main(["reminders", "run", "--date", "2026-11-30"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "created": 0,
        "already_sent": 1,
        "opted_out": 0,
        "no_phone": 0,
        "kinds": {},
    }
    assert main(["reminders", "send"]) == 0
    assert json.loads(capsys.readouterr().out)["sent"] == 1
    (line,) = (tmp_path / "sms.jsonl").read_text(encoding="utf-8").splitlines()
    sms = json.loads(line)
    assert sms["to"] == "0987654321" and "01/10/2026" in sms["text"] and sms["key"].startswith("sms-")
    out = tmp_path / "recall.csv"
    assert main(["recall", "--commune", "Xã Tân Lập", "--date", "2026-11-30", "--output", str(out)]) == 0
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r[0] for r in rows] == ["patient_id", "c1"]
    assert rows[1][7] != ""  # the SMS just sent is the last contact
