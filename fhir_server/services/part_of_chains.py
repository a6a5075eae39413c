"""The `partOf` chain rule (model/part_of.py: vn-loc-2, vn-org-3) checked where the parents can be read.

A write: a check of the resource service (services.write_steps.WriteCheck) reads the chain from the unit of
work, so it sees the store as the write leaves it. A single write is checked at once; a transaction's
Locations and Organizations once every entry is written, so a parent created by a later entry of the same
Bundle (its urn:uuid already resolved to its new id) counts. Only the types whose national profile is
enforced (FHIR_PROFILES_ENFORCED, the per-type switch of profile validation) are checked on write.

`$validate`: `issues` with the store as it is (no lock), whatever the setting says, as for the profile.
"""

from __future__ import annotations

from collections.abc import Callable

from fhir_server.model.json import loads
from fhir_server.model.outcome import FhirError, Issue
from fhir_server.model.part_of import RULES, chain_issues
from fhir_server.storage.base import StoredResource
from fhir_server.types import JsonResource

StoreRead = Callable[[str, str], StoredResource | None]  # Store.read or UnitOfWork.read


def live_reader(read: StoreRead) -> Callable[[str, str], JsonResource | None]:
    """The model's reader over a store's `read`: deleted resources are gone."""

    def reader(resource_type: str, id: str) -> JsonResource | None:
        stored = read(resource_type, id)
        return None if stored is None or stored.deleted else loads(stored.body)

    return reader


class PartOfChains:
    """The write check for Location and Organization (those of them whose profile is enforced)."""

    def __init__(self, enforced: frozenset[str]) -> None:
        self.resource_types = frozenset(RULES) & enforced

    def issues(self, resource: JsonResource, read: StoreRead) -> list[Issue]:
        return chain_issues(resource, live_reader(read))

    def __call__(self, read: StoreRead, resource: JsonResource) -> None:
        issues = self.issues(resource, read)
        if issues:
            raise FhirError(422, issues)
