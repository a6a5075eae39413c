"""Checkpoints commit with the unit of work that saves them, and only then (bulk import resume)."""

from __future__ import annotations

import threading
import time

import pytest

from fhir_server.search.index import IndexValues
from fhir_server.storage.base import Store
from tests.contract.conftest import patient


def test_a_checkpoint_is_absent_until_saved_and_then_replaced(store: Store) -> None:
    assert store.checkpoint("import:a") is None
    with store.unit_of_work() as uow:
        uow.save_checkpoint("import:a", b"1")
    with store.unit_of_work() as uow:
        uow.save_checkpoint("import:a", b"2")
        uow.save_checkpoint("import:b", b"x")
    assert store.checkpoint("import:a") == b"2"
    assert store.checkpoint("import:b") == b"x"


def test_a_failed_unit_of_work_keeps_neither_data_nor_checkpoint(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.save_checkpoint("import:a", b"before")
    with pytest.raises(RuntimeError), store.unit_of_work() as uow:
        uow.write(patient("p1"), IndexValues(), method="PUT")
        uow.save_checkpoint("import:a", b"after")
        raise RuntimeError("crash before commit")
    assert store.checkpoint("import:a") == b"before"
    assert store.read("Patient", "p1") is None


def test_a_checkpoint_read_in_a_unit_of_work_sees_every_commit_before_its_own(store: Store) -> None:
    """The importer reads its checkpoint inside the unit of work that will save the next one: a second
    import of the same file must see the first one's commit there, or both would write the same batch."""
    read_first = threading.Event()
    seen: list[bytes | None] = []

    def first() -> None:
        with store.unit_of_work() as uow:
            seen.append(store.checkpoint("import:f"))
            read_first.set()
            time.sleep(0.2)  # the second import reads meanwhile: it must wait for this commit
            uow.save_checkpoint("import:f", b"batch 1")

    thread = threading.Thread(target=first)
    thread.start()
    read_first.wait()
    with store.unit_of_work() as uow:
        seen.append(store.checkpoint("import:f"))
        uow.save_checkpoint("import:f", b"batch 1 again")
    thread.join()
    assert seen == [None, b"batch 1"]
