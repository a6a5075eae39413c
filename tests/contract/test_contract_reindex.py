"""Re-index (services/reindex.py) on every backend: resources written with stale index rows become
searchable, keep their versions, and a run cut short resumes where its last committed batch ended."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest

from fhir_server.definitions.registry import Definitions
from fhir_server.search.extract import Extractor
from fhir_server.search.index import IndexValues
from fhir_server.search.parse import parse_search
from fhir_server.search.request import Criterion, SearchRequest, StringQuery
from fhir_server.services.reindex import CHECKPOINT, Reindexer
from fhir_server.storage.base import Store
from tests.contract.conftest import delete, put

VN = ZoneInfo("Asia/Ho_Chi_Minh")
UCUM = "http://unitsofmeasure.org"


def observation(id: str, milligrams: int) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": id,
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2345-7"}]},
        "valueQuantity": {"value": milligrams, "unit": "mg", "system": UCUM, "code": "mg"},
    }


def patient(id: str, family: str) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": id, "name": [{"family": family}]}


@pytest.fixture
def extractor(definitions: Definitions) -> Extractor:
    return Extractor(definitions.search_params, VN)


def found(store: Store, definitions: Definitions, resource_type: str, query: str) -> list[str]:
    name, value = query.split("=", 1)
    parsed = parse_search(
        resource_type, [(name, value)], definitions.search_params, strict=True, default_tz=VN
    )
    request = parsed.request
    return sorted(r.id for r in store.search(request, with_total=False).resources)


def stale(store: Store, count: int) -> None:
    """Observations written as an older server would have: with no index rows at all."""
    for n in range(count):
        put(store, observation(f"o{n}", 1000 + n), IndexValues())


def test_stale_rows_become_searchable_and_versions_stay(
    store: Store, definitions: Definitions, extractor: Extractor
) -> None:
    stale(store, 5)
    put(store, patient("p1", "Nguyễn"), IndexValues())
    put(store, observation("gone", 9000), IndexValues())
    delete(store, "Observation", "gone")
    query = f"value-quantity=gt1|{UCUM}|g"
    assert found(store, definitions, "Observation", query) == []
    lines: list[str] = []
    summary = Reindexer(store, extractor, batch=2, report=lines.append).run(["Observation", "Patient"])
    assert summary.indexed == {"Observation": 5, "Patient": 1} and summary.skipped == 0
    assert found(store, definitions, "Observation", query) == ["o1", "o2", "o3", "o4"]
    assert found(store, definitions, "Patient", "name=nguyen") == ["p1"]
    assert all(store.read("Observation", f"o{n}").version == 1 for n in range(5))  # type: ignore[union-attr]
    assert store.read("Observation", "gone").deleted  # type: ignore[union-attr]
    assert lines[-1] == "re-indexed 6 resources of 2 types; skipped 0"
    assert not any("Nguy" in line for line in lines)  # counts and types only


def test_a_write_since_the_read_wins(store: Store, extractor: Extractor) -> None:
    put(store, patient("p1", "Old"), IndexValues())
    newer = patient("p1", "New")
    put(store, newer, extractor.extract(newer))
    with store.unit_of_work() as uow:  # the re-index read version 1; version 2 is current
        assert not uow.reindex("Patient", "p1", 1, extractor.extract(patient("p1", "Old")))
        assert not uow.reindex("Patient", "nobody", 1, IndexValues())
    with store.unit_of_work() as uow:
        named = Criterion("name", "string", None, (StringQuery("new"),))
        assert uow.search_ids(SearchRequest("Patient", (named,)), 10) == ["p1"]


class Interrupted(Exception):
    pass


def test_an_interrupted_run_resumes_after_its_last_batch(
    store: Store, definitions: Definitions, extractor: Extractor
) -> None:
    stale(store, 7)
    put(store, patient("p1", "Tran"), IndexValues())
    calls = 0

    class Failing(Extractor):
        def extract(self, resource: dict[str, Any]) -> IndexValues:
            nonlocal calls
            calls += 1
            if calls > 4:  # the third batch of 2 never commits
                raise Interrupted
            return extractor.extract(resource)

    failing = Failing(definitions.search_params, VN)
    with pytest.raises(Interrupted):
        Reindexer(store, failing, batch=2).run(["Observation", "Patient"])
    assert found(store, definitions, "Observation", f"value-quantity=ge1|{UCUM}|g") == [
        "o0",
        "o1",
        "o2",
        "o3",
    ]
    assert store.checkpoint(CHECKPOINT) is not None
    resumed = Reindexer(store, extractor, batch=2).run(["Observation", "Patient"])
    assert resumed.resumed_from == "Observation"
    assert resumed.indexed == {"Observation": 3, "Patient": 1}  # o4..o6: the first four stay done
    assert found(store, definitions, "Observation", f"value-quantity=ge1|{UCUM}|g") == [
        f"o{n}" for n in range(7)
    ]
    again = Reindexer(store, extractor, batch=2).run(["Observation", "Patient"])  # finished: from the start
    assert again.resumed_from is None and again.indexed == {"Observation": 7, "Patient": 1}
    other = Reindexer(store, extractor, batch=2).run(["Patient"])
    assert other.indexed == {"Patient": 1}
