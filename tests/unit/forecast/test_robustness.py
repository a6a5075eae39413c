"""The engine never raises on patient data: random histories on CDC's schedule, and the reason catalogue."""

from __future__ import annotations

import random
from datetime import date, timedelta

from fhir_server.definitions.loader import load_schedule
from fhir_server.forecast.engine import assess
from fhir_server.forecast.model import AdministeredDose, Patient, PatientObservation
from fhir_server.forecast.reasons import REASONS


def test_random_histories_never_crash() -> None:
    """Any CVX at any date (before birth, after the assessment, same day twice), any observation, any sex,
    assessment dates before birth included: every result is well formed."""
    schedule = load_schedule("cdc")
    rng = random.Random(20261127)
    vaccines, observations = sorted(schedule.vaccines), sorted(schedule.observations)
    for _ in range(150):
        birth = date(1940, 1, 1) + timedelta(days=rng.randrange(31_000))
        today = birth + timedelta(days=rng.randrange(-100, 30_000))
        doses = [
            AdministeredDose(str(k), birth + timedelta(days=rng.randrange(-30, 25_000)), rng.choice(vaccines))
            for k in range(rng.randrange(12))
        ]
        facts = tuple(PatientObservation(rng.choice(observations), today) for _ in range(rng.randrange(3)))
        result = assess(
            Patient(birth, rng.choice(["female", "male", "unknown"]), facts), doses, today, schedule
        )
        for group in result.vaccine_groups:
            forecast = group.forecast
            if forecast.status == "not-complete" and forecast.earliest is not None:
                assert forecast.recommended is not None and forecast.recommended >= forecast.earliest
                assert forecast.past_due is None or forecast.past_due >= forecast.earliest
            assert {e.key for e in group.evaluations} <= {d.key for d in doses}


def test_reason_catalogue_is_bilingual() -> None:
    assert len(REASONS) >= 20
    for reason in REASONS.values():
        assert reason.cdc and reason.en.endswith(".") and reason.vi.endswith(".")
        assert reason.en != reason.vi
