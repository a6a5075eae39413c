"""The coverage aggregate stays exact: after creates, updates, deletes, a transaction Bundle and an
import, (1) every report computed from it equals the same report computed from scratch from the index,
and (2) its rows equal the rows a rebuild from scratch writes. On the memory, SQLite and MongoDB stores."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest

from bench.population import generate
from fhir_server.app import SystemClock, build_services, coverage_summarizer
from fhir_server.bulk.importer import Importer, ImportOptions
from fhir_server.definitions.loader import load_definitions, load_vaccine_catalog
from fhir_server.operations import coverage_table
from fhir_server.operations.coverage_data import CoverageData
from fhir_server.operations.coverage_rebuild import rebuild
from fhir_server.operations.coverage_summary import CHILD_KIND, DOSE_KIND
from fhir_server.operations.indicators import compute
from fhir_server.search.request import SearchRequest
from fhir_server.services.conditions import Conditions
from fhir_server.services.container import Services
from fhir_server.services.transaction import BundleRequest
from fhir_server.settings import Settings
from fhir_server.storage.base import SummaryRow
from tests.contract import mongo_backend

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ON_DATES = (date(2025, 6, 1), date(2026, 11, 1), date(2027, 6, 1))


@pytest.fixture(params=["memory", "sqlite", "mongodb"])
def services(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Services]:
    settings = Settings(forecast_upkeep=False)
    if request.param == "mongodb":
        mongo = mongo_backend.open_mongo(SystemClock(), (coverage_summarizer(settings),))
        yield build_services(settings, store=mongo)
        mongo_backend.drop(mongo)
        mongo.close()
        return
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'db.sqlite3'}"
    built = build_services(Settings(database_url=url, forecast_upkeep=False))
    yield built
    built.store.close()


def _put(services: Services, resource: dict[str, Any]) -> None:
    services.resources.update(resource["resourceType"], resource["id"], resource)


def _data(services: Services) -> CoverageData:
    conditions = Conditions(load_definitions().search_params, TZ)
    return CoverageData(services.store, conditions, load_vaccine_catalog(), TZ, {})


def _rows(services: Services) -> dict[str, set[SummaryRow]]:
    store = services.store
    orgs = {id for id, _, _ in store.column_values(SearchRequest("Organization"), ("identifier",))}
    patients = {str(v) for _, _, v in store.column_values(SearchRequest("Immunization"), ("patient",))}
    patients |= {id for id, _, _ in store.column_values(SearchRequest("Patient"), ("gender",))}
    children = store.summary_rows(CHILD_KIND, sorted(orgs))
    doses = store.summary_rows(DOSE_KIND, sorted(patients))
    assert children is not None and doses is not None
    return {CHILD_KIND: set(children), DOSE_KIND: set(doses)}


def _assert_reports_match_the_index(services: Services) -> int:
    """Every area, three birth cohorts, three assessment dates: aggregate == index. Returns how many
    children the country's reports counted (so that the test cannot pass on empty data)."""
    data = _data(services)
    country = data.area("VN")
    areas = [country, data.area("79"), *(data.area(u.id) for u in data.area("79").units)]
    counted = 0
    for area in areas:
        for year in (2019, 2024, 2025):
            born = (date(year, 1, 1), date(year + 1, 1, 1))
            table = data.table(area, *born)
            assert table is not None
            children = data.children(area, *born)
            assert len(table) == len(children)
            for on in ON_DATES:
                assert coverage_table.compute(table, on) == compute(children, on)
            counted += len(children) if area is country else 0
    return counted


def _shots(services: Services) -> list[dict[str, Any]]:
    page = services.store.search(SearchRequest("Immunization", count=1000), with_total=False)
    return [orjson.loads(s.body) for s in page.resources]


def test_the_aggregate_equals_a_computation_from_scratch_after_every_kind_of_write(
    services: Services, tmp_path: Path
) -> None:
    population = list(generate(60, seed=7, province="79", communes=3))
    for resource in population:
        _put(services, resource)
    assert _assert_reports_match_the_index(services) > 0

    shots = _shots(services)
    patients = [r for r in population if r["resourceType"] == "Patient"]
    # Updates: not done any more, a new date, another child, another vaccine.
    _put(services, {**shots[0], "status": "entered-in-error"})
    _put(services, {**shots[1], "occurrenceDateTime": "2020-02-03T08:00:00+07:00"})
    _put(services, {**shots[2], "patient": {"reference": f"Patient/{patients[5]['id']}"}})
    _put(services, {**shots[3], "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx",
                                                            "code": "03"}]}})  # fmt: skip
    services.resources.delete("Immunization", shots[4]["id"])
    # Patients: another sex, another birth date, another station; one deleted with its doses kept.
    _put(services, {**patients[0], "gender": "female" if patients[0]["gender"] == "male" else "male"})
    _put(services, {**patients[1], "birthDate": "2024-02-29"})
    moved = copy.deepcopy(patients[2])
    moved["managingOrganization"] = patients[3]["managingOrganization"]
    _put(services, moved)
    services.resources.delete("Patient", patients[4]["id"])
    assert _assert_reports_match_the_index(services) > 0

    # A transaction Bundle: a new child and doses, and a re-created (deleted) child.
    newborn = {**copy.deepcopy(patients[6]), "id": "pat-new", "birthDate": "2025-01-05"}
    newborn["identifier"] = [i for i in newborn["identifier"] if "cccd" not in i.get("system", "")]
    doses = [
        {**copy.deepcopy(shots[n]), "id": f"imm-new-{n}", "patient": {"reference": "Patient/pat-new"}}
        for n in range(5, 9)
    ]
    entries = [patients[4], newborn, *doses]
    # A standalone MongoDB (mongomock) refuses transactions: the same entries as a batch there.
    atomic = getattr(services.store, "supports_transactions", True)
    bundle = {
        "resourceType": "Bundle", "type": "transaction" if atomic else "batch",
        "entry": [{"resource": r, "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}}
                  for r in entries],
    }  # fmt: skip
    services.transactions.process(bundle, BundleRequest("http://x/fhir", "minimal", lambda _: lambda _: ""))
    assert services.store.read("Patient", "pat-new") is not None
    # An import (the store's unit of work directly, no resource service).
    imported = [{**copy.deepcopy(shots[n]), "id": f"imm-imp-{n}"} for n in range(10, 14)]
    imported.append({**copy.deepcopy(patients[7]), "birthDate": "2025-03-03"})
    path = tmp_path / "in.ndjson"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in imported))
    summary = Importer(services.store, ImportOptions()).run([path])
    assert summary.rejected == 0
    assert _assert_reports_match_the_index(services) > 0

    incremental = _rows(services)
    conditions = Conditions(load_definitions().search_params, TZ)
    counts = rebuild(services.store, conditions, coverage_summarizer(Settings()))
    assert counts is not None and counts[0] > 0 and counts[1] > 0
    assert _rows(services) == incremental


def test_reports_read_the_index_until_the_aggregate_is_rebuilt(tmp_path: Path) -> None:
    """A file written without the aggregate (an older server, a bulk loader) is not trusted until
    `coverage rebuild`; then the aggregate answers, with the same figures."""
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    from fhir_server.storage.factory import open_store

    bare = open_store(url, SystemClock())  # no summarizer: writes leave no rows
    built = build_services(Settings(database_url=url, forecast_upkeep=False), store=bare)
    for resource in generate(20, seed=3, province="79", communes=2):
        _put(built, resource)
    bare.close()
    services = build_services(Settings(database_url=url, forecast_upkeep=False))
    data = _data(services)
    area = data.area("79")
    assert data.table(area, date(2010, 1, 1), date(2030, 1, 1)) is None
    conditions = Conditions(load_definitions().search_params, TZ)
    assert rebuild(services.store, conditions, coverage_summarizer(Settings())) is not None
    table = data.table(area, date(2010, 1, 1), date(2030, 1, 1))
    assert table is not None and len(table) == 20
    children = data.children(area, date(2010, 1, 1), date(2030, 1, 1))
    assert coverage_table.compute(table, date(2026, 11, 1)) == compute(children, date(2026, 11, 1))
    services.store.close()
