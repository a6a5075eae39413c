"""Create, read, vread, update, delete and the version/lastUpdated stamps, on every backend."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fhir_server.storage.base import Store, VersionConflict
from tests.contract.conftest import FakeClock, body, delete, patient, put


def test_create_then_read_and_vread(store: Store) -> None:
    created = put(store, patient("p1"), method="POST")
    assert (created.resource_type, created.id, created.version) == ("Patient", "p1", 1)
    assert created.method == "POST" and not created.deleted
    assert store.read("Patient", "p1") == created
    assert store.vread("Patient", "p1", 1) == created
    assert store.vread("Patient", "p1", 2) is None
    assert store.vread("Patient", "p1", 0) is None
    assert store.read("Patient", "nobody") is None
    assert store.read("Observation", "p1") is None


def test_body_carries_version_and_last_updated_and_keeps_other_meta(store: Store, clock: FakeClock) -> None:
    resource = patient(
        "p1",
        meta={"versionId": "99", "lastUpdated": "2000-01-01T00:00:00Z", "tag": [{"code": "demo"}]},
        birthDate="2026-01-15",
    )
    stored = put(store, resource)
    meta = body(stored)["meta"]
    assert meta == {"versionId": "1", "lastUpdated": "2026-01-01T08:00:00.000Z", "tag": [{"code": "demo"}]}
    assert body(stored)["birthDate"] == "2026-01-15"
    assert stored.last_updated == clock.now()
    assert stored.last_updated.tzinfo is not None
    assert resource["meta"]["versionId"] == "99"  # the caller's dict is not modified


def test_decimals_keep_their_written_precision(store: Store) -> None:
    from fhir_server.model.json import loads

    stored = put(store, {"resourceType": "Observation", "id": "o1", "valueQuantity": loads(b'{"v": 1.50}')})
    assert b'"v":1.50' in stored.body
    assert b'"v":1.50' in (store.read("Observation", "o1") or stored).body


def test_updates_make_successive_versions(store: Store, clock: FakeClock) -> None:
    first = put(store, patient("p1"))
    clock.advance(seconds=1)
    second = put(store, patient("p1", gender="male"))
    assert second.version == 2
    assert body(second)["meta"]["versionId"] == "2"
    assert store.read("Patient", "p1") == second
    assert store.vread("Patient", "p1", 1) == first
    assert body(store.vread("Patient", "p1", 1) or first)["gender"] == "female"


def test_last_updated_strictly_increases_when_the_clock_stands_still(store: Store) -> None:
    stamps = [put(store, patient("p1")).last_updated for _ in range(5)]
    assert stamps == sorted(set(stamps))
    assert store.read("Patient", "p1") is not None
    deleted = delete(store, "Patient", "p1")
    assert deleted is not None and deleted.last_updated > stamps[-1]


def test_last_updated_never_goes_back_when_the_clock_does(store: Store, clock: FakeClock) -> None:
    first = put(store, patient("p1"))
    clock.advance(seconds=-3600)
    second = put(store, patient("p1"))
    assert second.last_updated > first.last_updated


def test_last_updated_is_utc_at_millisecond_precision(store: Store, clock: FakeClock) -> None:
    clock.advance(microseconds=123_456)
    stored = put(store, patient("p1"))
    assert stored.last_updated == datetime(2026, 1, 1, 8, 0, 0, 123_000, tzinfo=UTC)
    assert body(stored)["meta"]["lastUpdated"] == "2026-01-01T08:00:00.123Z"
    assert store.read("Patient", "p1") == stored


def test_expected_version_must_be_current(store: Store) -> None:
    put(store, patient("p1"))
    put(store, patient("p1"), expected_version=1)
    with pytest.raises(VersionConflict) as conflict:
        put(store, patient("p1"), expected_version=1)
    assert (conflict.value.expected, conflict.value.current) == (1, 2)
    with pytest.raises(VersionConflict) as missing:
        put(store, patient("p2"), expected_version=1)
    assert missing.value.current is None
    assert store.read("Patient", "p2") is None
    stored = store.read("Patient", "p1")
    assert stored is not None and stored.version == 2


def test_delete_is_a_new_version_and_returns_none_when_nothing_to_delete(store: Store) -> None:
    put(store, patient("p1"))
    deleted = delete(store, "Patient", "p1")
    assert deleted is not None
    assert (deleted.version, deleted.deleted, deleted.method, deleted.body) == (2, True, "DELETE", b"")
    assert store.read("Patient", "p1") == deleted
    assert store.vread("Patient", "p1", 2) == deleted
    assert store.vread("Patient", "p1", 1) is not None
    assert delete(store, "Patient", "p1") is None  # already deleted
    assert delete(store, "Patient", "nobody") is None  # never created
    assert store.read("Patient", "nobody") is None


def test_delete_with_expected_version(store: Store) -> None:
    put(store, patient("p1"))
    put(store, patient("p1"))
    with pytest.raises(VersionConflict):
        delete(store, "Patient", "p1", expected_version=1)
    stored = store.read("Patient", "p1")
    assert stored is not None and not stored.deleted
    deleted = delete(store, "Patient", "p1", expected_version=2)
    assert deleted is not None and deleted.version == 3


def test_recreate_after_delete_continues_the_numbering(store: Store) -> None:
    put(store, patient("p1"))
    delete(store, "Patient", "p1")
    again = put(store, patient("p1", gender="other"))
    assert again.version == 3 and not again.deleted
    assert body(again)["meta"]["versionId"] == "3"
    assert store.read("Patient", "p1") == again
    assert [store.vread("Patient", "p1", v) is not None for v in (1, 2, 3)] == [True, True, True]


def test_same_id_in_different_types_are_different_resources(store: Store) -> None:
    put(store, patient("x"))
    other = put(store, {"resourceType": "Observation", "id": "x", "status": "final"})
    assert other.version == 1
    assert body(store.read("Patient", "x") or other)["resourceType"] == "Patient"


def test_health_reports_backend_and_counts(store: Store, backend: str) -> None:
    put(store, patient("p1"))
    put(store, patient("p2"))
    delete(store, "Patient", "p2")
    health = store.health()
    assert health["backend"] == backend
    assert health["resources"] == 1


def test_every_backend_says_whether_units_of_work_are_transactions(store: Store, backend: str) -> None:
    # memory and SQLite: always; MongoDB: only on a replica set or sharded cluster (never on mongomock).
    expected = {"memory": True, "sqlite": True}.get(backend, store.health().get("transactions"))
    assert store.supports_transactions is expected
