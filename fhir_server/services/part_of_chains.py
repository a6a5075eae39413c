"""The `partOf` chain rule (model/part_of.py: vn-loc-2, vn-org-3) checked where the parents can be read.

A write: a check of the resource service (services.write_steps.WriteCheck) reads the chain from the unit of
work, so it sees the store as the write leaves it. A single write is checked at once; a transaction's
Locations and Organizations once every entry is written, so a parent created by a later entry of the same
Bundle (its urn:uuid already resolved to its new id) counts. Only the types whose national profile is
enforced (FHIR_PROFILES_ENFORCED, the per-type switch of profile validation) are checked on write.

A unit that others name in `partOf` is a parent: changing it re-checks the chains of its direct children
(at most MAX_CHILDREN; grandchildren are not re-checked), and deleting it is refused while it has any.

`$validate`: `part_of_issues` with the store as it is (no lock), whatever the setting says, as for the
profile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from fhir_server.model.json import loads_stored
from fhir_server.model.outcome import FhirError, Issue
from fhir_server.model.part_of import RULES, chain_issues
from fhir_server.search.request import SearchRequest
from fhir_server.services.conditions import Conditions
from fhir_server.storage.base import Store, StoredResource, UnitOfWork
from fhir_server.types import JsonResource

StoreRead = Callable[[str, str], StoredResource | None]  # Store.read or UnitOfWork.read
MAX_CHILDREN = 2000  # re-checked when their parent changes (a province has ~100 communes)
CHILDREN_NAMED = 5


def live_reader(read: StoreRead) -> Callable[[str, str], JsonResource | None]:
    """The model's reader over a store's `read`: deleted resources are gone."""

    def reader(resource_type: str, id: str) -> JsonResource | None:
        stored = read(resource_type, id)
        # only read, never written back: numbers need not keep their digits (saves a scan)
        return None if stored is None or stored.deleted else loads_stored(stored.body, exact_numbers=False)

    return reader


def part_of_issues(resource: JsonResource, read: StoreRead) -> list[Issue]:
    """The rule's issue with `resource` against the parents `read` gives ($validate)."""
    return chain_issues(resource, live_reader(read))


def broken_units(store: Store, page_size: int = 500) -> Iterator[tuple[str, str, Issue]]:
    """Every stored Location and Organization that breaks the rule (data written before it, or while its
    profile was not enforced): (type, id, the issue). One page of bodies at a time, in creation order."""
    for resource_type in sorted(RULES):
        cursor: str | None = None
        while True:
            request = SearchRequest(resource_type, count=page_size, cursor=cursor)
            page = store.search(request, with_total=False)
            for stored in page.resources:
                issues = part_of_issues(loads_stored(stored.body, exact_numbers=False), store.read)
                if issues:
                    yield resource_type, stored.id, issues[0]
            cursor = page.next_cursor if page.resources else None
            if cursor is None:
                break


class PartOfChains:
    """The write check for Location and Organization (those of them whose profile is enforced)."""

    def __init__(self, enforced: frozenset[str], conditions: Conditions) -> None:
        self.resource_types = frozenset(RULES) & enforced
        self._conditions = conditions

    def __call__(
        self,
        uow: UnitOfWork,
        resource_type: str,
        id: str,
        resource: JsonResource | None,
        *,
        own: bool = True,
        dependents: bool = True,
    ) -> None:
        if own and resource is not None:
            issues = chain_issues(resource, live_reader(uow.read))
            if issues:
                raise FhirError(422, issues)
        if dependents:
            self._children(uow, resource_type, id, resource)

    def _children(self, uow: UnitOfWork, resource_type: str, id: str, resource: JsonResource | None) -> None:
        children = uow.search_ids(
            self._conditions.from_params(resource_type, children_query(resource_type, id)), MAX_CHILDREN
        )
        if not children:
            return
        if resource is None:
            raise _still_a_parent(resource_type, id, children)
        reader = live_reader(uow.read)
        for child in children:
            found = reader(resource_type, child)
            if found is None:
                continue
            issues = chain_issues(found, reader)
            if issues:
                raise _breaks_child(resource_type, child, issues[0])


def _names(resource_type: str, ids: list[str], total: int) -> str:
    shown = ", ".join(f"{resource_type}/{i}" for i in ids[:CHILDREN_NAMED])
    return shown + (f" (+{total - CHILDREN_NAMED})" if total > CHILDREN_NAMED else "")


def parent_issues(resource_type: str, id: str, children: list[str], total: int | None = None) -> list[Issue]:
    """Why `resource_type/id` may not be deleted: it is the partOf parent of `children` (of `total` in
    all, when only the first are given); [] when none."""
    if resource_type not in RULES or not children:
        return []
    key = RULES[resource_type]
    names = _names(resource_type, children, len(children) if total is None else total)
    return [
        Issue(
            "conflict",
            f"{resource_type}/{id} is the partOf parent of {names}: move or delete them first ({key})",
            f"{resource_type}/{id} là đơn vị cấp trên (partOf) của {names}: hãy chuyển hoặc xoá chúng trước"
            f" ({key})",
            (f"{resource_type}.partOf",),
        )
    ]


def children_query(resource_type: str, id: str) -> list[tuple[str, str]]:
    """The search for the units that name `resource_type/id` in partOf."""
    return [("partof", f"{resource_type}/{id}")]


def _still_a_parent(resource_type: str, id: str, children: list[str]) -> FhirError:
    return FhirError(409, parent_issues(resource_type, id, children))


def _breaks_child(resource_type: str, child: str, issue: Issue) -> FhirError:
    return FhirError(
        422,
        [
            Issue(
                issue.code,
                f"This change breaks the partOf chain of {resource_type}/{child}: {issue.en}",
                f"Thay đổi này làm hỏng chuỗi partOf của {resource_type}/{child}: {issue.vi}",
                issue.expression,
            )
        ],
    )
