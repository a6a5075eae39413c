"""Derived rows (storage/base.py Summarizer): written by the backend with every write and delete of the
summarized types, in the same unit of work (rolled back with it); trusted only while complete. MongoDB
keeps none and says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from fhir_server.search.index import IndexValues, TokenValue
from fhir_server.storage.base import Columns, Store, Summaries
from fhir_server.storage.factory import open_store
from tests.contract.conftest import FakeClock, patient, store_url


class Genders:
    """A toy summarizer: one row per Patient, grouped by its gender."""

    resource_types = frozenset({"Patient"})
    kinds = frozenset({"gender"})

    def __call__(self, rows: Summaries, resource_type: str, id: str, columns: Columns | None) -> None:
        if columns is None:
            rows.delete_summary("gender", id)
            return
        gender = str(columns.get("gender", ["|?"])[0]).partition("|")[2]
        rows.put_summary("gender", id, gender, id.encode())


def _index(gender: str) -> IndexValues:
    return IndexValues(tokens=(TokenValue("gender", "http://hl7.org/fhir/administrative-gender", gender),))


def _write(store: Store, id: str, gender: str) -> None:
    with store.unit_of_work() as uow:
        uow.write(patient(id, gender=gender), _index(gender), method="PUT")


@pytest.fixture(params=["memory", "sqlite"])
def kept(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    return open_store(store_url(str(request.param), tmp_path), FakeClock(), summarizers=(Genders(),))


def test_rows_follow_writes_and_deletes(kept: Store) -> None:
    _write(kept, "a", "female")
    _write(kept, "b", "male")
    _write(kept, "a", "male")  # moves to another group
    assert sorted(kept.summary_rows("gender", ["male", "female"]) or []) == [
        ("a", "male", b"a"), ("b", "male", b"b")
    ]  # fmt: skip
    with kept.unit_of_work() as uow:
        uow.delete("Patient", "b")
    assert kept.summary_rows("gender", ["male"]) == [("a", "male", b"a")]
    kept.close()


def test_a_failed_unit_of_work_leaves_no_row(kept: Store) -> None:
    with pytest.raises(RuntimeError), kept.unit_of_work() as uow:
        uow.write(patient("a", gender="female"), _index("female"), method="PUT")
        raise RuntimeError("crash before commit")
    assert kept.summary_rows("gender", ["female"]) == []
    kept.close()


def test_rows_nobody_keeps_are_not_trusted(store: Store) -> None:
    """Without the summarizer (and always on MongoDB) the store answers None: compute from the index."""
    assert store.summary_rows("gender", ["female"]) is None


def test_a_file_written_without_the_summarizer_is_incomplete_until_marked(tmp_path: Path) -> None:
    url = store_url("sqlite", tmp_path)
    fresh = open_store(url, FakeClock(), summarizers=(Genders(),))
    _write(fresh, "a", "female")
    fresh.close()
    bare = open_store(url, FakeClock())  # an older server: its writes leave no rows
    _write(bare, "b", "female")
    bare.close()
    again = open_store(url, FakeClock(), summarizers=(Genders(),))
    assert again.summary_rows("gender", ["female"]) is None  # "b" is missing: not complete any more
    with again.unit_of_work() as uow:  # what a rebuild does, then marks the kind complete
        rows = uow.derived()
        assert rows is not None
        rows.clear_summaries("gender")
        for id in ("a", "b"):
            rows.put_summary("gender", id, "female", id.encode())
        uow.save_checkpoint("summary:gender", b"1")
    assert sorted(again.summary_rows("gender", ["female"]) or []) == [
        ("a", "female", b"a"),
        ("b", "female", b"b"),
    ]
    again.close()
