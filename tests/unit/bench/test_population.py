"""The synthetic population: deterministic, internally consistent, valid FHIR R4, EPI-shaped."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson
import pytest

from bench.population import generate, systems
from bench.population.__main__ import main as cli_main
from bench.population.geography import PROVINCES
from fhir_server.definitions.loader import load_definitions
from fhir_server.model.part_of import Level, chain_issues, level
from fhir_server.model.validator import Validator
from fhir_server.types import JsonResource

REFERENCE = date(2026, 11, 1)


@pytest.fixture(scope="module")
def population() -> list[JsonResource]:
    return list(generate(300, seed=42, reference_date=REFERENCE))


def _of(resources: list[JsonResource], kind: str) -> list[JsonResource]:
    return [r for r in resources if r["resourceType"] == kind]


def _references(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield item
            else:
                yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def test_same_seed_same_output_and_other_seed_differs() -> None:
    first = list(generate(40, seed=7, reference_date=REFERENCE))
    assert first == list(generate(40, seed=7, reference_date=REFERENCE))
    assert first != list(generate(40, seed=8, reference_date=REFERENCE))


def test_a_smaller_population_is_a_prefix_of_a_larger_one() -> None:
    small = list(generate(10, seed=3, reference_date=REFERENCE))
    large = list(generate(25, seed=3, reference_date=REFERENCE))
    assert large[: len(small)] == small
    assert len(large) > len(small)


def test_ids_are_unique_and_client_assigned(population: list[JsonResource]) -> None:
    keys = [f"{r['resourceType']}/{r['id']}" for r in population]
    assert len(keys) == len(set(keys))
    assert "Organization/org-0001" in keys
    assert "Patient/pat-000001" in keys and "RelatedPerson/rp-000001" in keys
    assert "Immunization/imm-000001-01" in keys


def test_references_point_to_earlier_resources(population: list[JsonResource]) -> None:
    seen: set[str] = set()
    checked = 0
    for resource in population:
        for reference in _references(resource):
            assert reference in seen, f"{resource['id']} refers forward to {reference}"
            checked += 1
        seen.add(f"{resource['resourceType']}/{resource['id']}")
    assert checked > len(population)


def test_facilities_come_first_and_stations_are_part_of_a_provincial_cdc(
    population: list[JsonResource],
) -> None:
    kinds = [r["resourceType"] for r in population]
    first_patient = kinds.index("Patient")
    assert set(kinds[:first_patient]) == {"Organization", "Location"}
    stations = [r for r in _of(population, "Organization") if r["name"].startswith("Trạm Y tế")]
    assert stations and all(s["partOf"]["reference"].startswith("Organization/") for s in stations)
    rooms = [r for r in _of(population, "Location") if "partOf" in r]
    assert rooms and all(r["address"]["country"] == "VN" for r in _of(population, "Location"))


def test_every_location_and_organization_rolls_up_to_its_province(population: list[JsonResource]) -> None:
    """The partOf rule (vn-loc-2, vn-org-3) holds for every facility, read as the server reads it; the
    points reach a province-level unit of their own province."""
    by_key = {(r["resourceType"], r["id"]): r for r in population}
    facilities = [r for r in population if r["resourceType"] in ("Location", "Organization")]
    assert all(chain_issues(r, lambda t, i: by_key.get((t, i))) == [] for r in facilities)
    levels = {level(r) for r in facilities}
    assert levels == {Level.ABOVE, Level.PROVINCE, Level.BELOW}  # country, provinces, points and stations
    points = [r for r in _of(population, "Location") if level(r) is Level.BELOW]
    assert len(points) > 2 * len([r for r in _of(population, "Location") if level(r) is Level.PROVINCE])


def _century_sex_digit(birth: date, gender: str) -> str:
    # CCCD rule: 0 male / 1 female for 1900-1999, 2 male / 3 female for 2000-2099
    return {(19, "male"): "0", (19, "female"): "1", (20, "male"): "2", (20, "female"): "3"}[
        (birth.year // 100, gender)
    ]


def test_cccd_structure_matches_gender_birth_year_and_a_province(population: list[JsonResource]) -> None:
    codes = {f"0{p.code}" for p in PROVINCES}
    people = _of(population, "Patient") + _of(population, "RelatedPerson")
    numbers = []
    for person in people:
        cccd = next(i["value"] for i in person["identifier"] if i["system"] == systems.CCCD)
        birth = date.fromisoformat(person["birthDate"])
        assert len(cccd) == 12 and cccd.isdigit()
        assert cccd[:3] in codes
        assert cccd[3] == _century_sex_digit(birth, person["gender"])
        assert cccd[4:6] == f"{birth.year % 100:02d}"
        numbers.append(cccd)
    assert len(numbers) == len(set(numbers))
    assert {n[3] for n in numbers} >= {"1", "2", "3"}  # mothers born in the 1900s, children both sexes


def test_every_child_has_a_birth_certificate_and_a_mother_with_a_phone(
    population: list[JsonResource],
) -> None:
    patients = _of(population, "Patient")
    for patient in patients:
        assert any(i["system"] == systems.BIRTH_CERTIFICATE for i in patient["identifier"])
    mothers = {r["patient"]["reference"]: r for r in _of(population, "RelatedPerson")}
    assert len(mothers) == len(patients)
    for patient in patients:
        mother = mothers[f"Patient/{patient['id']}"]
        assert mother["relationship"][0]["coding"][0]["code"] == "MTH"
        assert mother["telecom"][0]["value"].startswith("+84") and len(mother["telecom"][0]["value"]) == 12
        age_at_birth = date.fromisoformat(patient["birthDate"]) - date.fromisoformat(mother["birthDate"])
        assert timedelta(days=17 * 365) < age_at_birth < timedelta(days=43 * 366)


def test_vietnamese_names_keep_their_diacritics(population: list[JsonResource]) -> None:
    texts = [r["name"][0]["text"] for r in _of(population, "Patient") + _of(population, "RelatedPerson")]
    assert all(unicodedata.normalize("NFC", t) == t for t in texts)
    assert sum(not t.isascii() for t in texts) > len(texts) // 2
    families = {r["name"][0]["family"] for r in _of(population, "Patient")}
    assert {"Nguyễn", "Trần", "Lê"} <= families
    assert any("đ" in t.lower() for t in texts)
    states = {r["address"][0]["state"] for r in _of(population, "Patient")}
    assert "Thành phố Hồ Chí Minh" in states and "Hà Nội" in states


def test_provinces_are_the_34_since_july_2025() -> None:
    assert len(PROVINCES) == 34
    assert len({p.code for p in PROVINCES}) == 34 and len({p.name for p in PROVINCES}) == 34
    by_name = {p.name: p.code for p in PROVINCES}
    assert by_name["Hà Nội"] == "01" and by_name["Thành phố Hồ Chí Minh"] == "79"
    assert by_name["Cà Mau"] == "96" and by_name["Tuyên Quang"] == "08"


def _occurrence(imm: JsonResource) -> datetime:
    return datetime.fromisoformat(imm["occurrenceDateTime"])


@pytest.mark.parametrize("reference", [date(2026, 11, 1), date(2024, 3, 15)])
def test_no_dose_on_or_after_the_reference_date_nor_before_birth(reference: date) -> None:
    resources = list(generate(150, seed=5, reference_date=reference))
    births = {f"Patient/{p['id']}": date.fromisoformat(p["birthDate"]) for p in _of(resources, "Patient")}
    immunizations = _of(resources, "Immunization")
    assert len(immunizations) > 150
    for imm in immunizations:
        when = _occurrence(imm)
        assert imm["occurrenceDateTime"].endswith("+07:00")
        assert births[imm["patient"]["reference"]] <= when.date() < reference
    assert all(b < reference for b in births.values())


def test_immunizations_follow_the_epi_schedule_with_lateness_and_gaps(population: list[JsonResource]) -> None:
    births = {f"Patient/{p['id']}": date.fromisoformat(p["birthDate"]) for p in _of(population, "Patient")}
    penta: dict[str, list[datetime]] = defaultdict(list)
    for imm in _of(population, "Immunization"):
        coding = imm["vaccineCode"]["coding"][0]
        assert coding["system"] == systems.CVX
        assert imm["status"] == "completed" and imm["primarySource"] is True
        assert imm["lotNumber"] and imm["performer"][0]["actor"]["reference"].startswith("Organization/")
        assert imm["location"]["reference"].startswith("Location/")
        age = (_occurrence(imm).date() - births[imm["patient"]["reference"]]).days
        if coding["code"] == "102":
            penta[imm["patient"]["reference"]].append(_occurrence(imm))
        if coding["code"] == "05":  # measles first dose: 9 months
            assert age >= 270
        if coding["code"] == "04":  # MR: 18 months
            assert age >= 18 * 30
    first_dose_delays = []
    for patient, doses in penta.items():
        assert len(doses) <= 3
        assert all((b.date() - a.date()).days >= 28 for a, b in pairwise(doses))
        delay = (doses[0].date() - births[patient]).days - 61
        assert delay >= -3  # due at 2 months
        first_dose_delays.append(delay)
    assert sorted(first_dose_delays)[len(first_dose_delays) // 2] > 0  # typical child is a little late
    old_enough = [p for p, b in births.items() if (REFERENCE - b).days > 365]
    incomplete = [p for p in old_enough if len(penta.get(p, [])) < 3]
    assert 0 < len(incomplete) < len(old_enough) // 3  # some gaps, most children complete


def test_resources_pass_the_r4_json_schema(population: list[JsonResource]) -> None:
    schema = load_definitions().validation.json_schema
    validator = jsonschema_rs.validator_for(dict(schema))
    for resource in population[:400]:
        errors = [str(e) for e in validator.iter_errors(resource)]
        assert not errors, (resource["id"], errors[:3])


def test_resources_pass_the_server_validator(population: list[JsonResource]) -> None:
    definitions = load_definitions()
    validator = Validator(definitions.validation, definitions.resource_types)
    sample = population[:60] + population[-140:]
    for resource in sample:
        validator.validate(resource)  # raises FhirError when invalid


def test_cli_writes_one_resource_per_line(tmp_path: Path) -> None:
    out = tmp_path / "population.ndjson"
    assert cli_main(["--patients", "3", "--seed", "9", "--out", str(out)]) == 0
    lines = out.read_bytes().splitlines()
    assert [orjson.loads(line) for line in lines] == list(generate(3, seed=9))


def test_cli_writes_a_file_per_type_and_transaction_bundles(tmp_path: Path) -> None:
    out = tmp_path / "population"
    args = [
        "--patients",
        "3",
        "--seed",
        "9",
        "--out",
        str(out),
        "--bundle-size",
        "10",
        "--bundle-size",
        "100",
    ]
    assert cli_main(args) == 0
    expected = list(generate(3, seed=9))
    by_type: dict[str, list[JsonResource]] = defaultdict(list)
    for resource in expected:
        by_type[resource["resourceType"]].append(resource)
    files = {p.name for p in out.iterdir()}
    assert files == {f"{t}.ndjson" for t in by_type} | {"transactions-10.ndjson", "transactions-100.ndjson"}
    for kind, resources in by_type.items():
        assert [
            orjson.loads(line) for line in (out / f"{kind}.ndjson").read_bytes().splitlines()
        ] == resources
    for size in (10, 100):
        bundles = [
            orjson.loads(line) for line in (out / f"transactions-{size}.ndjson").read_bytes().splitlines()
        ]
        assert all(b["type"] == "transaction" and len(b["entry"]) <= size for b in bundles)
        assert all(len(b["entry"]) == size for b in bundles[:-1])
        entries = [e for b in bundles for e in b["entry"]]
        assert [e["resource"] for e in entries] == expected
        assert all(
            e["request"] == {"method": "PUT", "url": f"{e['resource']['resourceType']}/{e['resource']['id']}"}
            for e in entries
        )
