"""The access policy on its own: which rule a principal gets, and how scope narrowing becomes criteria."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from auth.scopes import Interaction, ScopeSet
from auth.verify import Principal
from fhir_server.definitions.registry import Definitions
from fhir_server.model.outcome import FhirError
from fhir_server.services.access import OPEN_ACCESS, RECORDED_BY, AccessPolicy, recorded_by
from fhir_server.services.compartments import Compartments
from fhir_server.storage.memory import MemoryStore


class Clock:
    def now(self) -> datetime:
        return datetime(2026, 11, 27, tzinfo=UTC)


@pytest.fixture
def policy(definitions: Definitions) -> AccessPolicy:
    registry = definitions.search_params
    return AccessPolicy(
        Compartments(definitions.compartments, registry),
        registry,
        ZoneInfo("Asia/Ho_Chi_Minh"),
        MemoryStore(Clock()),
    )


def principal(scope: str, **claims: str) -> Principal:
    return Principal(
        subject="s",
        client_id="c",
        scopes=ScopeSet.parse(scope),
        issuer="i",
        token_id=None,
        expires_at=0,
        **claims,
    )


def test_open_access_allows_everything() -> None:
    assert OPEN_ACCESS.rule("AuditEvent", Interaction.DELETE).unrestricted
    assert not OPEN_ACCESS.enforced


def test_system_scope_is_unrestricted_and_refusals_are_403(policy: AccessPolicy) -> None:
    access = policy.for_principal(principal("system/Immunization.rs", role="system"))
    assert access.rule("Immunization", Interaction.READ).unrestricted
    with pytest.raises(FhirError) as refused:
        access.rule("Immunization", Interaction.CREATE)
    assert refused.value.status == 403
    assert "insufficient_scope" in refused.value.headers["WWW-Authenticate"]


def test_patient_scope_confines_to_the_compartment(policy: AccessPolicy) -> None:
    access = policy.for_principal(principal("patient/*.rs", role="parent", patient="p1"))
    immunization = access.rule("Immunization", Interaction.SEARCH)
    assert [c.param for c in immunization.criteria] == ["patient"]
    observation = access.rule("Observation", Interaction.SEARCH)  # subject OR performer
    assert len(observation.alternatives) == 1 and len(observation.alternatives[0]) >= 2
    assert access.rule("Organization", Interaction.READ).unrestricted  # a shared type
    with pytest.raises(FhirError):
        access.rule("Organization", Interaction.CREATE)
    with pytest.raises(FhirError):
        access.rule("AuditEvent", Interaction.READ)


def test_patient_scope_without_a_patient_is_refused(policy: AccessPolicy) -> None:
    with pytest.raises(FhirError):
        policy.for_principal(principal("patient/*.rs")).rule("Immunization", Interaction.READ)


def test_several_narrowed_scopes_become_an_and_of_ors(policy: AccessPolicy) -> None:
    scope = "user/Observation.rs?category=laboratory&status=final user/Observation.rs?category=vital-signs"
    rule = policy.for_principal(principal(scope, role="health_worker")).rule(
        "Observation", Interaction.SEARCH
    )
    # (lab AND final) OR vital == (lab OR vital) AND (final OR vital)
    assert not rule.criteria
    assert sorted(sorted(c.param for c in group) for group in rule.alternatives) == [
        ["category", "category"],
        ["category", "status"],
    ]


def test_unknown_narrowing_parameter_is_refused(policy: AccessPolicy) -> None:
    access = policy.for_principal(principal("user/Observation.rs?nonsense=1", role="health_worker"))
    with pytest.raises(FhirError):
        access.rule("Observation", Interaction.SEARCH)


def test_stamp_replaces_a_forged_recorder(policy: AccessPolicy) -> None:
    access = policy.for_principal(
        principal("user/*.cruds", role="health_worker", organization="Organization/a")
    )
    forged = {"resourceType": "Patient", "meta": {"tag": [{"system": RECORDED_BY, "code": "Organization/b"}]}}
    assert recorded_by(access.stamp(forged)) == "Organization/a"
    assert OPEN_ACCESS.stamp(forged) is forged


def test_audit_event_only_for_auditors(policy: AccessPolicy) -> None:
    auditor = policy.for_principal(principal("user/AuditEvent.rs", role="auditor"))
    assert auditor.rule("AuditEvent", Interaction.SEARCH).unrestricted
    admin = policy.for_principal(principal("user/*.cruds", role="admin"))
    with pytest.raises(FhirError):
        admin.rule("AuditEvent", Interaction.SEARCH)
