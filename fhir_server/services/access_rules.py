"""The rule of one (resource type, interaction) for a token (services/access.py applies it): which
context grants it (system, user, then patient), the patient compartment or the manager's area it is
confined to, and the scope's search-parameter narrowing, as criteria and groups of alternatives.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Final

from auth.scopes import Context, Interaction
from auth.verify import Principal, www_authenticate
from fhir_server.model.outcome import FhirError
from fhir_server.search.request import Criterion, SearchRequest

if TYPE_CHECKING:
    from fhir_server.services.access import AccessPolicy

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

_MAX_GROUPS: Final = 64  # an OR of ANDs expands multiplicatively; scopes this odd are refused
_READS = frozenset({Interaction.READ, Interaction.SEARCH})
_PATIENT: Final = "Patient"


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


def rule_for(
    principal: Principal, policy: AccessPolicy, resource_type: str, interaction: Interaction
) -> Rule:
    """The rule of (type, interaction) for `principal`, from the broadest context that grants it."""
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
            return _combine(policy, resource_type, grant.filters, area=area)
    grant = grants[Context.PATIENT]
    if not principal.patient:
        raise forbidden(
            "patient/ scopes need a launch patient, and this token names none",
            "Phạm vi patient/ cần bệnh nhân được chọn, nhưng mã truy cập không có",
        )
    if policy.in_patient_compartment(resource_type):
        compartment = policy.compartment(resource_type, principal.patient)
        return _combine(policy, resource_type, grant.filters, compartment=compartment)
    if resource_type in SHARED_TYPES and interaction in _READS:
        return _combine(policy, resource_type, grant.filters)
    raise forbidden(
        f"{resource_type} is outside the patient's record: patient/ scopes do not reach it",
        f"{resource_type} nằm ngoài hồ sơ của bệnh nhân: phạm vi patient/ không áp dụng",
        scope_hint,
    )


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
