"""Create, read, update, patch and delete — plain and conditional — over the storage contract.

Validation and index extraction run before the writer lock is taken; only the read-check-write that
must be atomic (version checks, conditional matches) runs inside the unit of work, through the steps of
services/write_steps.py (which transaction Bundles and booking share).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from auth.scopes import Interaction
from fhir_server.model.outcome import FhirError
from fhir_server.model.validator import Validator
from fhir_server.search.extract import Extractor
from fhir_server.services.access import OPEN_ACCESS, Access
from fhir_server.services.conditions import Conditions
from fhir_server.services.outcomes import not_found
from fhir_server.services.references import ReferenceResolver
from fhir_server.services.write_steps import WriteCheck, WriteHook, WriteResult, WriteSteps, new_id
from fhir_server.storage.base import Store, StoredResource


class ResourceService(WriteSteps):
    """The FHIR instance and type-level interactions that change or read one resource."""

    def __init__(
        self,
        store: Store,
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
        super().__init__(
            validator,
            extractor,
            conditions,
            references=references,
            id_factory=id_factory,
            hooks=hooks,
            checks=checks,
            read_only=read_only,
        )
        self._store = store
        self._listeners: list[Callable[[Sequence[StoredResource]], None]] = []

    # -- after-commit listeners (e.g. services/recommendations.py) ---------------------------------

    def on_commit(self, listener: Callable[[Sequence[StoredResource]], None]) -> None:
        """Call `listener` with the versions each write (or transaction) stored, after it committed."""
        self._listeners.append(listener)

    def committed(self, written: Sequence[StoredResource]) -> None:
        """Tell the listeners; a listener must not fail the write that already committed."""
        if written:
            for listener in self._listeners:
                listener(written)

    def _done(self, result: WriteResult) -> WriteResult:
        self.committed([result.stored])
        return result

    def _deleted(self, stored: StoredResource | None) -> StoredResource | None:
        self.committed([stored] if stored is not None else [])
        return stored

    # -- reads ---------------------------------------------------------------------------------

    def read(self, resource_type: str, id: str, *, access: Access = OPEN_ACCESS) -> StoredResource:
        rule = access.rule(resource_type, Interaction.READ)  # 403 for a refused type, whatever the id
        stored = self._store.read(resource_type, id)
        if stored is None or (stored.deleted and not rule.unrestricted):
            raise not_found(resource_type, id)
        access.disclose((stored,))  # refused reads too: the audit names whose record was asked for
        if not stored.deleted:
            access.check_read(stored)
        if stored.deleted:
            raise FhirError.of(
                410,
                "deleted",
                f"{resource_type}/{id} was deleted (version {stored.version})",
                f"{resource_type}/{id} đã bị xoá (phiên bản {stored.version})",
            )
        return stored

    def vread(
        self, resource_type: str, id: str, version: int, *, access: Access = OPEN_ACCESS
    ) -> StoredResource:
        if not access.rule(resource_type, Interaction.READ).unrestricted:
            self.read(resource_type, id, access=access)  # who may see the resource now sees its versions
        stored = self._store.vread(resource_type, id, version)
        access.disclose((stored,) if stored is not None else ())
        if stored is None:
            if self._store.read(resource_type, id) is None:
                raise not_found(resource_type, id)
            raise FhirError.of(
                404,
                "not-found",
                f"{resource_type}/{id} has no version {version}",
                f"{resource_type}/{id} không có phiên bản {version}",
            )
        if stored.deleted:
            raise FhirError.of(
                410,
                "deleted",
                f"Version {version} of {resource_type}/{id} is a deletion",
                f"Phiên bản {version} của {resource_type}/{id} là bản ghi xoá",
            )
        return stored

    # -- writes --------------------------------------------------------------------------------

    def create(
        self,
        resource_type: str,
        body: Any,
        *,
        if_none_exist: str | None = None,
        access: Access = OPEN_ACCESS,
    ) -> WriteResult:
        access.rule(resource_type, Interaction.CREATE)
        resource = self._validator.validate(body, expected_type=resource_type)
        resource = access.stamp({**resource, "id": self._new_id()})  # the server assigns ids on create
        index = self._extractor.extract(resource)
        condition = None if if_none_exist is None else self.condition(resource_type, if_none_exist)
        with self._store.unit_of_work() as uow:
            if condition is not None:
                existing = self.single_match(
                    uow, access.narrow(condition, Interaction.CREATE), "If-None-Exist"
                )
                if existing is not None:
                    access.disclose((existing,))
                    return WriteResult(existing, created=False)
            result = self.store_version(uow, resource, "POST", index=index, access=access)
        return self._done(result)

    def update(
        self,
        resource_type: str,
        id: str,
        body: Any,
        *,
        if_match: int | None = None,
        access: Access = OPEN_ACCESS,
    ) -> WriteResult:
        access.rule(resource_type, Interaction.UPDATE)
        resource = access.stamp(self._validator.validate(body, expected_type=resource_type))
        if resource.get("id") != id:
            raise FhirError.of(
                400,
                "invalid",
                f"Resource id {resource.get('id')!r} does not match the URL id {id!r}",
                f"Mã tài nguyên {resource.get('id')!r} không khớp với mã trên URL {id!r}",
                "id",
            )
        index = self._extractor.extract(resource)
        with self._store.unit_of_work() as uow:
            result = self.store_version(uow, resource, "PUT", index=index, if_match=if_match, access=access)
        return self._done(result)

    def conditional_update(
        self,
        resource_type: str,
        query: Sequence[tuple[str, str]],
        body: Any,
        *,
        if_match: int | None = None,
        access: Access = OPEN_ACCESS,
    ) -> WriteResult:
        access.rule(resource_type, Interaction.UPDATE)
        resource = access.stamp(self._validator.validate(body, expected_type=resource_type))
        condition = access.narrow(self._conditions.from_params(resource_type, query), Interaction.UPDATE)
        with self._store.unit_of_work() as uow:
            resource = {**resource, "id": self.conditional_target(uow, condition, resource)}
            # Extraction inside the lock here: the id is only known once the condition has matched.
            result = self.store_version(uow, resource, "PUT", if_match=if_match, access=access)
        return self._done(result)

    def patch(
        self,
        resource_type: str,
        id: str,
        operations: Any,
        *,
        if_match: int | None = None,
        access: Access = OPEN_ACCESS,
    ) -> WriteResult:
        access.rule(resource_type, Interaction.UPDATE)
        with self._store.unit_of_work() as uow:
            result = self.patch_in(uow, resource_type, id, operations, if_match=if_match, access=access)
        return self._done(result)

    def delete(
        self, resource_type: str, id: str, *, if_match: int | None = None, access: Access = OPEN_ACCESS
    ) -> StoredResource | None:
        access.rule(resource_type, Interaction.DELETE)
        with self._store.unit_of_work() as uow:
            deleted = self.delete_in(uow, resource_type, id, if_match=if_match, access=access)
        return self._deleted(deleted)

    def conditional_delete(
        self, resource_type: str, query: Sequence[tuple[str, str]], *, access: Access = OPEN_ACCESS
    ) -> StoredResource | None:
        self.writable(resource_type)
        access.rule(resource_type, Interaction.DELETE)
        condition = access.narrow(self._conditions.from_params(resource_type, query), Interaction.DELETE)
        with self._store.unit_of_work() as uow:
            match = self.single_match(uow, condition, "conditional delete")
            if match is None:
                return None
            access.disclose((match,))
            access.check_change(uow, match, Interaction.DELETE)
            deleted = uow.delete(resource_type, match.id)
            self._after(uow, resource_type, match.id, None, match)
            self.check(uow, resource_type, match.id, None)
        return self._deleted(deleted)
