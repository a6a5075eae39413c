"""Access policy (DESIGN.md §4, §8): what a caller may do, in one place, for every service entry point.

`AccessPolicy` is built once (app.py); `policy.for_principal(principal)` gives the per-request `Access`
that services receive as an explicit argument. An operation module calls the same three methods:

    rule = access.rule("Immunization", Interaction.SEARCH)   # 403 when no scope allows it
    request = access.narrow(request)                         # a SearchRequest confined to what it may see
    access.check_read(stored)                                # 404 when the resource is outside it

The rule for (type, interaction), computed in services/access_rules.py, is taken from the broadest
context that grants it (system, user, then patient): `patient/` confines to the launch patient's
compartment (CompartmentDefinition Patient; types outside that compartment are readable only when they
hold no personal data, SHARED_TYPES); a manager's `user/` reads are confined to patients whose address is
in their `area`; a scope's search-parameter narrowing (`patient/Observation.rs?category=laboratory`) adds
its criteria (several narrowed scopes are an OR of ANDs, turned into `SearchRequest.alternatives` groups).
AuditEvent is read by auditors only and written by nobody but the server. Writers change only what their
recorder identity (organisation, else fhirUser, else client) recorded: `meta.tag` with RECORDED_BY,
stamped on every write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Final

from auth.scopes import Context, Interaction
from auth.verify import Principal
from fhir_server.definitions.registry import SearchParamRegistry
from fhir_server.model.json import loads
from fhir_server.model.outcome import FhirError
from fhir_server.search.index import IndexValues
from fhir_server.search.matcher import matches
from fhir_server.search.parse import parse_search
from fhir_server.search.request import Criterion, SearchRequest, TokenQuery
from fhir_server.services.access_rules import UNRESTRICTED, Rule, forbidden, rule_for
from fhir_server.services.compartments import Compartments
from fhir_server.services.disclosure import Disclosure
from fhir_server.storage.base import Store, StoredResource, UnitOfWork
from fhir_server.types import JsonResource

RECORDED_BY: Final = "https://fhir.vn/tiem-chung/CodeSystem/recorded-by"
# Kept by the family and the vaccination point together: whoever may see one and holds the write scope
# may change it (a parent cancels what the station booked, the station reschedules what a parent booked);
# the recorder-only rule below is for clinical records.
JOINTLY_KEPT: Final = frozenset({"Appointment"})
_PATIENT: Final = "Patient"


def hidden(resource_type: str, id: str) -> FhirError:
    """404 for a resource the caller may not see: its existence is not revealed."""
    return FhirError.of(
        404, "not-found", f"{resource_type}/{id} is not known", f"Không tìm thấy {resource_type}/{id}"
    )


class AccessPolicy:
    def __init__(
        self, compartments: Compartments, registry: SearchParamRegistry, default_tz: tzinfo, store: Store
    ) -> None:
        self._compartments = compartments
        self._registry = registry
        self._tz = default_tz
        self._store = store

    def for_principal(self, principal: Principal | None, disclosure: Disclosure | None = None) -> Access:
        """None: authentication is off (development) — the Access then allows everything. `disclosure`
        (audit on) collects what the request touches, for its AuditEvent."""
        return Access(self, principal, disclosure=disclosure)

    def in_patient_compartment(self, resource_type: str) -> bool:
        return bool(self._compartments_params(resource_type))

    def _compartments_params(self, resource_type: str) -> tuple[str, ...]:
        return self._compartments.params(_PATIENT, resource_type)

    def compartment(self, resource_type: str, patient: str) -> tuple[Criterion, ...]:
        """The alternatives putting a resource in the patient's compartment. The official definition
        lists Patient by `link` only; the patient resource itself is in its own compartment too."""
        members = self._compartments.membership(_PATIENT, patient, resource_type)
        if resource_type == _PATIENT:
            return (Criterion("_id", "token", None, (TokenQuery(None, patient),)), *members)
        return members

    def criteria(self, resource_type: str, params: Sequence[tuple[str, str]]) -> tuple[Criterion, ...]:
        parsed = parse_search(resource_type, params, self._registry, strict=True, default_tz=self._tz)
        return parsed.request.criteria

    @property
    def store(self) -> Store:
        return self._store


@dataclass(frozen=True)
class Access:
    """What one caller may do. `principal` None: authentication is off, everything is allowed."""

    policy: AccessPolicy | None
    principal: Principal | None
    _rules: dict[tuple[str, Interaction], Rule] = field(default_factory=dict, compare=False, repr=False)
    disclosure: Disclosure | None = field(default=None, compare=False, repr=False)

    @property
    def enforced(self) -> bool:
        return self.principal is not None

    # -- what the request touched, for its AuditEvent (no-ops when the audit trail is off) ---------

    def disclose(self, resources: Sequence[StoredResource]) -> None:
        if self.disclosure is not None:
            self.disclosure.note(resources)

    def disclose_resource(self, resource: JsonResource) -> None:
        if self.disclosure is not None:
            self.disclosure.note_resource(resource)

    def note_form(self, form: str) -> None:
        """A POST _search body: audited as part of the query, like a GET's query string."""
        if self.disclosure is not None:
            self.disclosure.form = form

    # -- the three calls every entry point makes ------------------------------------------------------

    def rule(self, resource_type: str, interaction: Interaction) -> Rule:
        """The confinement of `interaction` on `resource_type`; 403 when nothing allows it."""
        if self.principal is None or self.policy is None:
            return UNRESTRICTED
        key = (resource_type, interaction)
        found = self._rules.get(key)
        if found is None:
            found = self._rules[key] = rule_for(self.principal, self.policy, resource_type, interaction)
        return found

    def narrow(self, request: SearchRequest, interaction: Interaction = Interaction.SEARCH) -> SearchRequest:
        return self.rule(request.resource_type, interaction).apply(request)

    def check_read(self, stored: StoredResource, interaction: Interaction = Interaction.READ) -> None:
        """403 when the type is refused; 404 when this resource is outside what the caller may see."""
        rule = self.rule(stored.resource_type, interaction)
        if not rule.unrestricted and not self._visible_ids(stored.resource_type, [stored.id], rule):
            raise hidden(stored.resource_type, stored.id)

    def check_population(self) -> None:
        """Reports over many children (coverage, defaulters, AEFI lists): `user/` or `system/` scopes that
        reach Patient; `patient/` scopes never do. A manager's area narrows them (api/reports.py)."""
        if self.principal is None:
            return
        contexts = {g.context for g in self.principal.scopes.grants("Patient", Interaction.SEARCH)}
        if not contexts & {Context.USER, Context.SYSTEM}:
            raise forbidden(
                "Population reports need user/ or system/ scopes that reach Patient",
                "Báo cáo theo quần thể cần phạm vi user/ hoặc system/ đối với Patient",
                "user/Patient.rs",
            )

    # -- many resources at once (includes, history) --------------------------------------------------

    def visible(self, resources: Sequence[StoredResource]) -> list[StoredResource]:
        """The resources the caller may read (one query per restricted type); the others are dropped."""
        if self.principal is None:
            return list(resources)
        allowed: dict[str, set[str] | None] = {}  # None: the whole type
        for resource_type in {r.resource_type for r in resources}:
            try:
                rule = self.rule(resource_type, Interaction.READ)
            except FhirError:
                allowed[resource_type] = set()
                continue
            ids = [r.id for r in resources if r.resource_type == resource_type]
            allowed[resource_type] = (
                None if rule.unrestricted else self._visible_ids(resource_type, ids, rule)
            )
        kept = []
        for resource in resources:
            visible_ids = allowed[resource.resource_type]
            if visible_ids is None or resource.id in visible_ids:
                kept.append(resource)
        return kept

    def _visible_ids(
        self, resource_type: str, ids: Sequence[str], rule: Rule, uow: UnitOfWork | None = None
    ) -> set[str]:
        assert self.policy is not None
        unique = sorted(set(ids))
        by_id = Criterion("_id", "token", None, tuple(TokenQuery(None, i) for i in unique))
        request = rule.apply(SearchRequest(resource_type, (by_id,), (), len(unique), 0))
        if uow is not None:
            return set(uow.search_ids(request, limit=len(unique)))
        page = self.policy.store.search(request, with_total=False)
        return {r.id for r in page.resources}

    # -- writes ----------------------------------------------------------------------------------------

    def check_new(self, resource: JsonResource, index: IndexValues, interaction: Interaction) -> None:
        """A resource about to be written (created, or a new version) must be inside the rule."""
        rule = self.rule(resource["resourceType"], interaction)
        if rule.unrestricted:
            return
        if rule.chained:
            raise forbidden(
                "This token may not write resources of this type",
                "Mã truy cập này không được ghi loại tài nguyên này",
            )
        request = rule.apply(SearchRequest(resource["resourceType"]))
        if not matches(request, str(resource.get("id", "")), 0, index):
            raise forbidden(
                "The resource is outside what this token may write (patient compartment or scope filter)",
                "Tài nguyên nằm ngoài phạm vi mã truy cập được phép ghi (ngăn bệnh nhân hoặc bộ lọc phạm vi)",
            )

    def check_change(self, uow: UnitOfWork, current: StoredResource, interaction: Interaction) -> None:
        """Update, patch or delete of `current`: it must be visible (else 404) and recorded by the same
        recorder identity as the caller's (else 403); admins may change anything they can see."""
        if self.principal is None:
            return
        rule = self.rule(current.resource_type, interaction)
        visible = current.deleted or rule.unrestricted
        if not visible and not self._visible_ids(current.resource_type, [current.id], rule, uow):
            raise hidden(current.resource_type, current.id)
        if current.deleted or self.principal.role == "admin" or current.resource_type in JOINTLY_KEPT:
            return
        if recorded_by(loads(current.body)) != self.recorder:
            raise forbidden(
                f"{current.resource_type}/{current.id} was recorded by another organisation; only its "
                "recorder may change it",
                f"{current.resource_type}/{current.id} do đơn vị khác ghi nhận; "
                "chỉ đơn vị đó được sửa hoặc xoá",
            )

    @property
    def recorder(self) -> str | None:
        """Who a write is recorded for: the organisation, else the user (fhirUser), else the client."""
        p = self.principal
        if p is None:
            return None
        return p.organization or p.fhir_user or f"Client/{p.client_id}"

    def stamp(self, resource: JsonResource) -> JsonResource:
        """The resource with its RECORDED_BY tag set to the caller (a client's own tag of that system is
        replaced: nobody records in another's name). Unchanged when authentication is off."""
        recorder = self.recorder
        if recorder is None:
            return resource
        meta = dict(resource.get("meta") or {})
        tags = [t for t in meta.get("tag", []) if t.get("system") != RECORDED_BY]
        tags.append({"system": RECORDED_BY, "code": recorder})
        meta["tag"] = tags
        return {**resource, "meta": meta}


def recorded_by(resource: JsonResource) -> str | None:
    for tag in (resource.get("meta") or {}).get("tag", []):
        if isinstance(tag, dict) and tag.get("system") == RECORDED_BY:
            code = tag.get("code")
            return code if isinstance(code, str) else None
    return None


OPEN_ACCESS: Final = Access(None, None)
"""Authentication off (development) or the server's own work (seed-demo, import): everything allowed."""
