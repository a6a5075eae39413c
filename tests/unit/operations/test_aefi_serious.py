"""The province's serious-AEFI work list over more stations than one search takes (100 ORed values)."""

from __future__ import annotations

from fhir_server.app import build_reports, build_services
from fhir_server.services.aefi import SERIOUSNESS
from fhir_server.settings import Settings
from tests.api.coverage_world import child, resources, shot, station


def _event(id: str, patient: str, immunization: str, when: str) -> dict[str, object]:
    return {
        "resourceType": "AdverseEvent", "id": id, "actuality": "actual",
        "subject": {"reference": f"Patient/{patient}"}, "date": when,
        "seriousness": {"coding": [{"system": SERIOUSNESS, "code": "serious"}]},
        "suspectEntity": [{"instance": {"reference": f"Immunization/{immunization}"}}],
    }  # fmt: skip


def test_serious_events_of_a_province_with_more_than_100_stations_newest_first() -> None:
    settings = Settings(database_url="memory://", forecast_upkeep=False)
    services = build_services(settings)
    extra = [r for n in range(100, 205) for r in station(n, "area-79001")]
    late = [child("z", "org-204", "male"), shot("z-1", "z", "102", "2025-04-01")]
    events = [
        _event("ae-a", "a", "a-0", "2025-03-11T10:00:00+07:00"),  # a station in the first search
        _event("ae-z", "z", "z-1", "2025-04-02T01:00:00+00:00"),  # a station in the second, later
    ]
    for resource in [*resources(), *extra, *late, *events]:
        services.resources.update(str(resource["resourceType"]), str(resource["id"]), resource)
    _, reports, _ = build_reports(services, settings)
    bundle = reports.serious({"area": "79"}, "http://x/fhir")
    assert bundle["total"] == 2
    assert [e["resource"]["id"] for e in bundle["entry"]] == ["ae-z", "ae-a"]
    assert reports.serious({"area": "79002"}, "http://x/fhir")["total"] == 0
