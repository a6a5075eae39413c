from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from fhir_server.app import build_services, scheduling_for
from fhir_server.services.container import Services
from fhir_server.services.recall import to_csv
from fhir_server.services.scheduling import Scheduling
from fhir_server.settings import Settings
from tests.scheduling_world import child, mother, recommendation


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Services, Scheduling]]:
    services = build_services(Settings(database_url=f"sqlite:///{tmp_path / 'recall.sqlite3'}"))
    yield services, scheduling_for(Settings(), services)
    services.store.close()


def test_overdue_children_of_a_commune_as_csv(world: tuple[Services, Scheduling]) -> None:
    services, scheduling = world
    put = services.resources.update
    put("Patient", "c1", child("c1", commune="Xã Tân Lập"))
    put("Patient", "c2", child("c2", commune="Xã Tân Lập"))
    put("Patient", "c3", child("c3", commune="Xã Khác"))
    for n in (1, 2, 3):
        put("RelatedPerson", f"m{n}", mother(f"m{n}", f"c{n}", f"09110000{n:02d}"))
        status = "due" if n == 2 else "overdue"
        rec = recommendation(
            f"c{n}", status=status, due=date(2026, 9, 1), overdue=date(2026, 10, 1) if n != 2 else None
        )
        put("ImmunizationRecommendation", rec["id"], rec)
    rows = list(csv.reader(io.StringIO(to_csv(scheduling.recall.overdue("Xã Tân Lập", date(2026, 11, 30))))))
    assert rows[0][:4] == ["patient_id", "child_name", "birth_date", "overdue"]
    assert len(rows) == 2
    assert rows[1][0] == "c1"
    assert rows[1][3] == "Sởi - Rubella" and rows[1][4] == "2026-10-01"
    assert rows[1][6] == "0911000001"
    assert rows[1][7] == ""  # never contacted


def test_last_contact_is_the_latest_sms_sent(world: tuple[Services, Scheduling]) -> None:
    services, scheduling = world
    put = services.resources.update
    put("Patient", "c1", child("c1", commune="Xã Tân Lập"))
    put("RelatedPerson", "m1", mother("m1", "c1"))
    rec = recommendation("c1", status="overdue", overdue=date(2026, 10, 1))
    put("ImmunizationRecommendation", rec["id"], rec)
    for n, sent in enumerate(("2026-10-02T01:00:00Z", "2026-11-01T01:00:00Z")):
        put(
            "Communication",
            f"sms-{n}",
            {
                "resourceType": "Communication",
                "id": f"sms-{n}",
                "status": "completed",
                "subject": {"reference": "Patient/c1"},
                "sent": sent,
            },
        )
    (row,) = scheduling.recall.overdue("Xã Tân Lập", date(2026, 11, 30))
    assert row.last_contact == "2026-11-01T01:00:00Z"
    assert row.mother == "Trần Thị Hoa"
