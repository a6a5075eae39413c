"""schedules/vn: CDC's XSDs accept every file, and the files agree with each other and with terminology/."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from functools import cache
from itertools import pairwise
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import xmlschema

from tests.unit.schedules.cdsi_files import (
    DURATION,
    ROOT,
    VN,
    XSD,
    add,
    antigen_files,
    antigen_root,
    code_system,
    cvx_map,
    load_json,
    national_codes,
    schedule_root,
    text,
)

DURATION_TAGS = (
    "absMinAge", "minAge", "earliestRecAge", "latestRecAge", "maxAge", "beginAge", "endAge", "absMinInt",
    "minInt", "earliestRecInt", "latestRecInt", "minAgeToStart", "maxAgeToStart", "interval",
    "conflictBeginInterval", "minConflictEndInterval", "conflictEndInterval", "associationBeginAge",
    "associationEndAge",
)  # fmt: skip
AGE_ORDER = ("absMinAge", "minAge", "earliestRecAge", "latestRecAge", "maxAge")
BIRTHS = (date(2024, 1, 31), date(2024, 2, 29), date(2025, 8, 31))  # month ends stress CALCDT-5
ANTIGEN_FILES = antigen_files()


@cache
def _schema(name: str) -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD / name))


def test_the_vn_set_has_a_schedule_and_twenty_antigens() -> None:
    assert (VN / "ScheduleSupportingData.xml").is_file()
    assert len(ANTIGEN_FILES) == 20


@pytest.mark.parametrize("path", ANTIGEN_FILES, ids=lambda p: p.stem)
def test_antigen_file_is_valid_against_cdc_xsd(path: Path) -> None:
    errors = [str(e) for e in _schema("AntigenSupportingData.xsd").iter_errors(str(path))]
    assert errors == []


def test_schedule_file_is_valid_against_cdc_xsd() -> None:
    schedule = str(VN / "ScheduleSupportingData.xml")
    errors = [str(e) for e in _schema("ScheduleSupportingData.xsd").iter_errors(schedule)]
    assert errors == []


def test_the_xsd_rejects_a_series_without_doses(tmp_path: Path) -> None:
    """The validator really checks: drop every seriesDose (minOccurs 1) from a copy."""
    root = antigen_root(VN / "AntigenSupportingData- Tuberculosis.xml")
    series = root.find("series")
    assert series is not None
    for dose in series.findall("seriesDose"):
        series.remove(dose)
    broken = tmp_path / "broken.xml"
    ET.ElementTree(root).write(broken)
    assert not _schema("AntigenSupportingData.xsd").is_valid(str(broken))


def _group_map() -> dict[str, tuple[str, ...]]:
    return {
        text(m, "name"): tuple((a.text or "").strip() for a in m.findall("antigen"))
        for m in schedule_root().iter("vaccineGroupMap")
    }


def test_every_vaccine_group_has_antigens_and_every_antigen_one_file() -> None:
    groups = {text(g, "name") for g in schedule_root().iter("vaccineGroup")}
    group_map = _group_map()
    assert set(group_map) == groups
    assert all(group_map[g] for g in groups)
    mapped = [a for antigens in group_map.values() for a in antigens]
    assert len(mapped) == len(set(mapped)), "an antigen in two vaccine groups"
    diseases = {text(antigen_root(p).find("series"), "targetDisease") for p in ANTIGEN_FILES}
    assert set(mapped) == diseases


@pytest.mark.parametrize("path", ANTIGEN_FILES, ids=lambda p: p.stem)
def test_series_name_their_antigen_and_group(path: Path) -> None:
    group_map = _group_map()
    antigen = path.stem.removeprefix("AntigenSupportingData- ")
    root = antigen_root(path)
    names = [text(s, "seriesName") for s in root.iter("series")]
    assert len(names) == len(set(names))
    for series in root.iter("series"):
        assert text(series, "targetDisease") == antigen
        assert antigen in group_map[text(series, "vaccineGroup")]
    standard = [s for s in root.iter("series") if text(s, "seriesType") == "Standard"]
    assert [text(s.find("selectSeries"), "defaultSeries") for s in standard].count("Yes") == 1


def test_every_duration_is_in_cdsi_syntax() -> None:
    seen = 0
    for path in [*ANTIGEN_FILES, VN / "ScheduleSupportingData.xml"]:
        for element in ET.parse(path).getroot().iter():
            value = (element.text or "").strip()
            if element.tag in DURATION_TAGS and value:
                seen += 1
                assert DURATION.match(value), f"{path.name}: <{element.tag}>{value}"
    assert seen > 500


def test_duration_arithmetic_follows_cdsi_date_rules() -> None:
    assert add(date(2000, 1, 1), "6 months") == date(2000, 7, 1)
    assert add(date(2000, 3, 31), "6 months") == date(2000, 10, 1)
    assert add(date(2000, 1, 31), "6 months - 4 days") == date(2000, 7, 27)
    assert add(date(2000, 2, 1), "5 weeks") == date(2000, 3, 7)
    assert add(date(2000, 11, 1), "6 months") == date(2001, 5, 1)
    with pytest.raises(ValueError, match="duration"):
        add(date(2000, 1, 1), "6 weeks-4 days")


@pytest.mark.parametrize("path", ANTIGEN_FILES, ids=lambda p: p.stem)
def test_ages_increase_within_each_dose_and_along_the_series(path: Path) -> None:
    for series in antigen_root(path).iter("series"):
        doses = series.findall("seriesDose")
        assert [text(d, "doseNumber") for d in doses] == [f"Dose {n}" for n in range(1, len(doses) + 1)]
        for birth in BIRTHS:
            previous_min = previous_rec = birth
            for dose in doses:
                where = f"{text(series, 'seriesName')} {text(dose, 'doseNumber')}"
                age = dose.find("age")
                assert age is not None, f"{where} has no <age>"
                values = [add(birth, text(age, tag)) for tag in AGE_ORDER if text(age, tag)]
                assert values == sorted(values), where
                if text(age, "minAge"):
                    assert add(birth, text(age, "minAge")) >= previous_min
                    previous_min = add(birth, text(age, "minAge"))
                if text(age, "earliestRecAge"):
                    assert add(birth, text(age, "earliestRecAge")) >= previous_rec
                    previous_rec = add(birth, text(age, "earliestRecAge"))
                for interval in dose.findall("interval"):
                    order = ("absMinInt", "minInt", "earliestRecInt", "latestRecInt")
                    steps = [add(date(2026, 1, 31), text(interval, t)) for t in order if text(interval, t)]
                    assert steps == sorted(steps), where
                    target = text(interval, "fromTargetDose")
                    if target:
                        assert text(interval, "fromPrevious") == "N"
                        assert int(target) < int(text(dose, "doseNumber").split()[1])


@pytest.mark.parametrize("path", ANTIGEN_FILES, ids=lambda p: p.stem)
def test_effective_and_cessation_dates_are_real_and_ordered(path: Path) -> None:
    for element in antigen_root(path).iter():
        if element.tag not in ("age", "interval", "allowableInterval", "set"):
            continue
        effective, cessation = text(element, "effectiveDate"), text(element, "cessationDate")
        parsed = [date(int(v[:4]), int(v[4:6]), int(v[6:])) for v in (effective, cessation) if v]
        assert all(len(v) == 8 for v in (effective, cessation) if v)
        assert parsed == sorted(parsed)


def _codes_in(root: ET.Element) -> list[tuple[str, str]]:
    """(where, code) for every vaccine code an antigen file names."""
    found = []
    for tag in ("preferableVaccine", "allowableVaccine", "inadvertentVaccine", "contraindicatedVaccine"):
        found += [(tag, text(e, "cvx")) for e in root.iter(tag) if text(e, "cvx")]
    for condition in root.iter("condition"):
        found += [("condition", c) for c in text(condition, "vaccineTypes").split(";") if c]
    return found


@pytest.mark.parametrize("path", ANTIGEN_FILES, ids=lambda p: p.stem)
def test_every_code_of_an_antigen_file_is_mapped_to_that_antigen(path: Path) -> None:
    mapping = cvx_map()
    nationals = national_codes()
    root = antigen_root(path)
    antigen = text(root.find("series"), "targetDisease")
    codes = _codes_in(root)
    assert codes
    for where, code in codes:
        assert code in mapping, f"{where} {code} not in cvxToAntigenMap"
        assert code.isdigit() or code in nationals, f"{code}: neither CVX nor a national code"
        if where in ("preferableVaccine", "allowableVaccine"):
            assert antigen in mapping[code], f"{code} does not carry {antigen}"


@pytest.mark.parametrize("path", ANTIGEN_FILES, ids=lambda p: p.stem)
def test_every_dose_of_a_standard_series_names_a_vaccine_to_forecast(path: Path) -> None:
    for series in antigen_root(path).iter("series"):
        for dose in series.findall("seriesDose"):
            flags = [text(p, "forecastVaccineType") for p in dose.findall("preferableVaccine")]
            assert "Y" in flags, f"{text(series, 'seriesName')} {text(dose, 'doseNumber')}"


def test_cvx_map_national_codes_are_in_the_code_system_and_carry_their_cvx_antigens() -> None:
    mapping = cvx_map()
    nationals = national_codes()
    for code, antigens in mapping.items():
        assert antigens, code
        if not code.isdigit():
            assert code in nationals
    concepts = {c["code"]: c for c in code_system()["concept"]}
    for code in (c for c in mapping if not c.isdigit()):
        antigens = tuple(p["valueString"] for p in concepts[code]["property"] if p["code"] == "antigen")
        assert antigens == mapping[code], code


def test_live_virus_conflicts_name_mapped_codes() -> None:
    mapping = cvx_map()
    conflicts = list(schedule_root().iter("liveVirusConflict"))
    assert conflicts
    pairs = {(text(c.find("previous"), "cvx"), text(c.find("current"), "cvx")) for c in conflicts}
    assert ("05", "04") in pairs  # measles at 9 months, then MR: 28 days apart unless the same day
    assert ("VN-IMOJEV", "VN-MRVAC") in pairs
    for previous, current in pairs:
        assert previous in mapping and current in mapping


def test_forecast_only_skips_carry_the_circulars_dates() -> None:
    """Td at 7 years and IPV at 9 months exist from Circular 10/2024 (01/08/2024): not forecast before."""
    sets = {}
    for path in ANTIGEN_FILES:
        for skip in antigen_root(path).iter("conditionalSkip"):
            for skip_set in skip.findall("set"):
                if text(skip_set, "cessationDate"):
                    sets[(path.stem, text(skip_set, "setDescription"))] = (
                        text(skip, "context"),
                        text(skip_set, "cessationDate"),
                    )
    assert sets
    assert set(sets.values()) == {("Forecast", "20240731")}
    stems = {stem.removeprefix("AntigenSupportingData- ") for stem, _ in sets}
    assert stems == {"Diphtheria", "Tetanus", "Polio"}


def test_files_are_what_the_generator_writes(tmp_path: Path) -> None:
    """schedules/vn and the terminology files come from scripts/schedules: edit the tables, not the XML."""
    sys.path.insert(0, str(ROOT / "scripts" / "schedules"))
    try:
        generator = __import__("vn_generate")
        generator.main(tmp_path / "vn", tmp_path / "terminology")
    finally:
        sys.path.remove(str(ROOT / "scripts" / "schedules"))
    for written in sorted((tmp_path / "vn").iterdir()):
        assert written.read_bytes() == (VN / written.name).read_bytes(), written.name
    committed = {p.name for p in VN.iterdir() if p.name != "README.md"}
    assert {p.name for p in (tmp_path / "vn").iterdir()} == committed
    for written in sorted((tmp_path / "terminology").iterdir()):
        assert written.read_bytes() == (ROOT / "terminology" / written.name).read_bytes(), written.name


def test_every_observation_an_antigen_file_names_is_defined_in_the_schedule() -> None:
    defined = {text(o, "observationCode") for o in schedule_root().iter("observation")}
    named = set()
    for path in ANTIGEN_FILES:
        root = antigen_root(path)
        contraindications = root.find("contraindications")
        assert contraindications is not None and contraindications.find("vaccineGroup") is not None
        named |= {text(c, "observationCode") for c in root.iter("contraindication")}
        named |= {text(i.find("observationCode"), "code") for i in root.iter("indication") if len(i)}
    assert named == defined == {"007", "013", "028", "080"}


def test_programmes_name_real_groups_and_contiguous_instruments() -> None:
    programmes = load_json(VN / "programmes.json")
    groups = set(_group_map())
    epi = [row["vaccine_group"] for row in programmes["epi"]]
    assert len(epi) == len(set(epi))
    assert set(epi) | set(programmes["service_only"]) == groups
    assert not set(epi) & set(programmes["service_only"])
    instruments = programmes["instruments"]
    ids = {i["id"] for i in instruments}
    assert all(row["instrument"] in ids for row in programmes["epi"])
    for before, after in pairwise(instruments):
        assert date.fromisoformat(before["valid_to"]) + timedelta(days=1) == date.fromisoformat(
            after["valid_from"]
        )
    assert instruments[-1]["valid_to"] is None
    for row in programmes["epi"]:
        start = date.fromisoformat(row["since"])
        instrument = next(i for i in instruments if i["id"] == row["instrument"])
        assert start >= date.fromisoformat(instrument["valid_from"])
