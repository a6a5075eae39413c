"""profiles/ and terminology/: generated from scripts, loaded and checked at start-up; a broken file stops
start-up with its name."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from fhir_server.app import build_services
from fhir_server.definitions.artifacts import ArtifactError
from fhir_server.definitions.loader import OPERATIONS, PROFILES, TERMINOLOGY, load_artifacts
from fhir_server.model.profile_checker import ProfileChecker, ProfileError
from fhir_server.settings import Settings

ROOT = Path(__file__).resolve().parents[3]


def _generator(folder: str, module: str) -> object:
    sys.path.insert(0, str(ROOT / "scripts" / folder))
    try:
        return __import__(module)
    finally:
        sys.path.remove(str(ROOT / "scripts" / folder))


@pytest.mark.parametrize(
    ("folder", "module", "target"),
    [("terminology", "vn_terminology", TERMINOLOGY), ("profiles", "vn_profiles", PROFILES)],
)
def test_files_are_what_the_generators_write(folder: str, module: str, target: Path, tmp_path: Path) -> None:
    generator = _generator(folder, module)
    generator.main(tmp_path)  # type: ignore[attr-defined]
    written = sorted(tmp_path.iterdir())
    assert written
    for path in written:
        assert path.read_bytes() == (target / path.name).read_bytes(), path.name


def test_every_artifact_loads() -> None:
    artifacts = load_artifacts()
    types = {p.type for p in artifacts.profiles.values()}
    assert types == {
        "Patient",
        "RelatedPerson",
        "Immunization",
        "ImmunizationRecommendation",
        "AdverseEvent",
        "Organization",
        "Location",
        "Extension",
    }
    t = artifacts.terminology
    assert len(t.code_systems["https://fhir.vn/CodeSystem/vn-province"].concepts) == 34
    assert len(t.code_systems["https://fhir.vn/CodeSystem/vn-province-2004"].concepts) == 63
    assert len(t.value_sets["https://fhir.vn/ValueSet/vn-province-any"].members) == 97
    vaccines = t.value_sets["https://fhir.vn/ValueSet/vn-vaccine"]
    assert vaccines.complete and vaccines.contains("https://fhir.vn/CodeSystem/vn-vaccine", "VN-BCG")
    assert vaccines.contains("http://hl7.org/fhir/sid/cvx", "08") and not vaccines.contains(None, "999")
    communes = t.value_sets["https://fhir.vn/ValueSet/vn-commune"]
    assert communes.complete and len(communes.members) == 3321
    assert communes.contains(None, "26740") and communes.contains(None, "00001") is False
    guide = artifacts.implementation_guide
    listed = {r["reference"]["reference"] for r in guide["definition"]["resource"]}
    assert "StructureDefinition/vn-patient" in listed and "ValueSet/vn-vaccine" in listed
    assert len(listed) == sum(1 for r in artifacts.resources() if r["resourceType"] != "ImplementationGuide")


def test_province_map_old_to_new_is_total_and_single_valued() -> None:
    cm = load_artifacts().terminology.concept_maps["https://fhir.vn/ConceptMap/vn-province-2004-to-2025"]
    elements = cm["group"][0]["element"]
    assert len(elements) == 63
    assert all(len(e["target"]) == 1 for e in elements)
    targets = {e["target"][0]["code"] for e in elements}
    assert len(targets) == 34
    by_old = {e["code"]: e["target"][0]["code"] for e in elements}
    # a few merges of Resolution 202/2025/QH15
    assert by_old["02"] == "08"  # Hà Giang -> Tuyên Quang
    assert by_old["74"] == by_old["77"] == "79"  # Bình Dương, Bà Rịa - Vũng Tàu -> Hồ Chí Minh City
    assert by_old["10"] == "15"  # Lào Cai (old 10) -> Lào Cai (new 15, formerly Yên Bái's code)


def test_every_commune_belongs_to_a_current_province_and_every_province_has_communes() -> None:
    """terminology/communes.csv (the official list, README for its origin) -> CodeSystem vn-commune."""
    t = load_artifacts().terminology
    communes = t.code_systems["https://fhir.vn/CodeSystem/vn-commune"]
    provinces = t.code_systems["https://fhir.vn/CodeSystem/vn-province"].concepts
    assert communes.complete and len(communes.concepts) == 3321
    by_province: dict[str, int] = {}
    for concept in communes.concepts.values():
        (province,) = concept.properties["province"]
        assert province in provinces and len(concept.code) == 5 and concept.code.isdigit()
        assert concept.display.startswith(("Xã ", "Phường ", "Đặc khu ")), concept.display
        by_province[province] = by_province.get(province, 0) + 1
    assert set(by_province) == set(provinces)
    assert by_province["01"] == 126 and by_province["79"] == 168  # Hà Nội, Hồ Chí Minh City
    assert communes.concepts["00004"].display == "Phường Ba Đình"
    assert communes.concepts["26740"].display == "Phường Sài Gòn"
    assert communes.concepts["26740"].properties["province"] == ("79",)


def test_the_commune_csv_is_what_the_transcription_writes(tmp_path: Path) -> None:
    """The committed CSV passes the transcription's own checks (34 known provinces, 3,321 distinct codes)."""
    transcribe = _generator("terminology", "communes_csv")
    rows = [tuple(line.split(",")) for line in (TERMINOLOGY / "communes.csv").read_text("utf-8").splitlines()]
    assert rows[0] == ("code", "name", "province_code") and len(rows) == 3322
    source = [{"code": c, "name": n, "province_code": p} for c, n, p in reversed(rows[1:])]
    assert transcribe.rows(source) == sorted(rows[1:])  # type: ignore[attr-defined]
    assert transcribe.clean("Xã  Xuân Á i ") == "Xã Xuân Ái"  # type: ignore[attr-defined]
    source[0]["province_code"] = "77"  # Bà Rịa - Vũng Tàu: part of Hồ Chí Minh City since 2025
    with pytest.raises(ValueError, match="province 77"):
        transcribe.rows(source)  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="3321"):
        transcribe.rows(source[1:])  # type: ignore[attr-defined]


def _copy(tmp_path: Path) -> tuple[Path, Path, Path]:
    dirs = []
    for name, source in (("profiles", PROFILES), ("terminology", TERMINOLOGY), ("operations", OPERATIONS)):
        shutil.copytree(source, tmp_path / name)
        dirs.append(tmp_path / name)
    return dirs[0], dirs[1], dirs[2]


def test_a_file_that_is_not_json_is_named(tmp_path: Path) -> None:
    profiles, terminology, operations = _copy(tmp_path)
    (profiles / "StructureDefinition-vn-patient.json").write_text("{ broken", "utf-8")
    with pytest.raises(ArtifactError, match=r"StructureDefinition-vn-patient\.json"):
        load_artifacts(profiles, terminology, operations)


def test_a_binding_to_an_unknown_value_set_is_named(tmp_path: Path) -> None:
    profiles, terminology, operations = _copy(tmp_path)
    path = profiles / "StructureDefinition-vn-immunization.json"
    sd = json.loads(path.read_text("utf-8"))
    for element in sd["differential"]["element"]:
        if "binding" in element:
            element["binding"]["valueSet"] = "https://fhir.vn/ValueSet/nothing"
    path.write_text(json.dumps(sd), "utf-8")
    with pytest.raises(ArtifactError, match=r"StructureDefinition-vn-immunization\.json.*unknown ValueSet"):
        load_artifacts(profiles, terminology, operations)


def test_an_element_rule_the_checker_cannot_enforce_is_refused(tmp_path: Path) -> None:
    profiles, terminology, operations = _copy(tmp_path)
    path = profiles / "StructureDefinition-vn-patient.json"
    sd = json.loads(path.read_text("utf-8"))
    sd["differential"]["element"].append({"id": "Patient.name", "path": "Patient.name", "slicing": {}})
    path.write_text(json.dumps(sd), "utf-8")
    with pytest.raises(ArtifactError, match=r"StructureDefinition-vn-patient\.json.*slicing"):
        load_artifacts(profiles, terminology, operations)


def test_a_value_set_that_cannot_expand_stops_loading(tmp_path: Path) -> None:
    profiles, terminology, operations = _copy(tmp_path)
    path = terminology / "ValueSet-vn-funding-source.json"
    vs = json.loads(path.read_text("utf-8"))
    vs["compose"]["include"] = [{"valueSet": ["https://fhir.vn/ValueSet/missing"]}]
    path.write_text(json.dumps(vs), "utf-8")
    with pytest.raises(ArtifactError, match="missing"):
        load_artifacts(profiles, terminology, operations)


def test_an_invariant_that_does_not_compile_names_the_file(tmp_path: Path) -> None:
    profiles, terminology, operations = _copy(tmp_path)
    path = profiles / "StructureDefinition-vn-location.json"
    sd = json.loads(path.read_text("utf-8"))
    sd["differential"]["element"][0]["constraint"][0]["expression"] = "address.state.exists( and"
    path.write_text(json.dumps(sd), "utf-8")
    with pytest.raises(ProfileError, match=r"StructureDefinition-vn-location\.json.*vn-loc-1"):
        ProfileChecker(load_artifacts(profiles, terminology, operations))
    # the same at start-up: the composition root builds the checker before anything is served
    with pytest.raises(ProfileError, match=r"StructureDefinition-vn-location\.json"):
        build_services(
            Settings(database_url="memory://"), artifacts=load_artifacts(profiles, terminology, operations)
        )


def test_the_commune_list_loads_from_csv(tmp_path: Path) -> None:
    """The documented import path: terminology/communes.csv -> the generator -> a complete vn-commune."""
    profiles, terminology, operations = _copy(tmp_path)
    csv_file = tmp_path / "communes.csv"
    csv_file.write_text("code,name,province_code\n26734,Phường Sài Gòn,79\n00004,Phường Ba Đình,1\n", "utf-8")
    generator = _generator("terminology", "vn_terminology")
    generator.main(terminology, csv_file, tmp_path / "no-former-communes.csv")  # type: ignore[attr-defined]
    loaded = load_artifacts(profiles, terminology, operations).terminology
    communes = loaded.value_sets["https://fhir.vn/ValueSet/vn-commune"]
    assert communes.complete and communes.contains(None, "26734") and not communes.contains(None, "99999")
    assert loaded.lookup("https://fhir.vn/CodeSystem/vn-commune", "00004").properties["province"] == ("01",)  # type: ignore[union-attr]
    csv_file.write_text("code,name,province_code\n26734,Phường Sài Gòn,77\n", "utf-8")  # 77: merged in 2025
    with pytest.raises(ValueError, match=r"communes\.csv:2"):
        generator.main(terminology, csv_file, tmp_path / "none.csv")  # type: ignore[attr-defined]


def test_the_former_communes_and_their_map_to_todays() -> None:
    """10,035 retired communes of 30 June 2025 (terminology/communes-2004.csv), each mapped to today's."""
    t = load_artifacts().terminology
    former = t.code_systems["https://fhir.vn/CodeSystem/vn-commune-2004"]
    assert len(former.concepts) == 10_035 and former.resource["content"] == "complete"
    truc_bach = former.concepts["00004"]
    assert truc_bach.display == "Phường Trúc Bạch" and truc_bach.properties["district"] == ("001",)
    assert truc_bach.properties["status"] == ("retired",) and truc_bach.properties["province"] == ("01",)
    assert len(t.value_sets["https://fhir.vn/ValueSet/vn-commune-2004"].members) == 10_035
    cm = t.concept_maps["https://fhir.vn/ConceptMap/vn-commune-2004-to-2025"]
    elements = {e["code"]: e["target"] for e in cm["group"][0]["element"]}
    assert set(elements) == set(former.concepts)
    today = t.code_systems["https://fhir.vn/CodeSystem/vn-commune"].concepts
    reached = {target["code"] for targets in elements.values() for target in targets}
    assert reached <= set(today) and len(today) - len(reached) == 5  # the island districts had no communes
    assert [(x["code"], x["equivalence"]) for x in elements["00001"]] == [("00097", "wider")]  # Phúc Xá
    split = elements["26746"]  # Nguyễn Thái Bình, District 1: split, the default part first
    assert [x["code"] for x in split] == ["26743", "26740"]
    assert {x["equivalence"] for x in split} == {"inexact"}  # both parts went into communes with others
    assert "default" in split[0]["comment"]


def test_the_former_districts_map_to_todays_provinces() -> None:
    t = load_artifacts().terminology
    districts = t.code_systems["https://fhir.vn/CodeSystem/vn-district-2004"].concepts
    assert len(districts) == 696 and districts["760"].display == "Quận 1"
    cm = t.concept_maps["https://fhir.vn/ConceptMap/vn-district-2004-to-2025"]
    targets = {e["code"]: e["target"] for e in cm["group"][0]["element"]}
    assert targets["760"] == [{"code": "79", "display": "Thành phố Hồ Chí Minh", "equivalence": "wider"}]
    assert targets["718"][0]["code"] == "79"  # Thủ Dầu Một, Bình Dương (74): part of Hồ Chí Minh City today


def test_a_merged_province_maps_wider_and_an_unmerged_one_equal() -> None:
    cm = load_artifacts().terminology.concept_maps["https://fhir.vn/ConceptMap/vn-province-2004-to-2025"]
    targets = {e["code"]: e["target"][0] for e in cm["group"][0]["element"]}
    assert targets["74"] == {"code": "79", "display": "Thành phố Hồ Chí Minh", "equivalence": "wider"}
    assert targets["79"]["equivalence"] == "wider"  # today's city is more than the old one
    assert targets["01"]["equivalence"] == "equal"  # Hà Nội took in no other province


def test_the_former_commune_list_is_checked(tmp_path: Path) -> None:
    generator = _generator("terminology", "vn_terminology")
    bad = tmp_path / "communes-2004.csv"
    bad.write_text(
        "code,name,district_code,district_name,province_code,successors\n"
        "00001,Phường Phúc Xá,001,Quận Ba Đình,01,99999\n",
        "utf-8",
    )
    with pytest.raises(ValueError, match="00001"):
        generator.former_communes(bad, {"00097": ("Phường Hồng Hà", "01")})  # type: ignore[attr-defined]
    bad.write_text(bad.read_text("utf-8").replace("99999", "26740"), "utf-8")  # Sài Gòn: not in Hà Nội
    with pytest.raises(ValueError, match="not in 01"):
        generator.former_communes(bad, {"26740": ("Phường Sài Gòn", "79")})  # type: ignore[attr-defined]


def test_unit_maps_of_two_levels_may_not_share_a_code(tmp_path: Path) -> None:
    """Grouping reads one table of old code -> today's for provinces (2 digits), districts (3) and communes
    (5): a code in two of the maps would be ambiguous, and stops loading with the file's name."""
    from fhir_server.definitions.loader import load_unit_successions

    _, terminology, _ = _copy(tmp_path)
    path = terminology / "ConceptMap-vn-district-2004-to-2025.json"
    cm = json.loads(path.read_text("utf-8"))
    cm["group"][0]["element"][0]["code"] = "74"  # Bình Dương's province code
    path.write_text(json.dumps(cm), "utf-8")
    with pytest.raises(ArtifactError, match=r"ConceptMap-vn-district-2004-to-2025\.json: code 74"):
        load_unit_successions.__wrapped__(terminology)
