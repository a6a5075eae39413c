from __future__ import annotations

import pytest

from auth.scopes import Context, Grant, Interaction, ResourceScope, ScopeError, ScopeSet, parse_scope

C, R, U, D, S = (Interaction(x) for x in "cruds")
PATIENT, USER, SYSTEM = Context.PATIENT, Context.USER, Context.SYSTEM


def test_v2_resource_scope() -> None:
    scope = parse_scope("patient/Immunization.rs")
    assert scope == ResourceScope(PATIENT, "Immunization", frozenset({R, S}))
    assert str(scope) == "patient/Immunization.rs"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("patient/*.read", {R, S}),
        ("user/Immunization.write", {C, U, D}),
        ("system/*.*", {C, R, U, D, S}),
    ],
)
def test_v1_scopes_map_to_v2_interactions(text: str, expected: set[Interaction]) -> None:
    scope = parse_scope(text)
    assert isinstance(scope, ResourceScope)
    assert scope.interactions == frozenset(expected)
    assert scope.version == 1
    assert str(scope) == text


@pytest.mark.parametrize(
    "text",
    [
        "patient/Immunization.sr",  # out of order
        "patient/Immunization.rr",  # repeated
        "patient/Immunization.x",  # unknown letter
        "patient/Immunization.",  # empty permissions
        "patient/immunization.rs",  # not a resource type
        "doctor/Immunization.rs",  # unknown context is just an opaque scope, see below
        "patient/Observation.read?category=x",  # narrowing needs v2
        "patient/Observation.rs?",  # empty query
        "patient/Observation.rs?=x",  # nameless parameter
        "user/Immunization",  # no permissions at all
        'bad"quote',  # not an RFC 6749 scope token
    ],
)
def test_malformed_scopes_are_refused(text: str) -> None:
    if text.startswith("doctor/"):
        assert parse_scope(text) == text
        return
    with pytest.raises(ScopeError):
        parse_scope(text)


def test_non_resource_scopes_are_kept_as_strings() -> None:
    scopes = ScopeSet.parse("openid fhirUser launch/patient offline_access patient/Patient.r")
    assert scopes.other == {"openid", "fhirUser", "launch/patient", "offline_access"}
    assert scopes.has("launch/patient")
    assert not scopes.has("launch")
    assert scopes.contexts == {PATIENT}


def test_allows_by_context_type_and_interaction() -> None:
    scopes = ScopeSet.parse("patient/Immunization.rs user/*.r system/Immunization.c")
    assert scopes.allows(PATIENT, "Immunization", R)
    assert scopes.allows(PATIENT, "Immunization", S)
    assert not scopes.allows(PATIENT, "Immunization", C)
    assert not scopes.allows(PATIENT, "Patient", R)
    assert scopes.allows(USER, "Patient", R)
    assert not scopes.allows(USER, "Patient", S)
    assert scopes.allows(SYSTEM, "Immunization", C)
    assert not scopes.allows(SYSTEM, "Immunization", U)


def test_search_parameter_narrowing() -> None:
    scopes = ScopeSet.parse(
        "patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory"
        " patient/Observation.rs?category=vital-signs&status=final"
    )
    grant = scopes.grant(PATIENT, "Observation", S)
    assert grant is not None and not grant.unrestricted
    assert grant.filters == (
        (("category", "http://terminology.hl7.org/CodeSystem/observation-category|laboratory"),),
        (("category", "vital-signs"), ("status", "final")),
    )
    assert scopes.grant(PATIENT, "Observation", C) is None


def test_an_unnarrowed_scope_wins_over_narrowed_ones() -> None:
    scopes = ScopeSet.parse("patient/Observation.rs?category=laboratory patient/Observation.r")
    assert scopes.grant(PATIENT, "Observation", R) == Grant(PATIENT)
    narrowed = scopes.grant(PATIENT, "Observation", S)
    assert narrowed == Grant(PATIENT, ((("category", "laboratory"),),))


def test_grants_lists_every_context() -> None:
    scopes = ScopeSet.parse("patient/*.rs user/Immunization.cruds")
    assert scopes.grants("Immunization", R) == (Grant(PATIENT), Grant(USER))
    assert scopes.grants("Immunization", U) == (Grant(USER),)
    assert scopes.grants("Patient", D) == ()


def test_covers_allows_narrowing_never_widening() -> None:
    granted = ScopeSet.parse("patient/*.rs user/Immunization.cruds openid")
    assert granted.covers(ScopeSet.parse("patient/Immunization.r"))
    assert granted.covers(ScopeSet.parse("patient/Observation.rs?category=laboratory openid"))
    assert granted.covers(ScopeSet.parse("user/Immunization.c"))
    assert not granted.covers(ScopeSet.parse("patient/Immunization.c"))
    assert not granted.covers(ScopeSet.parse("user/Patient.r"))
    assert not granted.covers(ScopeSet.parse("system/Immunization.r"))
    assert not granted.covers(ScopeSet.parse("offline_access"))
    narrowed = ScopeSet.parse("patient/Observation.rs?category=laboratory")
    assert not narrowed.covers(ScopeSet.parse("patient/Observation.rs"))


def test_within_keeps_what_the_client_may_have() -> None:
    requested = ScopeSet.parse("system/Immunization.cruds system/Patient.rs system/Immunization.c openid")
    allowed = ScopeSet.parse("system/Immunization.cruds system/Patient.r")
    assert str(requested.within(allowed)) == "system/Immunization.cruds system/Immunization.c"


def test_only_keeps_contexts() -> None:
    scopes = ScopeSet.parse("patient/*.rs user/*.cruds launch/patient")
    assert str(scopes.only(frozenset({PATIENT}))) == "patient/*.rs launch/patient"


def test_parse_is_forgiving_of_spacing_and_duplicates() -> None:
    scopes = ScopeSet.parse("  patient/Patient.r   patient/Patient.r ")
    assert len(scopes.resource_scopes) == 1
    assert not ScopeSet.parse(None)
    assert not ScopeSet.parse("")
