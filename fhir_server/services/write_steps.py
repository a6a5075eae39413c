"""The steps of a write that run inside a unit of work, shared by single writes (services/crud.py),
transaction and batch Bundles (services/transaction.py) and the booking services: store a version with
its references resolved and its access checked, find a conditional target, patch, delete, run the hooks
and the checks that read other resources.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol

from auth.scopes import Interaction
from fhir_server.model.json import loads
from fhir_server.model.outcome import FhirError, Issue
from fhir_server.model.validator import Validator
from fhir_server.search.extract import Extractor
from fhir_server.search.index import IndexValues
from fhir_server.search.request import SearchRequest
from fhir_server.services.access import OPEN_ACCESS, Access
from fhir_server.services.conditions import Conditions
from fhir_server.services.json_patch import apply_patch
from fhir_server.services.outcomes import not_found
from fhir_server.services.references import ReferenceResolver
from fhir_server.storage.base import Method, StoredResource, UnitOfWork, VersionConflict
from fhir_server.types import JsonResource


class WriteHook(Protocol):
    """Keeps derived resources in step with a write, inside the same unit of work (so both commit or
    neither): e.g. services.aefi keeps a Flag per serious AdverseEvent. `resource` is None on delete;
    `previous` is the version it replaces (None on create), e.g. the Slot an Appointment leaves.
    A hook may refuse the write by raising FhirError: the unit of work rolls it back."""

    resource_types: frozenset[str]

    def __call__(
        self,
        uow: UnitOfWork,
        resource_type: str,
        id: str,
        resource: JsonResource | None,
        previous: StoredResource | None,
    ) -> None: ...


class WriteCheck(Protocol):
    """A rule over a written or deleted resource that reads other resources (services.part_of_chains: a
    Location's chain of parents, and the children that hang from it). It runs once the other writes are in
    place: at once for a single write, after every entry of a transaction (services/transaction.py), so an
    entry may name a parent a later entry creates. `resource` is None on delete. It refuses the write by
    raising FhirError: the unit of work rolls it back."""

    resource_types: frozenset[str]

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
        """`own`: the resource's rule; `dependents`: what hangs from it (a transaction checks every entry's
        own rule before any dependents, so that the error names the entry at fault)."""


@dataclass(frozen=True, slots=True)
class WriteResult:
    stored: StoredResource
    created: bool  # 201 rather than 200


_NO_ENTRIES: Mapping[str, str] = MappingProxyType({})  # outside a transaction: no fullUrls to map


def new_id() -> str:
    return str(uuid.uuid4())


class WriteSteps:
    """What a write does once the writer lock is held; callers own the unit of work."""

    def __init__(
        self,
        validator: Validator,
        extractor: Extractor,
        conditions: Conditions,
        *,
        references: ReferenceResolver,
        id_factory: Callable[[], str] = new_id,
        hooks: Sequence[WriteHook] = (),
        checks: Sequence[WriteCheck] = (),
        read_only: frozenset[str] = frozenset(),
    ) -> None:
        self._validator = validator
        self._extractor = extractor
        self._conditions = conditions
        self._references = references
        self._new_id = id_factory
        self._hooks = tuple(hooks)
        self._checks = tuple(checks)
        self._read_only = read_only  # types served from files (services/artifacts.py), never stored

    def writable(self, resource_type: str) -> None:
        """405 for the read-only artifact types, on every path (single writes, batch and transaction)."""
        if resource_type in self._read_only:
            raise FhirError(
                405,
                [
                    Issue(
                        "not-supported",
                        f"{resource_type} resources are the server's national artifacts and are read-only",
                        f"Tài nguyên {resource_type} là tài liệu quốc gia của máy chủ, chỉ được đọc",
                    )
                ],
                headers={"Allow": "GET"},
            )

    def validate(self, resource_type: str, body: Any) -> JsonResource:
        return self._validator.validate(body, expected_type=resource_type)

    def condition(self, resource_type: str, query: str) -> SearchRequest:
        return self._conditions.parse(resource_type, query)

    def condition_params(self, resource_type: str, query: Sequence[tuple[str, str]]) -> SearchRequest:
        return self._conditions.from_params(resource_type, query)

    def assign_id(self) -> str:
        return self._new_id()

    def store_version(
        self,
        uow: UnitOfWork,
        resource: JsonResource,
        method: Method,
        *,
        index: IndexValues | None = None,
        if_match: int | None = None,
        local: Mapping[str, str] = _NO_ENTRIES,
        access: Access = OPEN_ACCESS,
    ) -> WriteResult:
        """Resolve the resource's pending references (conditional ones; `local` maps a transaction's
        fullUrls), index it unless `index` is still valid, and write it as a new version."""
        self.writable(resource["resourceType"])
        resolved = self._references.resolve(
            resource, uow, local, in_transaction=local is not _NO_ENTRIES, narrow=access.narrow
        )
        if resolved is not None:
            self._validator.recheck_references(resolved)  # target types were unknown before
            resource, index = resolved, None
        access.disclose_resource(resource)  # refused writes too: whose record it tried to change
        if access.enforced:
            stamped = access.stamp(resource)
            resource, index = stamped, (index if stamped == resource else None)
        if index is None:
            index = self._extractor.extract(resource)
        current = None
        if method == "POST":  # a fresh server-assigned id: nothing to read first
            access.check_new(resource, index, Interaction.CREATE)
            result = WriteResult(uow.write(resource, index, method=method), created=True)
        else:
            current = uow.read(resource["resourceType"], resource["id"])
            if current is not None:
                access.check_change(uow, current, Interaction.UPDATE)
            access.check_new(resource, index, Interaction.UPDATE)
            created = current is None or current.deleted
            if if_match is not None and created:
                raise VersionConflict(resource["resourceType"], resource["id"], if_match, None)
            result = WriteResult(
                uow.write(resource, index, method=method, expected_version=if_match), created
            )
        self._after(uow, resource["resourceType"], resource["id"], resource, current)
        if local is _NO_ENTRIES:  # a transaction checks its entries once all are written
            self.check(uow, resource["resourceType"], resource["id"], resource)
        return result

    def checked(self, resource_type: str) -> bool:
        """Whether a write check applies to the type (a transaction then re-reads the written entry)."""
        return any(resource_type in check.resource_types for check in self._checks)

    def check(
        self,
        uow: UnitOfWork,
        resource_type: str,
        id: str,
        resource: JsonResource | None,
        *,
        own: bool = True,
        dependents: bool = True,
    ) -> None:
        """Run the write checks of the type against the unit of work (`resource` None: deleted)."""
        for check in self._checks:
            if resource_type in check.resource_types:
                check(uow, resource_type, id, resource, own=own, dependents=dependents)

    def extract(self, resource: JsonResource) -> IndexValues:
        """The index rows of `resource` (e.g. to check access before taking the writer lock)."""
        return self._extractor.extract(resource)

    def _hooked(self, resource_type: str) -> bool:
        return any(resource_type in hook.resource_types for hook in self._hooks)

    def _after(
        self,
        uow: UnitOfWork,
        resource_type: str,
        id: str,
        resource: JsonResource | None,
        previous: StoredResource | None,
    ) -> None:
        if previous is not None and previous.deleted:
            previous = None
        for hook in self._hooks:
            if resource_type in hook.resource_types:
                hook(uow, resource_type, id, resource, previous)

    def conditional_target(self, uow: UnitOfWork, condition: SearchRequest, resource: JsonResource) -> str:
        """The id a conditional update writes to: the one match, else the body's id (if it names nothing
        yet, so a conditional update never overwrites a resource that failed its criteria) or a new one."""
        match = self.single_match(uow, condition, "conditional update")
        body_id = resource.get("id")
        if match is not None:
            if body_id not in (None, match.id):
                raise FhirError.of(
                    400,
                    "invalid",
                    f"Resource id {body_id!r} differs from the matching resource {match.id!r}",
                    f"Mã tài nguyên {body_id!r} khác với tài nguyên khớp điều kiện {match.id!r}",
                    "id",
                )
            return match.id
        existing = uow.read(condition.resource_type, body_id) if body_id else None
        if existing is not None and not existing.deleted:
            raise FhirError.of(
                409,
                "conflict",
                f"No resource matches the criteria, but {condition.resource_type}/{body_id} exists already",
                f"Không có tài nguyên khớp điều kiện, nhưng {condition.resource_type}/{body_id} đã tồn tại",
                "id",
            )
        return body_id or self._new_id()

    def patch_in(
        self,
        uow: UnitOfWork,
        resource_type: str,
        id: str,
        operations: Any,
        *,
        if_match: int | None = None,
        local: Mapping[str, str] = _NO_ENTRIES,
        access: Access = OPEN_ACCESS,
    ) -> WriteResult:
        if not isinstance(operations, list):
            raise FhirError.of(
                400,
                "invalid",
                "A JSON Patch document must be an array",
                "Tài liệu JSON Patch phải là một mảng",
            )
        current = uow.read(resource_type, id)
        if current is None or current.deleted:
            raise not_found(resource_type, id)
        access.disclose((current,))
        access.check_change(uow, current, Interaction.UPDATE)
        if if_match is not None and if_match != current.version:
            raise VersionConflict(resource_type, id, if_match, current.version)
        patched = apply_patch(loads(current.body), operations)
        resource = self._validator.validate(patched, expected_type=resource_type)
        if resource.get("id") != id:
            raise FhirError.of(
                400, "invalid", "A patch may not change the id", "Không được sửa mã tài nguyên", "id"
            )
        return self.store_version(
            uow, resource, "PATCH", if_match=current.version, local=local, access=access
        )

    def delete_in(
        self,
        uow: UnitOfWork,
        resource_type: str,
        id: str,
        *,
        if_match: int | None = None,
        access: Access = OPEN_ACCESS,
        in_transaction: bool = False,
    ) -> StoredResource | None:
        self.writable(resource_type)
        current = None
        if (
            if_match is not None
            or access.enforced
            or access.disclosure is not None
            or self._hooked(resource_type)
        ):
            current = uow.read(resource_type, id)
            if if_match is not None and (current is None or current.deleted):
                raise VersionConflict(resource_type, id, if_match, None)  # If-Match names no version
            if current is not None:
                access.disclose((current,))
                access.check_change(uow, current, Interaction.DELETE)
        deleted = uow.delete(resource_type, id, expected_version=if_match)
        if deleted is not None:
            self._after(uow, resource_type, id, None, current)
            if not in_transaction:  # a transaction checks its entries once all are written
                self.check(uow, resource_type, id, None)
        return deleted

    @staticmethod
    def single_match(uow: UnitOfWork, condition: SearchRequest, what: str) -> StoredResource | None:
        ids = uow.search_ids(condition, limit=2)
        if len(ids) > 1:
            raise FhirError.of(
                412,
                "multiple-matches",
                f"The {what} criteria match more than one resource",
                f"Điều kiện ({what}) khớp với nhiều hơn một tài nguyên",
            )
        if not ids:
            return None
        return uow.read(condition.resource_type, ids[0])
