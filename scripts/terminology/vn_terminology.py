"""Writes the national terminology files in terminology/ (except the vaccine CodeSystem and its ConceptMap,
which scripts/schedules/vn_generate.py writes). Stdlib only; run `python3 scripts/terminology/vn_terminology.py`.
A test checks the committed files are what this writes."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from vn_units import NEW_PROVINCES, OLD_PROVINCES

BASE = "https://fhir.vn"
VERSION = "0.1.0"
CVX = "http://hl7.org/fhir/sid/cvx"
SERIOUSNESS = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
ROOT = Path(__file__).resolve().parents[2]

# CVX codes recorded in Vietnam beside the national product codes: every CVX the vaccine ConceptMap maps
# to, plus the vaccine types recorded when the product is unknown (historical records, bench/population).
EXTRA_CVX = {"102": "DTP-Hib-Hep B", "109": "pneumococcal, unspecified formulation"}

AEFI_REACTIONS: tuple[tuple[str, str, str], ...] = (
    ("fever", "Fever (≥ 38 °C)", "Sốt (≥ 38 °C)"),
    ("local-reaction", "Injection-site reaction (pain, redness, swelling)", "Phản ứng tại chỗ tiêm (đau, đỏ, sưng)"),
    ("severe-local-reaction", "Severe local reaction (swelling beyond the nearest joint or > 3 days)",
     "Phản ứng tại chỗ nặng (sưng lan quá khớp gần nhất hoặc > 3 ngày)"),
    ("abscess", "Injection-site abscess", "Áp xe tại chỗ tiêm"),
    ("bcg-lymphadenitis", "BCG lymphadenitis", "Viêm hạch do BCG"),
    ("bcg-osteitis", "BCG osteitis", "Viêm xương do BCG"),
    ("disseminated-bcg", "Disseminated BCG infection", "Nhiễm BCG lan tỏa"),
    ("allergic-reaction", "Allergic reaction (rash, urticaria, oedema)", "Phản ứng dị ứng (phát ban, mày đay, phù)"),
    ("anaphylaxis", "Anaphylaxis", "Sốc phản vệ"),
    ("febrile-seizure", "Febrile seizure", "Co giật do sốt"),
    ("afebrile-seizure", "Afebrile seizure", "Co giật không sốt"),
    ("hhe", "Hypotonic-hyporesponsive episode", "Giảm trương lực - giảm đáp ứng"),
    ("persistent-crying", "Persistent inconsolable crying (≥ 3 hours)", "Khóc thét kéo dài (≥ 3 giờ)"),
    ("encephalopathy", "Encephalopathy", "Bệnh não"),
    ("thrombocytopenia", "Thrombocytopenia", "Giảm tiểu cầu"),
    ("intussusception", "Intussusception", "Lồng ruột"),
    ("gbs", "Guillain-Barré syndrome", "Hội chứng Guillain-Barré"),
    ("vapp", "Vaccine-associated paralytic poliomyelitis", "Bại liệt liên quan đến vắc xin"),
    ("sepsis", "Sepsis", "Nhiễm khuẩn huyết"),
    ("toxic-shock", "Toxic shock syndrome", "Hội chứng sốc nhiễm độc"),
    ("death", "Death", "Tử vong"),
    ("other", "Other reaction (describe in text)", "Phản ứng khác (mô tả bằng chữ)"),
)  # fmt: skip

SERIOUSNESS_CODES: tuple[tuple[str, str, str], ...] = (
    ("Non-serious", "Non-serious", "Không nghiêm trọng"),
    ("Serious", "Serious", "Nghiêm trọng"),
    ("SeriousResultsInDeath", "Results in death", "Dẫn đến tử vong"),
    ("SeriousIsLifeThreatening", "Is life-threatening", "Đe dọa tính mạng"),
    ("SeriousResultsInHospitalization", "Requires or prolongs inpatient hospitalization", "Phải nhập viện"),
    ("SeriousResultsInDisability", "Results in persistent or significant disability", "Dẫn đến tàn tật"),
    ("SeriousIsBirthDefect", "Is a congenital anomaly/birth defect", "Dị tật bẩm sinh"),
    ("SeriousRequiresPreventImpairment", "Requires intervention to prevent permanent impairment",
     "Cần can thiệp để tránh tổn thương vĩnh viễn"),
)  # fmt: skip

ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
# Who brings a child and receives the reminders: HL7 v3 RoleCode family roles (mother or guardian first).
RELATIONSHIPS: tuple[tuple[str, str, str], ...] = (
    ("MTH", "mother", "Mẹ"),
    ("FTH", "father", "Bố (cha)"),
    ("PRN", "parent", "Cha hoặc mẹ"),
    ("GUARD", "guardian", "Người giám hộ"),
    ("GRMTH", "grandmother", "Bà"),
    ("GRFTH", "grandfather", "Ông"),
    ("GRPRN", "grandparent", "Ông hoặc bà"),
    ("SIB", "sibling", "Anh, chị, em"),
    ("FAMMEMB", "family member", "Người thân trong gia đình"),
)

FUNDING: tuple[tuple[str, str, str], ...] = (
    ("EPI", "Expanded Programme on Immunization (free of charge)", "Tiêm chủng mở rộng (miễn phí)"),
    ("service", "Vaccination service (paid by the family or an insurer)", "Tiêm chủng dịch vụ (có thu phí)"),
    ("campaign", "Vaccination campaign (free of charge)", "Chiến dịch tiêm chủng (miễn phí)"),
)

NAMING_SYSTEMS: tuple[tuple[str, str, str, str], ...] = (
    ("cccd", "Personal identification number (số định danh cá nhân, printed on the CCCD card)",
     "12 digits: 3-digit province-of-birth code (0 + the 2-digit province code, pre-2025 or current), "
     "1 century-and-sex digit (0/1 male/female born 1900-1999, 2/3 born 2000-2099, 4/5 2100-2199, ...), "
     "2 digits of the birth year, 6 random digits (Decree 137/2015/NĐ-CP, Circular 59/2021/TT-BCA).", "NI"),
    ("giay-khai-sinh", "Birth certificate number (giấy khai sinh)",
     "As printed by the commune People's Committee that registered the birth; free text, no national format.",
     "BCT"),
    ("bhyt", "Health insurance card number (mã thẻ bảo hiểm y tế, BHYT)",
     "15 characters since 2016 (Decision 1666/QĐ-BHXH): 2 letters (beneficiary group, e.g. TE = child under 6), "
     "1 digit (benefit level 1-5), 2 digits (province code of issue), 10 digits (social insurance number). "
     "Since 2024 the 10-digit social insurance number alone is also accepted.", "SN"),
)  # fmt: skip


def _meta(kind: str, id: str, name: str, title: str, description: str) -> dict[str, Any]:
    return {
        "resourceType": kind,
        "id": id,
        "url": f"{BASE}/{kind}/{id}",
        "version": VERSION,
        "name": name,
        "title": title,
        "status": "draft",
        "experimental": True,
        "publisher": "vn-immunization-registry project",
        "description": description,
    }


def _concept(code: str, en: str, vi: str, **props: Any) -> dict[str, Any]:
    concept: dict[str, Any] = {"code": code, "display": en, "designation": [{"language": "vi", "value": vi}]}
    if props:
        concept["property"] = [{"code": k, **v} for k, v in props.items()]
    return concept


def _code_system(id: str, name: str, title: str, description: str, concepts: list[dict[str, Any]],
                 properties: list[dict[str, Any]] | None = None, content: str = "complete") -> dict[str, Any]:  # fmt: skip
    cs = _meta("CodeSystem", id, name, title, description)
    cs.update({"caseSensitive": True, "content": content, "count": len(concepts)})
    if properties:
        cs["property"] = properties
    if concepts:
        cs["concept"] = concepts
    return cs


def _concept_map(id: str, name: str, title: str, description: str, source: str, target: str,
                 elements: list[dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    """A one-group map from CodeSystem/ValueSet `source` (an id here) to `target`."""
    cm = _meta("ConceptMap", id, name, title, description)
    cm.update({
        "sourceUri": f"{BASE}/ValueSet/{source}", "targetUri": f"{BASE}/ValueSet/{target}",
        "group": [{"source": f"{BASE}/CodeSystem/{source}", "target": f"{BASE}/CodeSystem/{target}",
                   "element": elements}],
    })  # fmt: skip
    return cm


def _value_set(id: str, name: str, title: str, description: str, include: list[dict[str, Any]]) -> dict[str, Any]:
    vs = _meta("ValueSet", id, name, title, description)
    vs["compose"] = {"include": include}
    return vs


COMMUNES_CSV = ROOT / "terminology" / "communes.csv"


def communes(path: Path) -> list[dict[str, Any]]:
    """The official commune list as CSV (UTF-8, header `code,name,province_code`): 5-digit commune codes of
    Decision 19/2025/QĐ-TTg, their names, and the 2-digit code of their (current) province."""
    provinces = {code for code, _, _ in NEW_PROVINCES}
    concepts: dict[str, dict[str, Any]] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            code, name, province = row["code"].strip(), row["name"].strip(), row["province_code"].strip().zfill(2)
            if not (code.isdigit() and len(code) == 5) or not name or province not in provinces:
                raise ValueError(f"{path}:{line}: bad row {row} (5-digit code, a name, a current province code)")
            if code in concepts:
                raise ValueError(f"{path}:{line}: commune code {code} twice")
            # No Vietnamese designation: the official name is the display (it is Vietnamese already).
            concepts[code] = {"code": code, "display": name,
                              "property": [{"code": "province", "valueCode": province}]}  # fmt: skip
    return list(concepts.values())


COMMUNES_2004_CSV = ROOT / "terminology" / "communes-2004.csv"


def former_communes(path: Path, current: dict[str, tuple[str, str]]) -> dict[str, dict[str, Any]]:
    """The communes until 30 June 2025 (CSV `code,name,district_code,province_code,successors`,
    successors `;`-separated, the default first) as a retired CodeSystem, and the ConceptMap to today's.
    `current`: today's commune code -> (name, province code). A successor lies in the province the former
    commune's province became part of (provinces merged whole)."""
    new_of_old = {old: new for new, _, olds in NEW_PROVINCES for old in olds}
    with path.open(encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))
    predecessors: dict[str, list[str]] = {}
    for row in table:
        province = new_of_old.get(row["province_code"])
        if province is None or any(current.get(s, ("", ""))[1] != province for s in row["successors"].split(";")):
            raise ValueError(f"{path}: {row['code']}: unknown province, or a successor not in {province}")
        for successor in row["successors"].split(";"):
            predecessors.setdefault(successor, []).append(row["code"])
    concepts = [{"code": r["code"], "display": r["name"], "property": [
        {"code": "status", "valueCode": "retired"}, {"code": "province", "valueCode": r["province_code"]},
        {"code": "district", "valueCode": r["district_code"]}]} for r in table]  # fmt: skip
    cs = _code_system(
        "vn-commune-2004", "VietnamCommunePre2025",
        "Communes, wards and towns of Vietnam until 30 June 2025 (10,035, retired)",
        "The commune-level units of the 63 provinces (GSO codes, Decision 124/2004/QĐ-TTg as amended) on 30 June "
        "2025, with their district: kept for records made before the reform. A code may also be a code of "
        "today's vn-commune with another meaning: the system says which list a code belongs to. Map to today's "
        "communes with ConceptMap vn-commune-2004-to-2025. Transcribed into terminology/communes-2004.csv "
        "(origin: terminology/README.md).",
        concepts, [{"code": "status", "type": "code", "description": "active | retired"},
                   {"code": "province", "type": "code", "description": "code in vn-province-2004"},
                   {"code": "district", "type": "code", "description": "code in vn-district-2004"}],
    )  # fmt: skip
    elements = []
    for row in table:
        successors = row["successors"].split(";")
        if len(successors) == 1:
            # `equivalent`: the same territory under today's code and name; `wider`: merged with others.
            only = predecessors[successors[0]] == [row["code"]]
            targets = [{"equivalence": "equivalent" if only else "wider"}]
        else:
            # A part that became a commune of its own is `narrower`; one merged with other communes only
            # overlaps the former commune: `inexact` (R4: both cover more than they share).
            targets = [{"equivalence": "narrower" if predecessors[s] == [row["code"]] else "inexact",
                        "comment": DEFAULT_PART if n == 0 else OTHER_PART}
                       for n, s in enumerate(successors)]  # fmt: skip
        elements.append({"code": row["code"], "display": row["name"], "target": [
            {"code": code, "display": current[code][0], **target} for code, target in zip(successors, targets, strict=True)]})  # fmt: skip
    cm = _concept_map("vn-commune-2004-to-2025", "VietnamCommunePre2025To2025",
        "Communes before the 2025 reform to today's communes",
        "Each of the 10,035 former communes to the commune(s) its territory became part of on 1 July 2025 "
        "(the resolutions of the National Assembly Standing Committee on the arrangement of commune-level "
        "units, 2025). A commune split between several lists each part (`narrower` when it became a commune "
        "of its own, else `inexact`), the default first: records of the former commune without a finer "
        "address are counted there.",
        "vn-commune-2004", "vn-commune", elements)  # fmt: skip
    return {"CodeSystem-vn-commune-2004": cs, "ConceptMap-vn-commune-2004-to-2025": cm}


def former_districts(path: Path) -> dict[str, dict[str, Any]]:
    """The 696 districts until 30 June 2025 (CSV `code,name,province_code`): a retired CodeSystem, and the
    ConceptMap to the province each is part of today (the district level was abolished on 1 July 2025)."""
    new_of_old = {old: new for new, _, olds in NEW_PROVINCES for old in olds}
    names = {code: name for code, name, _ in NEW_PROVINCES}
    with path.open(encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))
    if any(r["province_code"] not in new_of_old for r in table):
        raise ValueError(f"{path}: a district of an unknown province")
    cs = _code_system(
        "vn-district-2004", "VietnamDistrictPre2025", "Districts of Vietnam until 30 June 2025 (696, retired)",
        "The district-level units (quận, huyện, thị xã, thành phố thuộc tỉnh) on 30 June 2025, abolished by the "
        "2025 reform: kept for records made before it (district health centres kept the EPI registers). Map to "
        "today's province with ConceptMap vn-district-2004-to-2025.",
        [{"code": r["code"], "display": r["name"], "property": [{"code": "status", "valueCode": "retired"},
          {"code": "province", "valueCode": r["province_code"]}]} for r in table],
        [{"code": "status", "type": "code", "description": "active | retired"},
         {"code": "province", "type": "code", "description": "code in vn-province-2004"}],
    )  # fmt: skip
    elements = [{"code": r["code"], "display": r["name"], "target": [{
        "code": new_of_old[r["province_code"]], "display": names[new_of_old[r["province_code"]]],
        "equivalence": "wider"}]} for r in table]  # fmt: skip
    cm = _concept_map("vn-district-2004-to-2025", "VietnamDistrictPre2025To2025",
        "Districts before the 2025 reform to today's provinces",
        "Each of the 696 former districts to the province its territory is part of since 1 July 2025 "
        "(the province its former province became part of, Resolution 202/2025/QH15).",
        "vn-district-2004", "vn-province", elements)  # fmt: skip
    return {"CodeSystem-vn-district-2004": cs, "ConceptMap-vn-district-2004-to-2025": cm}


DEFAULT_PART = ("Part of the former commune; the default successor, where its records without a finer address "
                "are counted (Phần của xã cũ; nơi tính các hồ sơ không có địa chỉ chi tiết hơn)")
OTHER_PART = "Part of the former commune (Phần của xã cũ)"


def files(communes_csv: Path = COMMUNES_CSV, communes_2004_csv: Path = COMMUNES_2004_CSV) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    new_of_old = {old: new for new, _, olds in NEW_PROVINCES for old in olds}
    status = [{"code": "status", "type": "code", "description": "active | retired"}]
    out["CodeSystem-vn-province"] = _code_system(
        "vn-province", "VietnamProvince", "Provinces of Vietnam since 1 July 2025 (34)",
        "The 34 province-level units of Resolution 202/2025/QH15 with the codes of Decision 19/2025/QĐ-TTg.",
        [_concept(c, n, n, status={"valueCode": "active"}) for c, n, _ in NEW_PROVINCES], status,
    )  # fmt: skip
    out["CodeSystem-vn-province-2004"] = _code_system(
        "vn-province-2004", "VietnamProvincePre2025", "Provinces of Vietnam until 30 June 2025 (63, retired)",
        "The 63 province-level units before Resolution 202/2025/QH15, codes of Decision 124/2004/QĐ-TTg. "
        "Kept for records made before the reform and for the province digits of personal identification "
        "numbers, which never change. Map to today's provinces with ConceptMap vn-province-2004-to-2025.",
        [_concept(c, n, n, status={"valueCode": "retired"}) for c, n in OLD_PROVINCES], status,
    )  # fmt: skip
    listed = communes(communes_csv) if communes_csv.exists() else []
    out["CodeSystem-vn-commune"] = _code_system(
        "vn-commune", "VietnamCommune", "Communes, wards and special zones of Vietnam since 1 July 2025",
        "The 3,321 commune-level units since 1 July 2025 (Decision 19/2025/QĐ-TTg). "
        + ("Names and codes of the official list, transcribed into terminology/communes.csv (origin: "
           "terminology/README.md). " if listed else
           "The official list is not shipped (no offline source): put it in terminology/communes.csv and run "
           "scripts/terminology/vn_terminology.py (see terminology/README.md). ")
        + "Each code's `province` property names its province in vn-province.",
        listed, [{"code": "province", "type": "code", "description": "code in vn-province"}],
        content="complete" if listed else "not-present",
    )  # fmt: skip
    group = []
    merged = {new: olds for new, _, olds in NEW_PROVINCES}
    for old, name in OLD_PROVINCES:
        new = new_of_old[old]
        new_name = next(n for c, n, _ in NEW_PROVINCES if c == new)
        # `wider`: today's province is more than the old one (R4: the target is wider than the source).
        group.append({"code": old, "display": name, "target": [{
            "code": new, "display": new_name, "equivalence": "equal" if merged[new] == (old,) else "wider"}]})  # fmt: skip
    cm = _concept_map("vn-province-2004-to-2025", "VietnamProvincePre2025To2025",
        "Provinces before the 2025 reform to today's provinces",
        "Each of the 63 former provinces to the province it became part of (Resolution 202/2025/QH15).",
        "vn-province-2004", "vn-province", group)  # fmt: skip
    out["ConceptMap-vn-province-2004-to-2025"] = cm
    if communes_2004_csv.exists() and listed:
        today = {c["code"]: (c["display"], c["property"][0]["valueCode"]) for c in listed}
        out.update(former_communes(communes_2004_csv, today))
        out.update(former_districts(communes_2004_csv.with_name("districts-2004.csv")))
    out["CodeSystem-vn-aefi-reaction"] = _code_system(
        "vn-aefi-reaction", "VietnamAefiReaction", "Adverse events following immunization: reactions",
        "Reactions reported after immunization (WHO AEFI surveillance categories; Vietnamese labels after "
        "Circular 51/2017/TT-BYT and Decision 1830/QĐ-BYT). Project codes until the Ministry publishes its own.",
        [_concept(c, en, vi) for c, en, vi in AEFI_REACTIONS],
    )  # fmt: skip
    out["CodeSystem-vn-funding-source"] = _code_system(
        "vn-funding-source", "VietnamFundingSource", "Who pays for a dose",
        "EPI (free), service (paid) or campaign (free). Maps onto HL7 immunization-funding-source: EPI and "
        "campaign are `public`, service is `private`.",
        [_concept(c, en, vi) for c, en, vi in FUNDING],
    )  # fmt: skip
    for id, name, title, desc, include in (
        ("vn-province", "VietnamProvinceVS", "Provinces since 1 July 2025", "All codes of vn-province.",
         [{"system": f"{BASE}/CodeSystem/vn-province"}]),
        ("vn-province-2004", "VietnamProvincePre2025VS", "Provinces until 30 June 2025",
         "All codes of vn-province-2004.", [{"system": f"{BASE}/CodeSystem/vn-province-2004"}]),
        ("vn-province-any", "VietnamProvinceAnyVS", "Provinces before or after the 2025 reform",
         "Today's and the former provinces (the province digits of a personal identification number).",
         [{"system": f"{BASE}/CodeSystem/vn-province"}, {"system": f"{BASE}/CodeSystem/vn-province-2004"}]),
        ("vn-commune", "VietnamCommuneVS", "Communes since 1 July 2025",
         "All codes of vn-commune (the 3,321 communes, wards and special zones).",
         [{"system": f"{BASE}/CodeSystem/vn-commune"}]),
        ("vn-commune-2004", "VietnamCommunePre2025VS", "Communes until 30 June 2025",
         "All codes of vn-commune-2004 (the 10,035 former communes, wards and towns, retired).",
         [{"system": f"{BASE}/CodeSystem/vn-commune-2004"}]),
        ("vn-district-2004", "VietnamDistrictPre2025VS", "Districts until 30 June 2025",
         "All codes of vn-district-2004 (the 696 former districts, retired).",
         [{"system": f"{BASE}/CodeSystem/vn-district-2004"}]),
        ("vn-aefi-reaction", "VietnamAefiReactionVS", "AEFI reactions", "All codes of vn-aefi-reaction.",
         [{"system": f"{BASE}/CodeSystem/vn-aefi-reaction"}]),
        ("vn-funding-source", "VietnamFundingSourceVS", "Funding source of a dose",
         "All codes of vn-funding-source.", [{"system": f"{BASE}/CodeSystem/vn-funding-source"}]),
        ("vn-aefi-seriousness", "VietnamAefiSeriousnessVS", "Seriousness of an adverse event",
         "HL7's adverse-event-seriousness codes with Vietnamese designations.",
         [{"system": SERIOUSNESS, "concept": [
             {"code": c, "display": en, "designation": [{"language": "vi", "value": vi}]}
             for c, en, vi in SERIOUSNESS_CODES]}]),
        ("vn-related-person-relationship", "VietnamRelatedPersonRelationshipVS",
         "Who a related person is to the child",
         "Mother, father, parent, guardian, grandparent, sibling or other family member (HL7 v3 RoleCode), with "
         "Vietnamese designations: the person who brings the child and receives the reminders.",
         [{"system": ROLE_CODE, "concept": [
             {"code": c, "display": en, "designation": [{"language": "vi", "value": vi}]}
             for c, en, vi in RELATIONSHIPS]}]),
    ):  # fmt: skip
        out[f"ValueSet-{id}"] = _value_set(id, name, title, desc, include)
    cvx_map = json.loads((ROOT / "terminology" / "ConceptMap-vn-vaccine-to-cvx.json").read_text("utf-8"))
    cvx = {t["code"]: t["display"] for e in cvx_map["group"][0]["element"] for t in e["target"] if "code" in t}
    cvx.update(EXTRA_CVX)
    out["ValueSet-vn-vaccine"] = _value_set(
        "vn-vaccine", "VietnamVaccineVS", "Vaccines recorded in Vietnam",
        "Every national product code (vn-vaccine) and the CVX vaccine types they map to, plus the CVX types "
        "recorded when the product is unknown. A record should carry the product code; CVX alone is accepted.",
        [{"system": f"{BASE}/CodeSystem/vn-vaccine"},
         {"system": CVX, "concept": [{"code": c, "display": d} for c, d in sorted(cvx.items())]}],
    )  # fmt: skip
    for id, title, desc, v2 in NAMING_SYSTEMS:
        ns = {
            "resourceType": "NamingSystem", "id": id, "name": id.replace("-", "_").upper(), "status": "draft",
            "kind": "identifier", "date": "2026-11-27", "publisher": "vn-immunization-registry project",
            "description": f"{title}. {desc}",
            "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": v2}]},
            "jurisdiction": [{"coding": [{"system": "urn:iso:std:iso:3166", "code": "VN"}]}],
            "uniqueId": [{"type": "uri", "value": f"{BASE}/sid/{id}", "preferred": True}],
        }  # fmt: skip
        out[f"NamingSystem-{id}"] = ns
    return out


def dump(resource: dict[str, Any]) -> str:
    return json.dumps(resource, ensure_ascii=False, indent=1) + "\n"


def main(target: Path = ROOT / "terminology", communes_csv: Path = COMMUNES_CSV,
         communes_2004_csv: Path = COMMUNES_2004_CSV) -> None:  # fmt: skip
    target.mkdir(parents=True, exist_ok=True)
    for name, resource in files(communes_csv, communes_2004_csv).items():
        (target / f"{name}.json").write_text(dump(resource), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "terminology")
