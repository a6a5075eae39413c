"""Access policy (DESIGN.md §4, §8): what a caller may do, in one place, for every service entry point.

`AccessPolicy` is built once (app.py); `policy.for_principal(principal)` gives the per-request `Access`
that services receive as an explicit argument. An operation module calls the same three methods:

    rule = access.rule("Immunization", Interaction.SEARCH)   # 403 when no scope allows it
    request = access.narrow(request)                         # a SearchRequest confined to what it may see
    access.check_read(stored)                                # 404 when the resource is outside it

The rule for (type, interaction) is taken from the broadest context that grants it (system, user,
then patient): `patient/` confines to the launch patient's compartment (CompartmentDefinition Patient;
types outside that compartment are readable only when they hold no personal data, SHARED_TYPES); a
manager's `user/` reads are confined to patients whose address is in their `area`; a scope's
search-parameter narrowing (`patient/Observation.rs?category=laboratory`) adds its criteria (several
narrowed scopes are an OR of ANDs, turned into `SearchRequest.alternatives` groups). AuditEvent is read by
auditors only and written by nobody but the server. Writers change only what their recorder identity
(organisation, else fhirUser, else client) recorded: `meta.tag` with RECORDED_BY, stamped on every write.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import tzinfo
from typing import Final

from auth.scopes import Context, Interaction
from auth.verify import Principal, www_authenticate
from fhir_server.definitions.registry import SearchParamRegistry
from fhir_server.model.json import loads
from fhir_server.model.outcome import FhirError
from fhir_server.search.index import IndexValues
from fhir_server.search.matcher import matches
from fhir_server.search.parse import parse_search
from fhir_server.search.request import Criterion, SearchRequest, TokenQuery
from fhir_server.services.compartments import Compartments
from fhir_server.services.disclosure import Disclosure
from fhir_server.storage.base import Store, StoredResource, UnitOfWork
from fhir_server.types import JsonResource

RECORDED_BY: Final = "https://fhir.vn/tiem-chung/CodeSystem/recorded-by"
AUDIT_TYPE: Final = "AuditEvent"
# Types outside the Patient compartment that carry no one's health data: a patient/ token may read them
# (an app shows who vaccinated, where, with what). Other non-compartment types are refused.
SHARED_TYPES: Final = frozenset(
    {
        "Organization",
        "Location",
        "Practitioner",
        "PractitionerRole",
        "HealthcareService",
        "Medication",
        "Substance",
        "ValueSet",
        "CodeSystem",
        "StructureDefinition",
        "SearchParameter",
        "OperationDefinition",
        "Schedule",  # a vaccination point's sessions and their free places: what a parent books from
        "Slot",
    }
)
# Kept by the family and the vaccination point together: whoever may see one and holds the write scope
# may change it (a parent cancels what the station booked, the station reschedules what a parent booked);
# the recorder-only rule below is for clinical records.
JOINTLY_KEPT: Final = frozenset({"Appointment"})
_MAX_GROUPS: Final = 64  # an OR of ANDs expands multiplicatively; scopes this odd are refused
_PATIENT: Final = "Patient"
_READS = frozenset({Interaction.READ, Interaction.SEARCH})


@dataclass(frozen=True, slots=True)
class Rule:
    """Criteria (ANDed) and groups of alternatives (each ORed, the groups ANDed) every resource the
    interaction touches must satisfy; empty: unrestricted."""

    criteria: tuple[Criterion, ...] = ()
    alternatives: tuple[tuple[Criterion, ...], ...] = ()
    chained: bool = False  # holds chains: cannot be matched in memory against a resource being written

    @property
    def unrestricted(self) -> bool:
        return not self.criteria and not self.alternatives

    def apply(self, request: SearchRequest) -> SearchRequest:
        if self.unrestricted:
            return request
        return replace(
            request,
            criteria=(*request.criteria, *self.criteria),
            alternatives=(*request.alternatives, *self.alternatives),
        )


UNRESTRICTED: Final = Rule()


def forbidden(en: str, vi: str, scope: str | None = None) -> FhirError:
    """403: the token is valid but does not allow this (RFC 6750 insufficient_scope)."""
    error = FhirError.of(403, "forbidden", en, vi)
    error.headers["WWW-Authenticate"] = www_authenticate("fhir", "insufficient_scope", scope=scope)
    return error


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
            found = self._rules[key] = self._rule(self.principal, self.policy, resource_type, interaction)
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

    # -- the policy --------------------------------------------------------------------------------

    def _rule(
        self, principal: Principal, policy: AccessPolicy, resource_type: str, interaction: Interaction
    ) -> Rule:
        scope_hint = f"user/{resource_type}.{interaction.value}"
        if resource_type == AUDIT_TYPE and (principal.role != "auditor" or interaction not in _READS):
            raise forbidden(
                "AuditEvents are read by auditors only and written by the server only",
                "Chỉ kiểm toán viên được đọc AuditEvent; chỉ máy chủ được ghi",
            )
        grants = {g.context: g for g in principal.scopes.grants(resource_type, interaction)}
        if not grants:
            raise forbidden(
                f"The token's scopes do not allow '{interaction.value}' on {resource_type}",
                f"Phạm vi của mã truy cập không cho phép '{interaction.value}' trên {resource_type}",
                scope_hint,
            )
        for context in (Context.SYSTEM, Context.USER):
            grant = grants.get(context)
            if grant is not None:
                area = principal.area if principal.role == "manager" else None
                return self._combine(policy, resource_type, grant.filters, area=area)
        grant = grants[Context.PATIENT]
        if not principal.patient:
            raise forbidden(
                "patient/ scopes need a launch patient, and this token names none",
                "Phạm vi patient/ cần bệnh nhân được chọn, nhưng mã truy cập không có",
            )
        if policy.in_patient_compartment(resource_type):
            compartment = policy.compartment(resource_type, principal.patient)
            return self._combine(policy, resource_type, grant.filters, compartment=compartment)
        if resource_type in SHARED_TYPES and interaction in _READS:
            return self._combine(policy, resource_type, grant.filters)
        raise forbidden(
            f"{resource_type} is outside the patient's record: patient/ scopes do not reach it",
            f"{resource_type} nằm ngoài hồ sơ của bệnh nhân: phạm vi patient/ không áp dụng",
            scope_hint,
        )

    @staticmethod
    def _combine(
        policy: AccessPolicy,
        resource_type: str,
        filters: tuple[tuple[tuple[str, str], ...], ...],
        *,
        compartment: tuple[Criterion, ...] = (),
        area: str | None = None,
    ) -> Rule:
        criteria: list[Criterion] = []
        groups: list[tuple[Criterion, ...]] = []
        chained = False
        if len(compartment) == 1:
            criteria.append(compartment[0])
        elif compartment:
            groups.append(compartment)
        if area is not None:
            groups.append(_area(policy, resource_type, area))
            chained = True
        try:
            parsed = [policy.criteria(resource_type, f) for f in filters]
        except FhirError as error:  # a scope narrowing on a parameter we do not know: refuse, never widen
            raise forbidden(
                "The token's scope narrowing names a search parameter this server does not support",
                "Bộ lọc trong phạm vi của mã truy cập dùng tham số tìm kiếm máy chủ không hỗ trợ",
            ) from error
        if len(parsed) == 1:
            criteria.extend(parsed[0])
        elif parsed:  # (a AND b) OR (c AND d) == (a OR c) AND (a OR d) AND (b OR c) AND (b OR d)
            product = list(itertools.islice(itertools.product(*parsed), _MAX_GROUPS + 1))
            if len(product) > _MAX_GROUPS:
                raise forbidden("The token's scope narrowing is too complex", "Bộ lọc phạm vi quá phức tạp")
            groups.extend(tuple(dict.fromkeys(choice)) for choice in product)
        return Rule(tuple(criteria), tuple(groups), chained)


def _area(policy: AccessPolicy, resource_type: str, area: str) -> tuple[Criterion, ...]:
    """A manager's area: the patient's home address names it as province (`address-state`) or commune
    (`address-city`), exactly. Other compartment types reach the patient through a chain."""
    if resource_type == _PATIENT:
        params = [("address-state:exact", area), ("address-city:exact", area)]
    else:
        links = [p for p in policy._compartments_params(resource_type) if p != "{def}"]
        if not links:
            raise forbidden(
                f"{resource_type} is not tied to a patient: a manager's area does not reach it",
                f"{resource_type} không gắn với bệnh nhân: khu vực của người quản lý không áp dụng",
            )
        params = [
            (f"{link}:Patient.{part}", area) for link in links for part in ("address-state", "address-city")
        ]
    return tuple(c for pair in params for c in policy.criteria(resource_type, [pair]))


def recorded_by(resource: JsonResource) -> str | None:
    for tag in (resource.get("meta") or {}).get("tag", []):
        if isinstance(tag, dict) and tag.get("system") == RECORDED_BY:
            code = tag.get("code")
            return code if isinstance(code, str) else None
    return None


OPEN_ACCESS: Final = Access(None, None)
"""Authentication off (development) or the server's own work (seed-demo, import): everything allowed."""
