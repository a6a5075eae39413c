#!/usr/bin/env python3
"""Regenerate schedules/vn/ (XML, programmes.json) and terminology/*vn-vaccine*.json from the tables here.

Run by hand, never at run time (see schedules/vn/README.md):

    python3 scripts/schedules/vn_generate.py

Tables: vn_catalog.py (CVX types, national products), vn_series.py (antigen series, vaccine groups). The XML
follows CDC's supporting-data layout element by element (every optional element written, empty when unused,
like CDC's own files), so an engine written against CDC's XML reads it unchanged.
A CVX type named in a series is expanded to the national products that are brands of it (same ages), so a
dose recorded with only a national code is evaluated like its CVX; products without a CVX appear by their
national code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

sys.path.insert(0, str(Path(__file__).resolve().parent))

import vn_catalog as catalog
import vn_series as vn
from vn_model import Age, Antigen, Condition, Dose, Interval, Series, Skip, Use, grace

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "schedules" / "vn"
TERMINOLOGY = ROOT / "terminology"
OBSERVATIONS = (  # CDC ScheduleSupportingData 4.64 (same codes: CDC-style observations work), + ICD-10
    (
        "007",
        "Pregnant",
        "Administer to persons who are pregnant.",
        "Do not vaccinate if the patient is pregnant.",
        "",
        (
            ("77386006", "SNOMED", "Patient currently pregnant [finding]"),
            ("102874004", "SNOMED", "Possible pregnancy [finding]"),
            ("255409004", "SNOMED", "Pregnant woman [person]"),
            ("Z33", "ICD10", "Pregnant state"),  # ICD-10 (WHO, used by Vietnam's Ministry of Health)
            ("Z34", "ICD10", "Supervision of normal pregnancy"),
        ),
    ),
    (
        "013",
        "Severe Combined Immunodeficiency [SCID]",
        "",
        "Do not vaccinate if the patient has Severe Combined Immunodeficiency [SCID].",
        "",
        (
            ("31323000", "SNOMED", "Severe combined immunodeficiency disease [disorder]"),
            ("D81.0", "ICD10", "Severe combined immunodeficiency with reticular dysgenesis"),
            ("D81.1", "ICD10", "Severe combined immunodeficiency with low T- and B-cell numbers"),
            ("D81.2", "ICD10", "Severe combined immunodeficiency with low or normal B-cell numbers"),
        ),
    ),
    (
        "080",
        "Adverse reaction to vaccine component",
        "",
        "Do not vaccinate if the patient has had an adverse reaction to a vaccine component.",
        "",
        (
            ("293104008", "SNOMED", "Vaccines adverse reaction [disorder]"),
            (
                "VXC20",
                "CDCPHINVS",
                "Allergy to previous dose of this vaccine or to any of its unlisted vaccine components "
                "[anaphylactic]",
            ),
            ("T88.1", "ICD10", "Other complications following immunization, not elsewhere classified"),
        ),
    ),
    (
        "028",
        "Intussusception",
        "",
        "Do not vaccinate if the patient has intussusception.",
        "Includes history of uncorrected congenital malformation of the gastrointestinal tract that would "
        "predispose "
        "the infant to intussusception or history of intussusception.",
        (
            ("35327006", "SNOMED", "Intussusception [morphologic abnormality]"),
            ("49723003", "SNOMED", "Intussusception of intestine [disorder]"),
            ("VXC21", "CDCPHINVS", "Previous history of intussusception"),
            ("K56.1", "ICD10", "Intussusception"),
        ),
    ),
)
ROTAVIRUS_CONTRAINDICATIONS = (("013", "Severe Combined Immunodeficiency [SCID]"), ("028", "Intussusception"))
# Every antigen: a serious reaction to an earlier dose or a component (QĐ 1575/QĐ-BYT screening).
ADVERSE_REACTION = (
    "080",
    "Adverse reaction to vaccine component",
    "Do not vaccinate if the patient has had an adverse reaction to a vaccine component.",
)


def leaf(parent: ET.Element, tag: str, text: str = "") -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text:
        element.text = text
    return element


def leaves(parent: ET.Element, **values: str) -> None:
    for tag, text in values.items():
        leaf(parent, tag, text)


def vaccine_type(code: str) -> str:
    if code in catalog.CVX:
        return catalog.CVX[code][0]
    return catalog.product(code).display


def expand(uses: tuple[Use, ...]) -> list[tuple[Use, str]]:
    """(use, trade name) for the CVX type and each national brand of it, in order, without duplicates."""
    out: list[tuple[Use, str]] = []
    seen: set[str] = set()
    for use in uses:
        rows = [(use, "")] if use.code in catalog.CVX else [(use, catalog.product(use.code).display)]
        rows += [
            (Use(p.code, use.begin, use.end, False, use.volume), p.display)
            for p in catalog.products_for(use.code)
        ]
        for row in rows:
            if row[0].code not in seen:
                seen.add(row[0].code)
                out.append(row)
    return out


def write_age(dose_el: ET.Element, age: Age) -> None:
    el = leaf(dose_el, "age")
    abs_min = grace(age.min) if age.abs_min is None else age.abs_min
    leaves(
        el,
        absMinAge=abs_min,
        minAge=age.min,
        earliestRecAge=age.rec,
        latestRecAge=age.late,
        maxAge=age.max,
        effectiveDate=age.effective,
        cessationDate=age.cessation,
    )


def write_interval(dose_el: ET.Element, interval: Interval) -> None:
    el = leaf(dose_el, "interval")
    leaves(
        el,
        fromPrevious="Y" if interval.from_previous else "N",
        fromTargetDose=interval.from_target,
        fromMostRecent="",
        fromRelevantObs="",
        absMinInt=grace(interval.min) if interval.abs_min is None else interval.abs_min,
        minInt=interval.min,
        earliestRecInt=interval.rec,
        latestRecInt=interval.late,
        intervalPriority="",
        effectiveDate=interval.effective,
        cessationDate=interval.cessation,
    )


def write_condition(set_el: ET.Element, number: int, condition: Condition) -> None:
    el = leaf(set_el, "condition")
    leaves(
        el,
        conditionID=str(number),
        conditionType=condition.type,
        startDate=condition.start_date,
        endDate=condition.end_date,
        beginAge=condition.begin_age,
        endAge=condition.end_age,
        interval=condition.interval,
        doseCount=condition.dose_count,
        doseType=condition.dose_type,
        doseCountLogic=condition.dose_count_logic,
        vaccineTypes=";".join(expand_codes(condition.vaccine_types)),
        seriesGroups="",
    )


def expand_codes(codes: tuple[str, ...]) -> list[str]:
    return [use.code for use, _ in expand(tuple(Use(c) for c in codes))]


def write_skips(dose_el: ET.Element, skips: tuple[Skip, ...], set_numbers: list[int]) -> None:
    if not skips:
        leaf(dose_el, "conditionalSkip")
        return
    for skip in skips:
        el = leaf(dose_el, "conditionalSkip")
        leaves(el, context=skip.context, setLogic=skip.set_logic)
        for skip_set in skip.sets:
            set_numbers[0] += 1
            set_el = leaf(el, "set")
            leaves(
                set_el,
                setID=str(set_numbers[0]),
                setDescription=skip_set.description,
                effectiveDate=skip_set.effective,
                cessationDate=skip_set.cessation,
                conditionLogic=skip_set.logic,
            )
            for number, condition in enumerate(skip_set.conditions, 1):
                write_condition(set_el, number, condition)


def write_dose(series_el: ET.Element, number: int, dose: Dose, set_numbers: list[int]) -> None:
    el = leaf(series_el, "seriesDose")
    leaf(el, "doseNumber", f"Dose {number}")
    for age in dose.ages:
        write_age(el, age)
    if not dose.intervals:
        leaf(el, "interval")
    for interval in dose.intervals:
        write_interval(el, interval)
    if not dose.allowable_intervals:
        leaf(el, "allowableInterval")
    for allowed in dose.allowable_intervals:
        ai = leaf(el, "allowableInterval")
        leaves(
            ai,
            fromPrevious="N" if allowed.from_target else "Y",
            fromTargetDose=allowed.from_target,
            absMinInt=allowed.abs_min,
            effectiveDate="",
            cessationDate="",
        )
    for use, trade in expand(dose.preferable):
        pref = leaf(el, "preferableVaccine")
        leaves(
            pref,
            vaccineType=vaccine_type(use.code),
            cvx=use.code,
            beginAge=use.begin,
            endAge=use.end,
            tradeName=trade,
            mvx="",
            volume=use.volume,
            forecastVaccineType="Y" if use.forecast else "N",
        )
    for use, _ in expand(dose.allowable):
        allow = leaf(el, "allowableVaccine")
        leaves(allow, vaccineType=vaccine_type(use.code), cvx=use.code, beginAge=use.begin, endAge=use.end)
    leaf(el, "inadvertentVaccine")
    write_skips(el, dose.skips, set_numbers)
    leaf(el, "recurringDose", "Yes" if dose.recurring else "No")
    leaf(el, "seasonalRecommendation")


def write_series(root: ET.Element, series: Series) -> None:
    el = leaf(root, "series")
    leaves(el, seriesName=series.name, targetDisease=series.target_disease, vaccineGroup=series.vaccine_group)
    for text in series.guidance or ("",):
        leaf(el, "seriesAdminGuidance", text)
    leaf(el, "seriesType", series.series_type)
    leaf(el, "equivalentSeriesGroups")
    for gender in series.genders or ("",):
        leaf(el, "requiredGender", gender)
    select = leaf(el, "selectSeries")
    leaves(
        select,
        defaultSeries="Yes" if series.default else "No",
        productPath="Yes" if series.product_path else "No",
        seriesGroupName=series.group_name,
        seriesGroup=series.group,
        seriesPriority=series.priority,
        seriesPreference=series.preference,
        minAgeToStart=series.min_age_to_start,
        maxAgeToStart=series.max_age_to_start,
    )
    if not series.indications:
        leaf(el, "indication")
    for indication in series.indications:
        ind = leaf(el, "indication")
        obs = leaf(ind, "observationCode")
        leaves(obs, text=indication.observation_text, code=indication.observation_code)
        leaves(
            ind,
            description=indication.description,
            beginAge=indication.begin_age,
            endAge=indication.end_age,
            guidance=indication.guidance,
        )
    set_numbers = [0]
    for number, dose in enumerate(series.doses, 1):
        write_dose(el, number, dose, set_numbers)


def antigen_xml(antigen: Antigen) -> ET.Element:
    root = ET.Element("antigenSupportingData")
    leaf(root, "immunity")
    contraindications = leaf(root, "contraindications")
    group_level = [vn.Contraindication(*ADVERSE_REACTION)]
    group_level += [c for c in antigen.contraindications if not c.vaccines]
    vaccine_level = [c for c in antigen.contraindications if c.vaccines]
    if antigen.name == "Rotavirus":
        group_level += [
            vn.Contraindication(code, title, f"Do not vaccinate if the patient has {title}.")
            for code, title in ROTAVIRUS_CONTRAINDICATIONS
        ]
    group_el = leaf(contraindications, "vaccineGroup")  # always present, as in every CDC antigen file
    for c in group_level:
        el = leaf(group_el, "contraindication")
        leaves(
            el,
            observationCode=c.observation_code,
            observationTitle=c.observation_title,
            contraindicationText=c.text,
            contraindicationGuidance="",
            beginAge="",
            endAge="",
        )
    if vaccine_level:
        vaccine_el = leaf(contraindications, "vaccine")
        for c in vaccine_level:
            el = leaf(vaccine_el, "contraindication")
            leaves(
                el,
                observationCode=c.observation_code,
                observationTitle=c.observation_title,
                contraindicationText=c.text,
                contraindicationGuidance="",
            )
            for code in expand_codes(c.vaccines):
                v = leaf(el, "contraindicatedVaccine")
                leaves(v, vaccineType=vaccine_type(code), cvx=code, beginAge="", endAge="")
    for series in antigen.series:
        write_series(root, series)
    return root


def schedule_xml() -> ET.Element:
    root = ET.Element("scheduleSupportingData")
    conflicts = leaf(root, "liveVirusConflicts")
    live = [*catalog.LIVE_INJECTED_CVX]
    live += [p.code for p in catalog.PRODUCTS if p.is_live_injected() and p.code not in live]
    for previous in live:
        for current in live:
            el = leaf(conflicts, "liveVirusConflict")
            for tag, code in (("previous", previous), ("current", current)):
                side = leaf(el, tag)
                leaves(side, vaccineType=vaccine_type(code), cvx=code)
            leaves(
                el,
                conflictBeginInterval="1 day",
                minConflictEndInterval="24 days",
                conflictEndInterval="28 days",
            )
    groups = leaf(root, "vaccineGroups")
    for name, full, _ in vn.VACCINE_GROUPS:
        el = leaf(groups, "vaccineGroup")
        leaves(el, name=name, administerFullVaccineGroup=full)
    group_map = leaf(root, "vaccineGroupToAntigenMap")
    for name, _, antigens in vn.VACCINE_GROUPS:
        el = leaf(group_map, "vaccineGroupMap")
        leaf(el, "name", name)
        for antigen in antigens:
            leaf(el, "antigen", antigen)
    cvx_map = leaf(root, "cvxToAntigenMap")
    rows = [(cvx, desc, antigens) for cvx, (desc, antigens) in catalog.CVX.items()]
    rows += [(p.code, p.display, p.antigen_list()) for p in catalog.PRODUCTS]
    for code, desc, antigens in rows:
        el = leaf(cvx_map, "cvxMap")
        leaves(el, cvx=code, shortDescription=desc)
        for antigen in antigens:
            assoc = leaf(el, "association")
            leaves(assoc, antigen=antigen, associationBeginAge="", associationEndAge="")
    observations = leaf(root, "observations")
    for code, title, indication, contraindication, clarifying, coded in OBSERVATIONS:
        el = leaf(observations, "observation")
        leaves(
            el,
            observationCode=code,
            observationTitle=title,
            group="",
            indicationText=indication,
            contraindicationText=contraindication,
            clarifyingText=clarifying,
        )
        values = leaf(el, "codedValues")
        for value, system, text in coded:
            v = leaf(values, "codedValue")
            leaves(v, code=value, codeSystem=system, text=text)
    return root


def write_xml(root: ET.Element, path: Path) -> None:
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    path.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n', encoding="utf-8")


def code_system() -> dict[str, object]:
    concepts = []
    for p in (*catalog.PRODUCTS, *catalog.UNSCHEDULED):
        properties: list[dict[str, object]] = [
            {"code": "program", "valueCode": p.program},
            {"code": "manufacturer", "valueString": p.manufacturer},
            {"code": "live", "valueBoolean": p.is_live_injected()},
        ]
        properties += [{"code": "antigen", "valueString": a} for a in p.antigen_list()]
        concept: dict[str, object] = {
            "code": p.code,
            "display": p.display,
            "designation": [{"language": "vi", "value": p.display_vi}],
            "property": properties,
        }
        if p.note:
            concept["definition"] = p.note
        concepts.append(concept)
    return {
        "resourceType": "CodeSystem",
        "id": "vn-vaccine",
        "url": catalog.CODE_SYSTEM_URL,
        "version": "0.1.0",
        "name": "VietnamVaccineProduct",
        "title": "Vaccine products used in Vietnam (national codes, project placeholder)",
        "status": "draft",
        "experimental": True,
        "publisher": "vn-immunization-registry project",
        "description": "One code per vaccine product (brand) given in Vietnam's EPI (Tiêm chủng mở rộng) or "
        "as a service (dịch vụ) vaccine. Placeholder codes of this project until the Ministry of Health "
        "publishes a national vaccine code list; see terminology/README.md. Mapped to CVX by ConceptMap "
        "vn-vaccine-to-cvx.",
        "caseSensitive": True,
        "content": "complete",
        "count": len(concepts),
        "property": [
            {
                "code": "program",
                "description": "EPI (free, national programme) or service (paid)",
                "type": "code",
            },
            {"code": "manufacturer", "description": "Manufacturer (country)", "type": "string"},
            {
                "code": "live",
                "description": "Live vaccine given by injection (28-day rule)",
                "type": "boolean",
            },
            {"code": "antigen", "description": "CDSi antigen(s) the product counts toward", "type": "string"},
        ],
        "concept": concepts,
    }


def concept_map() -> dict[str, object]:
    elements = []
    for p in (*catalog.PRODUCTS, *catalog.UNSCHEDULED):
        target: dict[str, object]
        if p.cvx:
            target = {"code": p.cvx, "display": catalog.CVX[p.cvx][0], "equivalence": "wider"}
        elif p.code in catalog.NEAREST_CVX:
            cvx, equivalence = catalog.NEAREST_CVX[p.code]
            target = {
                "code": cvx,
                "display": catalog.NEAREST_CVX_DISPLAY[cvx],
                "equivalence": equivalence,
                "comment": p.note,
            }
        else:
            target = {"equivalence": "unmatched", "comment": p.note}
        elements.append({"code": p.code, "display": p.display, "target": [target]})
    return {
        "resourceType": "ConceptMap",
        "id": "vn-vaccine-to-cvx",
        "url": catalog.CONCEPT_MAP_URL,
        "version": "0.1.0",
        "name": "VietnamVaccineToCVX",
        "title": "Vietnam vaccine products to CVX",
        "status": "draft",
        "experimental": True,
        "publisher": "vn-immunization-registry project",
        "description": "Each national product code to the CVX vaccine type it is a brand of ('wider': the "
        "CVX "
        "concept covers more products). 'unmatched' where no CVX fits.",
        "sourceUri": catalog.CODE_SYSTEM_URL,
        "targetUri": catalog.CVX_URL,
        "group": [{"source": catalog.CODE_SYSTEM_URL, "target": catalog.CVX_URL, "element": elements}],
    }


def programmes() -> dict[str, object]:
    epi = {str(row["vaccine_group"]) for row in vn.EPI_GROUPS}
    return {
        "description": "What CDSi supporting data cannot carry: the legal instruments in force over time and "
        "the "
        "vaccine groups the EPI (free) covers, since when and where; every other group is a service (paid) "
        "vaccine. Not read by the CDSi engine. Source: ../shared/testdata/vn-epi-schedule.md §1-2.",
        "instruments": list(vn.INSTRUMENTS),
        "epi": list(vn.EPI_GROUPS),
        "service_only": [name for name, _, _ in vn.VACCINE_GROUPS if name not in epi],
    }


def file_name(antigen: Antigen) -> str:
    return f"AntigenSupportingData- {antigen.name}.xml"


def main(out: Path = OUT, terminology: Path = TERMINOLOGY) -> None:
    """Write every file; `out`/`terminology` differ from the repository's only in the up-to-date test."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("AntigenSupportingData- *.xml"):
        old.unlink()
    for antigen in vn.ANTIGENS:
        write_xml(antigen_xml(antigen), out / file_name(antigen))
    write_xml(schedule_xml(), out / "ScheduleSupportingData.xml")
    text = json.dumps(programmes(), ensure_ascii=False, indent=1)
    (out / "programmes.json").write_text(text + "\n", encoding="utf-8")
    terminology.mkdir(exist_ok=True)
    for name, resource in (
        ("CodeSystem-vn-vaccine.json", code_system()),
        ("ConceptMap-vn-vaccine-to-cvx.json", concept_map()),
    ):
        text = json.dumps(resource, ensure_ascii=False, indent=1)
        (terminology / name).write_text(text + "\n", encoding="utf-8")
    print(f"wrote {len(vn.ANTIGENS)} antigen files, ScheduleSupportingData.xml and 2 terminology resources")


if __name__ == "__main__":
    main()
