"""Layer 5: the national profiles — cardinality, fixed values, bindings, reference targets, invariants
(CCCD structure, new-record rules), coded address extensions."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bench.population.generator import generate
from fhir_server.definitions.loader import load_artifacts
from fhir_server.model.outcome import Issue
from fhir_server.model.profile_checker import ProfileChecker

CCCD = "https://fhir.vn/sid/cccd"
BHYT = "https://fhir.vn/sid/bhyt"
CHECKER = ProfileChecker(load_artifacts())


def check(resource: dict[str, Any]) -> list[Issue]:
    profile = CHECKER.for_type(resource["resourceType"])
    assert profile is not None
    return CHECKER.check(resource, profile)


def keys(issues: list[Issue]) -> set[str]:
    return {i.en.rsplit("(", 1)[-1].rstrip(")") if i.code == "invariant" else i.expression[0] for i in issues}


def patient(cccd: str = "001204012345", **changes: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [{"system": CCCD, "value": cccd}],
        "name": [{"use": "official", "family": "Nguyễn", "given": ["Văn", "An"]}],
        "gender": "male",
        "birthDate": "2004-05-01",
    }
    resource.update(changes)
    return {k: v for k, v in resource.items() if v is not None}


def test_the_synthetic_population_meets_every_profile() -> None:
    checked = 0
    for resource in generate(40):
        if CHECKER.for_type(resource["resourceType"]) is not None:
            assert check(resource) == [], resource["id"]
            checked += 1
    assert checked > 500


def test_a_consistent_cccd_passes_and_a_pre_2025_province_code_is_kept() -> None:
    assert check(patient()) == []
    assert check(patient("002204012345")) == []  # 002 = Hà Giang, merged into Tuyên Quang in 2025
    female_1990 = patient("079190000001", gender="female", birthDate="1990-12-31")
    assert check(female_1990) == []


@pytest.mark.parametrize(
    ("cccd", "changes", "failing"),
    [
        ("00120401234", {}, {"vn-pat-cccd-1"}),  # 11 digits
        ("003204012345", {}, {"vn-pat-cccd-3"}),  # 003 is no province code
        ("001304012345", {}, {"vn-pat-cccd-4"}),  # 3 = female, gender male
        ("001004012345", {}, {"vn-pat-cccd-4"}),  # 0 = born 1900-1999, birthDate 2004
        ("001205012345", {}, {"vn-pat-cccd-5"}),  # year digits 05, born 2004
        ("001204012345", {"gender": "female"}, {"vn-pat-cccd-4"}),
    ],
)
def test_cccd_structure(cccd: str, changes: dict[str, Any], failing: set[str]) -> None:
    issues = check(patient(cccd, **changes))
    assert keys(issues) == failing
    assert all(i.expression == ("Patient.identifier",) and i.vi for i in issues)


def test_gender_other_checks_only_the_century() -> None:
    assert check(patient("001304012345", gender="other")) == []
    assert keys(check(patient("001104012345", gender="unknown"))) == {"vn-pat-cccd-4"}


def test_two_cccd_numbers_are_refused() -> None:
    resource = patient()
    resource["identifier"].append({"system": CCCD, "value": "001204099999"})
    assert keys(check(resource)) == {"vn-pat-cccd-2"}


@pytest.mark.parametrize(
    ("value", "ok"),
    [("TE1790123456789", True), ("0123456789", True), ("TE6790123456789", False), ("te1790123456789", False)],
)
def test_bhyt_format(value: str, ok: bool) -> None:
    resource = patient()
    resource["identifier"].append({"system": BHYT, "value": value})
    assert (check(resource) == []) is ok


def test_patient_cardinality_names_the_elements() -> None:
    issues = check({"resourceType": "Patient", "name": [{"text": "An"}]})
    assert {i.expression[0] for i in issues} == {"Patient.identifier", "Patient.gender", "Patient.birthDate"}
    assert all(i.code == "required" for i in issues)


def test_the_coded_province_extension_is_bound() -> None:
    ext = "https://fhir.vn/StructureDefinition/vn-province"
    good = patient(
        address=[
            {
                "use": "home",
                "state": "Hà Nội",
                "extension": [
                    {
                        "url": ext,
                        "valueCoding": {"system": "https://fhir.vn/CodeSystem/vn-province", "code": "01"},
                    }
                ],
            }
        ]
    )
    assert check(good) == []
    bad = copy.deepcopy(good)
    bad["address"][0]["extension"][0]["valueCoding"]["code"] = "02"  # Hà Giang no longer exists
    issues = check(bad)
    assert [i.expression[0] for i in issues] == ["Patient.address[0].extension[0].valueCoding"]
    assert issues[0].code == "code-invalid"


def coded_address(province: str, commune: str) -> dict[str, Any]:
    return {
        "use": "home",
        "city": "Phường Sài Gòn",
        "state": "Thành phố Hồ Chí Minh",
        "extension": [
            {
                "url": "https://fhir.vn/StructureDefinition/vn-province",
                "valueCoding": {"system": "https://fhir.vn/CodeSystem/vn-province", "code": province},
            },
            {
                "url": "https://fhir.vn/StructureDefinition/vn-commune",
                "valueCoding": {"system": "https://fhir.vn/CodeSystem/vn-commune", "code": commune},
            },
        ],
    }


def test_a_coded_commune_is_an_official_one_and_lies_in_the_coded_province() -> None:
    assert check(patient(address=[coded_address("79", "26740")])) == []  # Phường Sài Gòn, Hồ Chí Minh City
    unknown = check(patient(address=[coded_address("79", "99999")]))
    assert [(i.code, i.expression[0]) for i in unknown] == [
        ("code-invalid", "Patient.address[0].extension[1].valueCoding")
    ]
    elsewhere = check(patient(address=[{"use": "work"}, coded_address("01", "26740")]))  # not in Hà Nội
    assert [(i.code, i.expression[0]) for i in elsewhere] == [
        ("value", "Patient.address[1].extension[1].valueCoding")
    ]
    assert "province 79" in elsewhere[0].en and "01" in elsewhere[0].en
    only_commune = patient(
        address=[{**coded_address("79", "00004"), "extension": coded_address("", "00004")["extension"][1:]}]
    )
    assert check(only_commune) == []  # no province coded: nothing to compare


def immunization(**changes: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Immunization",
        "status": "completed",
        "vaccineCode": {"coding": [{"system": "https://fhir.vn/CodeSystem/vn-vaccine", "code": "VN-BCG"}]},
        "patient": {"reference": "Patient/p1"},
        "occurrenceDateTime": "2026-03-02T08:30:00+07:00",
        "primarySource": True,
        "location": {"reference": "Location/l1"},
        "lotNumber": "BCG-2603A",
        "expirationDate": "2028-01-01",
        "fundingSource": {
            "coding": [{"system": "https://fhir.vn/CodeSystem/vn-funding-source", "code": "EPI"}]
        },
        "performer": [{"actor": {"reference": "Organization/o1"}}],
        "protocolApplied": [{"doseNumberPositiveInt": 1}],
    }
    resource.update(changes)
    return {k: v for k, v in resource.items() if v is not None}


def test_a_complete_new_dose_passes() -> None:
    assert check(immunization()) == []


def test_a_new_dose_without_its_details_names_each_missing_element() -> None:
    bare = immunization(
        location=None,
        lotNumber=None,
        expirationDate=None,
        fundingSource=None,
        performer=None,
        protocolApplied=None,
        vaccineCode={"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "19"}]},
    )
    issues = check(bare)
    assert {i.expression[0] for i in issues} == {
        "Immunization.location",
        "Immunization.lotNumber",
        "Immunization.expirationDate",
        "Immunization.fundingSource",
        "Immunization.performer",
        "Immunization.manufacturer",
        "Immunization.protocolApplied",
    }


def test_a_historical_record_needs_no_lot_or_place() -> None:
    historical = immunization(
        primarySource=False,
        location=None,
        lotNumber=None,
        expirationDate=None,
        fundingSource=None,
        performer=None,
    )
    assert check(historical) == []


def test_vaccine_and_funding_codes_come_from_the_national_value_sets() -> None:
    issues = check(
        immunization(
            vaccineCode={"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "999"}]},
            fundingSource={
                "coding": [{"system": "https://fhir.vn/CodeSystem/vn-funding-source", "code": "free"}]
            },
        )
    )
    assert {i.expression[0] for i in issues} >= {"Immunization.vaccineCode", "Immunization.fundingSource"}
    assert all(i.code in ("code-invalid", "invariant") for i in issues)


def test_reference_targets_and_max_cardinality() -> None:
    issues = check(
        immunization(
            location={"reference": "Organization/o1"},
            protocolApplied=[{"doseNumberPositiveInt": 1}, {"doseNumberPositiveInt": 2}],
        )
    )
    assert {i.expression[0] for i in issues} == {
        "Immunization.location.reference",
        "Immunization.protocolApplied",
    }


def aefi(**changes: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "AdverseEvent",
        "actuality": "actual",
        "subject": {"reference": "Patient/p1"},
        "event": {"coding": [{"system": "https://fhir.vn/CodeSystem/vn-aefi-reaction", "code": "fever"}]},
        "date": "2026-03-03",
        "recorder": {"reference": "Practitioner/pr1"},
        "seriousness": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness",
                    "code": "Non-serious",
                }
            ]
        },
        "outcome": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/adverse-event-outcome", "code": "resolved"}
            ]
        },
        "suspectEntity": [{"instance": {"reference": "Immunization/i1"}}],
    }
    resource.update(changes)
    return {k: v for k, v in resource.items() if v is not None}


def test_aefi_profile() -> None:
    assert check(aefi()) == []
    issues = check(
        aefi(
            actuality="potential",
            seriousness=None,
            suspectEntity=[{"instance": {"reference": "Medication/m1"}}],
        )
    )
    assert {i.expression[0] for i in issues} == {
        "AdverseEvent.actuality",
        "AdverseEvent.seriousness",
        "AdverseEvent.suspectEntity[0].instance.reference",
    }


def test_organization_rolls_up_unless_it_is_an_authority() -> None:
    station = {
        "resourceType": "Organization",
        "identifier": [{"value": "01101"}],
        "name": "Trạm Y tế",
        "address": [{"state": "Hà Nội"}],
    }
    assert keys(check(station)) == {"vn-org-1"}
    authority = {**station, "type": [{"coding": [{"code": "govt"}]}]}
    assert check(authority) == []


def test_related_person_needs_relationship_name_and_a_vietnamese_phone() -> None:
    mother: dict[str, Any] = {
        "resourceType": "RelatedPerson",
        "patient": {"reference": "Patient/p"},
        "relationship": [
            {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "MTH"}]}
        ],
        "name": [{"family": "Trần", "given": ["Thị", "Lan"]}],
        "telecom": [{"system": "phone", "value": "+84912345678"}],
    }
    assert check(mother) == []
    assert keys(check({**mother, "telecom": [{"system": "phone", "value": "12345"}]})) == {"vn-rp-phone-2"}
    assert keys(check({**mother, "telecom": [{"system": "email", "value": "lan@example.vn"}]})) == {
        "vn-rp-phone"
    }
    friend = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "FRND"}]}]
    refused = check({**mother, "relationship": friend})
    assert [(i.code, i.expression[0]) for i in refused] == [("code-invalid", "RelatedPerson.relationship[0]")]
    guardian = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "GUARD"}]}
    assert check({**mother, "relationship": [{"coding": [*friend[0]["coding"], *guardian["coding"]]}]}) == []
    bare = {k: v for k, v in mother.items() if k not in ("relationship", "name")}
    assert keys(check(bare)) == {"RelatedPerson.relationship", "RelatedPerson.name"}


def test_recommendation_is_for_a_patient() -> None:
    recommendation: dict[str, Any] = {
        "resourceType": "ImmunizationRecommendation",
        "patient": {"reference": "Patient/p"},
        "date": "2026-11-01",
        "recommendation": [
            {
                "vaccineCode": [
                    {"coding": [{"system": "https://fhir.vn/CodeSystem/vn-vaccine", "code": "VN-BCG"}]}
                ],
                "forecastStatus": {"coding": [{"code": "due"}]},
            }
        ],
    }
    assert check(recommendation) == []
    wrong = check({**recommendation, "patient": {"reference": "Group/g"}})
    assert [i.expression[0] for i in wrong] == ["ImmunizationRecommendation.patient.reference"]
