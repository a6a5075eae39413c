"""Batch and transaction Bundles (`POST [base]`, FHIR R4 http 3.1.0.11).

A transaction is all or nothing: every resource is validated before the writer lock, then one unit of
work resolves identities (new ids, `ifNoneExist`, conditional update/delete), maps fullUrls to them,
and applies DELETE, POST, PUT/PATCH in that order; any failing entry raises, the unit of work rolls
back, and the OperationOutcome names the entry. GET entries run after the commit, so they see it.
A store that cannot commit several writes atomically (`Store.supports_transactions` False: MongoDB
without a replica set) refuses transactions with 422 `not-supported`; they are never simulated.
A batch applies each entry on its own, in the order given, and reports each entry's outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from auth.scopes import Interaction
from fhir_server.model.json import dumps, loads_stored
from fhir_server.model.outcome import FhirError
from fhir_server.services.access import OPEN_ACCESS, Access
from fhir_server.services.bundle_entries import Entry, entry_error, parse_bundle
from fhir_server.services.bundle_response import EntryResult, failed, response_bundle, written
from fhir_server.services.crud import ResourceService
from fhir_server.services.outcomes import version_conflict
from fhir_server.services.search import SearchService
from fhir_server.services.write_steps import WriteResult
from fhir_server.storage.base import (
    Method,
    Store,
    StoredResource,
    StoreUnavailable,
    UnitOfWork,
    VersionConflict,
)
from fhir_server.types import JsonResource

Link = Callable[[Sequence[tuple[str, str]]], str]
_WRITE_ORDER = {"DELETE": 0, "POST": 1, "PUT": 2, "PATCH": 2}
_INTERACTION = {
    "DELETE": Interaction.DELETE,
    "POST": Interaction.CREATE,
    "PUT": Interaction.UPDATE,
    "PATCH": Interaction.UPDATE,
}


@dataclass(frozen=True, slots=True)
class BundleRequest:
    """What the api layer knows about the HTTP request around the Bundle."""

    base_url: str
    prefer_return: str  # representation | minimal | OperationOutcome
    search_link: Callable[[str], Link]  # url -> link builder for a search entry's paging links
    strict: bool = False
    access: Access = OPEN_ACCESS  # each entry is checked as the single interaction it is


@dataclass(frozen=True, slots=True)
class _Plan:
    resources: dict[int, JsonResource]  # validated POST/PUT resources by entry index
    local: dict[str, str]  # fullUrl -> Type/id
    request: BundleRequest


@dataclass(frozen=True, slots=True)
class _Target:
    id: str | None  # None: a conditional delete that matched nothing
    existing: StoredResource | None = None  # an ifNoneExist that matched: nothing is written


class TransactionService:
    def __init__(
        self,
        store: Store,
        resources: ResourceService,
        search: SearchService,
        resource_types: frozenset[str],
        max_entries: int,
    ) -> None:
        self._store = store
        self._resources = resources
        self._search = search
        self._types = resource_types
        self._max_entries = max_entries

    def process(self, body: Any, request: BundleRequest) -> JsonResource:
        parsed = parse_bundle(
            body, base_url=request.base_url, resource_types=self._types, max_entries=self._max_entries
        )
        if parsed.kind == "batch":
            results = [self._batch_entry(entry, request) for entry in parsed.entries]
            return response_bundle(
                "batch-response", parsed.entries, results, request.base_url, request.prefer_return
            )
        if not self._store.supports_transactions:
            raise _no_transactions()
        entries = _understood(parsed.entries)
        return response_bundle(
            "transaction-response",
            entries,
            self._transaction(entries, request),
            request.base_url,
            request.prefer_return,
        )

    # -- transaction ---------------------------------------------------------------------------------

    def _transaction(self, entries: list[Entry], request: BundleRequest) -> list[EntryResult]:
        for entry in entries:  # a refused entry refuses the whole transaction, before any work
            if isinstance(entry.resource, dict):  # audited per entry, refused or not
                request.access.disclose_resource(entry.resource)
            with _naming(entry):
                request.access.rule(entry.resource_type, _entry_interaction(entry))
        resources = self._validate_all(entries)
        writes = sorted(
            (e for e in entries if e.method in _WRITE_ORDER), key=lambda e: _WRITE_ORDER[e.method]
        )
        results: dict[int, EntryResult] = {}
        with self._store.unit_of_work() as uow:
            targets: dict[int, _Target] = {}
            for entry in writes:
                with _naming(entry):
                    targets[entry.index] = self._target(uow, entry, resources, request.access)
            plan = _Plan(resources, _local_references(writes, targets), request)
            for entry in writes:
                with _naming(entry):
                    results[entry.index] = self._apply(uow, entry, targets[entry.index], plan)
            self._check_written(uow, writes, targets, results)
        # after the commit: one notification for the whole Bundle (one refresh per affected child)
        self._resources.committed([r.stored for r in results.values() if r.stored is not None])
        for entry in entries:
            if entry.index not in results:
                results[entry.index] = self._outcome_of(entry, request)
        return [results[entry.index] for entry in entries]

    def _check_written(
        self,
        uow: UnitOfWork,
        writes: list[Entry],
        targets: dict[int, _Target],
        results: dict[int, EntryResult],
    ) -> None:
        """The write checks that read other resources (a Location's parents and children), once every entry
        is written: a parent created by a later entry counts, a child deleted by another entry is gone. An
        ifNoneExist match wrote nothing and is not checked."""
        written: list[tuple[Entry, StoredResource, JsonResource | None]] = []
        for entry in writes:
            stored = results[entry.index].stored
            if stored is None or targets[entry.index].existing is not None:
                continue
            if self._resources.checked(entry.resource_type):
                body = None if stored.deleted else loads_stored(stored.body, exact_numbers=False)
                written.append((entry, stored, body))
        for own in (True, False):  # each entry's own rule first: the error names the entry at fault
            for entry, stored, resource in written:
                with _naming(entry):
                    self._resources.check(
                        uow, entry.resource_type, stored.id, resource, own=own, dependents=not own
                    )

    def _validate_all(self, entries: list[Entry]) -> dict[int, JsonResource]:
        """Every POST/PUT resource, validated outside the lock; all invalid entries reported at once."""
        valid: dict[int, JsonResource] = {}
        errors: list[FhirError] = []
        for entry in entries:
            if entry.method in ("POST", "PUT"):
                try:
                    valid[entry.index] = self._resources.validate(entry.resource_type, entry.resource)
                except FhirError as error:
                    errors.append(entry_error(error, entry.path, entry.resource_type))
        if errors:
            raise _combined(errors)
        return valid

    def _target(
        self, uow: UnitOfWork, entry: Entry, resources: dict[int, JsonResource], access: Access
    ) -> _Target:
        what = f"{entry.path}.request"
        if entry.method == "POST":
            if entry.if_none_exist is not None:
                condition = self._resources.condition(entry.resource_type, entry.if_none_exist)
                condition = access.narrow(condition, Interaction.CREATE)
                existing = self._resources.single_match(uow, condition, f"{what}.ifNoneExist")
                if existing is not None:
                    return _Target(existing.id, existing)
            return _Target(self._resources.assign_id())
        if not entry.conditional:
            return _Target(entry.id)
        condition = self._resources.condition_params(entry.resource_type, entry.query)
        condition = access.narrow(condition, _INTERACTION[entry.method])
        if entry.method == "PUT":
            return _Target(self._resources.conditional_target(uow, condition, resources[entry.index]))
        match = self._resources.single_match(uow, condition, f"{what}.url")
        return _Target(None if match is None else match.id)

    def _apply(self, uow: UnitOfWork, entry: Entry, target: _Target, plan: _Plan) -> EntryResult:
        request, local = plan.request, plan.local
        if target.existing is not None:
            return written(WriteResult(target.existing, created=False), request.prefer_return)
        if entry.method == "DELETE":
            if target.id is None:
                return EntryResult(204)
            deleted = self._resources.delete_in(
                uow,
                entry.resource_type,
                target.id,
                if_match=entry.if_match,
                access=request.access,
                in_transaction=True,
            )
            return EntryResult(204, deleted)
        if entry.method == "PATCH":
            assert target.id is not None  # a PATCH url always names the resource
            patched = self._resources.patch_in(
                uow,
                entry.resource_type,
                target.id,
                entry.patch,
                if_match=entry.if_match,
                local=local,
                access=request.access,
            )
            return written(patched, request.prefer_return)
        resource = {**plan.resources[entry.index], "id": target.id}
        method: Method = "POST" if entry.method == "POST" else "PUT"
        return written(
            self._resources.store_version(
                uow, resource, method, if_match=entry.if_match, local=local, access=request.access
            ),
            request.prefer_return,
        )

    # -- batch ---------------------------------------------------------------------------------------

    def _batch_entry(self, entry: Entry | FhirError, request: BundleRequest) -> EntryResult:
        if isinstance(entry, FhirError):
            return failed(entry)
        try:
            with _naming(entry):
                return self._batch_write(entry, request)
        except FhirError as error:
            return failed(error)
        except StoreUnavailable:
            return failed(
                FhirError.of(
                    503,
                    "transient",
                    f"{entry.path}: the store is busy; retry this entry",
                    f"{entry.path}: kho dữ liệu đang bận; hãy gửi lại mục này",
                    entry.path,
                )
            )

    def _batch_write(self, entry: Entry, request: BundleRequest) -> EntryResult:
        service = self._resources
        access = request.access
        match entry.method:
            case "POST":
                created = service.create(
                    entry.resource_type, entry.resource, if_none_exist=entry.if_none_exist, access=access
                )
                return written(created, request.prefer_return)
            case "PUT" if entry.conditional:
                return written(
                    service.conditional_update(
                        entry.resource_type,
                        entry.query,
                        entry.resource,
                        if_match=entry.if_match,
                        access=access,
                    ),
                    request.prefer_return,
                )
            case "PUT":
                assert entry.id is not None
                updated = service.update(
                    entry.resource_type, entry.id, entry.resource, if_match=entry.if_match, access=access
                )
                return written(updated, request.prefer_return)
            case "PATCH":
                assert entry.id is not None
                patched = service.patch(
                    entry.resource_type, entry.id, entry.patch, if_match=entry.if_match, access=access
                )
                return written(patched, request.prefer_return)
            case "DELETE" if entry.conditional:
                return EntryResult(
                    204, service.conditional_delete(entry.resource_type, entry.query, access=access)
                )
            case "DELETE":
                assert entry.id is not None
                return EntryResult(
                    204, service.delete(entry.resource_type, entry.id, if_match=entry.if_match, access=access)
                )
        return self._read(entry, request)

    # -- reads (GET/HEAD entries of both kinds) ---------------------------------------------------

    def _outcome_of(self, entry: Entry, request: BundleRequest) -> EntryResult:
        try:
            with _naming(entry):
                return self._read(entry, request)
        except FhirError as error:
            return failed(error)

    def _read(self, entry: Entry, request: BundleRequest) -> EntryResult:
        head = entry.method == "HEAD"
        if entry.id is None:
            url = f"{request.base_url}/{entry.resource_type}"
            searchset = self._search.search(
                entry.resource_type,
                list(entry.query),
                request.base_url,
                request.search_link(url),
                strict=request.strict,
                access=request.access,
            )
            return EntryResult(200, body=None if head else dumps(searchset))
        if entry.version is not None:
            stored = self._resources.vread(
                entry.resource_type, entry.id, entry.version, access=request.access
            )
        else:
            stored = self._resources.read(entry.resource_type, entry.id, access=request.access)
        return EntryResult(200, stored, None if head else stored.body)


def _entry_interaction(entry: Entry) -> Interaction:
    if entry.method in _INTERACTION:
        return _INTERACTION[entry.method]
    return Interaction.READ if entry.id is not None else Interaction.SEARCH


def _understood(entries: list[Entry | FhirError]) -> list[Entry]:
    """A transaction with any entry that cannot be understood is refused whole, naming every such entry."""
    errors = [e for e in entries if isinstance(e, FhirError)]
    if errors:
        raise _combined(errors)
    return [e for e in entries if isinstance(e, Entry)]


def _local_references(writes: list[Entry], targets: dict[int, _Target]) -> dict[str, str]:
    """fullUrl -> `Type/id` for every entry the transaction writes or matched; two entries that resolve
    to the same resource make the transaction ambiguous (R4 http 3.1.0.11.2), so it is refused."""
    local: dict[str, str] = {}
    owner: dict[tuple[str, str], Entry] = {}
    for entry in writes:
        id = targets[entry.index].id
        if id is None:
            continue
        key = (entry.resource_type, id)
        if key in owner:
            first = owner[key].path
            raise FhirError.of(
                400,
                "invalid",
                f"{entry.path} and {first} both change {entry.resource_type}/{id}",
                f"{entry.path} và {first} cùng thay đổi {entry.resource_type}/{id}",
                entry.path,
            )
        owner[key] = entry
        if entry.full_url:
            local[entry.full_url] = f"{entry.resource_type}/{id}"
    return local


@contextmanager
def _naming(entry: Entry) -> Iterator[None]:
    """Errors raised while processing `entry` name it."""
    try:
        yield
    except VersionConflict as exc:
        raise entry_error(version_conflict(exc), entry.path, entry.resource_type) from None
    except FhirError as error:
        raise entry_error(error, entry.path, entry.resource_type) from None


def _no_transactions() -> FhirError:
    """The store cannot commit several writes atomically (MongoDB without a replica set): a transaction is
    refused as a whole rather than applied entry by entry, which a crash could leave half done. 422: the
    Bundle is well-formed, this deployment cannot process it; a batch still can."""
    return FhirError.of(
        422,
        "not-supported",
        "This server's database cannot run transactions (MongoDB without a replica set); send the entries"
        " as a batch Bundle, or deploy a replica set",
        "Cơ sở dữ liệu của máy chủ này không hỗ trợ giao dịch (MongoDB không có replica set); hãy gửi các"
        " mục dưới dạng Bundle batch, hoặc triển khai replica set",
        "Bundle.type",
    )


def _combined(errors: list[FhirError]) -> FhirError:
    return FhirError(errors[0].status, [issue for error in errors for issue in error.issues])
