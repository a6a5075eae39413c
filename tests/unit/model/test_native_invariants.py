"""The native identifier invariants give the same verdicts as the profiles' FHIRPath (fhirpathpy)."""

from __future__ import annotations

import copy
import itertools
from typing import Any

from bench.population.generator import generate
from fhir_server.definitions.loader import load_artifacts
from fhir_server.model.profile_checker import ProfileChecker

ARTIFACTS = load_artifacts()
NATIVE = ProfileChecker(ARTIFACTS)
FHIRPATH = ProfileChecker(ARTIFACTS, native=False)
CCCD = "https://fhir.vn/sid/cccd"
BHYT = "https://fhir.vn/sid/bhyt"


def verdicts(checker: ProfileChecker, resource: dict[str, Any]) -> list[tuple[str, tuple[str, ...]]]:
    profile = checker.for_type(resource["resourceType"])
    assert profile is not None
    return sorted((i.en, i.expression) for i in checker.check(resource, profile))


def crafted() -> list[dict[str, Any]]:
    out = []
    values = [
        "001204012345",
        "001304012345",
        "002004012345",
        "003204012345",
        "0012040123",
        "079199001234",
        "096525000001",
        "ABCDEFGHIJKL",
        None,
    ]
    for rt, value, gender, birth in itertools.product(
        ("Patient", "RelatedPerson"), values, ("male", "female", "other", None), ("2004-05-01", "1999", None)
    ):
        identifier: dict[str, Any] = {"system": CCCD}
        if value is not None:
            identifier["value"] = value
        resource: dict[str, Any] = {"resourceType": rt, "identifier": [identifier]}
        if gender:
            resource["gender"] = gender
        if birth:
            resource["birthDate"] = birth
        out.append(resource)
    for bhyt in ("TE1790123456789", "0123456789", "TE6790123456789", "te1790123456789", "123"):
        out.append({"resourceType": "Patient", "identifier": [{"system": BHYT, "value": bhyt}]})
    two = copy.deepcopy(out[0])
    two["identifier"].append({"system": CCCD, "value": "001204099999"})
    out.append(two)
    out.append({"resourceType": "Patient", "gender": "male"})
    return out


def test_native_and_fhirpath_agree_on_crafted_cases() -> None:
    cases = crafted()
    failing = 0
    for resource in cases:
        native = verdicts(NATIVE, resource)
        assert native == verdicts(FHIRPATH, resource), resource
        failing += bool([e for e in native if "CCCD" in e[0] or "BHYT" in e[0]])
    assert failing > len(cases) // 3  # the cases do exercise failures


def test_native_and_fhirpath_agree_on_the_population() -> None:
    people = [r for r in generate(15) if r["resourceType"] in ("Patient", "RelatedPerson")]
    assert len(people) == 30
    for resource in people:
        assert verdicts(NATIVE, resource) == verdicts(FHIRPATH, resource) == []


def test_native_and_fhirpath_agree_on_immunizations() -> None:
    doses = [r for r in generate(5) if r["resourceType"] == "Immunization"]
    base = doses[0]
    variants = [*doses]
    for removed in (
        "location",
        "lotNumber",
        "expirationDate",
        "fundingSource",
        "performer",
        "protocolApplied",
    ):
        variants.append({k: v for k, v in base.items() if k != removed})
    only_cvx = {**base, "vaccineCode": {"coding": [base["vaccineCode"]["coding"][0]]}}
    variants += [only_cvx, {**only_cvx, "manufacturer": {"reference": "Organization/m"}}]
    variants += [{**v, "primarySource": False} for v in variants[-8:]]
    variants += [{**v, "status": "not-done"} for v in variants[-8:]]
    variants.append({**base, "performer": [{"actor": {"reference": "Practitioner/p"}}]})
    failing = 0
    for resource in variants:
        native = verdicts(NATIVE, resource)
        assert native == verdicts(FHIRPATH, resource), resource
        failing += bool(native)
    assert failing >= 8


def element_rule_cases() -> list[dict[str, Any]]:
    """Names, home addresses, phones, organisations' roll-up and addresses, locations' province."""
    out: list[dict[str, Any]] = []
    for name in (
        {"use": "official", "family": "Lê", "given": ["An"]},
        {"use": "official", "family": "Lê"},
        {"use": "official", "given": ["An"]},
        {"use": "usual", "text": "An"},
        {"text": "An"},
    ):
        out.append({"resourceType": "Patient", "name": [name, {"use": "nickname", "text": "Bé"}]})
    for address in (
        {"use": "home", "state": "Huế"},
        {"use": "home", "city": "x"},
        {"use": "work"},
        {"city": "x"},
    ):
        out.append({"resourceType": "Patient", "address": [{"use": "temp", "state": "x"}, address]})
    for telecom in (
        [{"system": "phone", "value": "+84912345678"}],
        [{"system": "phone", "value": "0912345678"}],
        [{"system": "phone", "value": "912345678"}],
        [{"system": "phone", "value": "+8491234567890"}],
        [{"system": "phone"}],
        [{"system": "email", "value": "a@b.vn"}],
        [{"system": "email", "value": "a@b.vn"}, {"system": "phone", "value": "0241234567"}],
        None,
    ):
        out.append({"resourceType": "RelatedPerson", **({"telecom": telecom} if telecom else {})})
    for extra in (
        {"type": [{"coding": [{"code": "govt"}]}]},
        {"type": [{"coding": [{"code": "prov"}]}, {"coding": [{"code": "govt"}]}]},
        {"type": [{"coding": [{"code": "prov"}]}]},
        {"partOf": {"reference": "Organization/x"}},
        {"address": [{"state": "Huế"}, {"city": "x"}]},
        {"address": [{"state": "Huế"}], "partOf": {"reference": "Organization/x"}},
        {},
    ):
        out.append({"resourceType": "Organization", **extra})
    for extra in ({"address": {"state": "Huế"}}, {"address": {"city": "x"}}, {}):
        out.append({"resourceType": "Location", **extra})
    return out


def test_native_and_fhirpath_agree_on_the_element_rules() -> None:
    failing = 0
    cases = element_rule_cases()
    for resource in cases:
        native = verdicts(NATIVE, resource)
        assert native == verdicts(FHIRPATH, resource), resource
        failing += any(
            key in e[0]
            for e in native
            for key in ("vn-pat-name", "vn-pat-addr", "vn-rp-phone", "vn-org", "vn-loc")
        )
    assert failing >= len(cases) // 2
    organizations = [r for r in generate(5) if r["resourceType"] in ("Organization", "Location")]
    assert len(organizations) > 20
    for resource in organizations:
        assert verdicts(NATIVE, resource) == verdicts(FHIRPATH, resource) == []


def test_every_invariant_of_the_national_profiles_has_a_native_twin() -> None:
    """The fast path covers them all; a new invariant without one is still checked (by fhirpathpy)."""
    keys = {(p.url, i.key) for p in ARTIFACTS.profiles.values() for i in p.invariants}
    assert keys and keys == NATIVE.native_keys and not FHIRPATH.native_keys
