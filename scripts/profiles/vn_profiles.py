"""Writes the national profiles in profiles/ (StructureDefinitions with differentials). Stdlib only; run
`python3 scripts/profiles/vn_profiles.py`. A test checks the committed files are what this writes.

What the server's profile checker (fhir_server/model/profile_checker.py) reads from a differential: `min`,
`max`, `fixed[x]`/`pattern[x]`, `binding` (required -> enforced, others documented), `type.targetProfile` of
References, and `constraint` (FHIRPath, evaluated with the resource as context). Each constraint carries its
Vietnamese text and the element it is about in two extensions (the issue's `expression`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "terminology"))
from vn_units import OLD_PROVINCES  # noqa: E402

BASE = "https://fhir.vn"
VERSION = "0.1.0"
ROOT = Path(__file__).resolve().parents[2]
VI = f"{BASE}/StructureDefinition/constraint-vi"
LOCATION = f"{BASE}/StructureDefinition/constraint-location"
CCCD = f"{BASE}/sid/cccd"
BHYT = f"{BASE}/sid/bhyt"
VN_VACCINE_CS = f"{BASE}/CodeSystem/vn-vaccine"
# One regular expression rather than `in ('001' | ... )`: fhirpathpy evaluates the 63-way union ~25x slower.
PROVINCE_DIGITS = "|".join(code for code, _ in OLD_PROVINCES)


def _vs(id: str) -> str:
    return f"{BASE}/ValueSet/{id}"


def constraint(key: str, location: str, en: str, vi: str, expression: str) -> dict[str, Any]:
    return {
        "extension": [{"url": VI, "valueString": vi}, {"url": LOCATION, "valueString": location}],
        "key": key,
        "severity": "error",
        "human": en,
        "expression": expression,
    }


def cccd_constraints(prefix: str, rt: str) -> list[dict[str, Any]]:
    """The personal identification number's structure (Circular 59/2021/TT-BCA): province of birth, century
    and sex, year of birth. Province digits may be a pre-2025 code: people keep their number."""
    ids = f"identifier.where(system='{CCCD}')"
    loc = f"{rt}.identifier"
    return [
        constraint(f"{prefix}-cccd-1", loc, "A personal identification number (CCCD) is 12 digits",
                   "Số định danh cá nhân (CCCD) gồm 12 chữ số", f"{ids}.all(value.matches('^[0-9]{{12}}$'))"),
        constraint(f"{prefix}-cccd-2", loc, "At most one personal identification number (CCCD)",
                   "Chỉ được có một số định danh cá nhân (CCCD)", f"{ids}.count() <= 1"),
        constraint(f"{prefix}-cccd-3", loc,
                   "The first 3 digits of the CCCD must be a province code (current or pre-2025)",
                   "3 chữ số đầu của CCCD phải là mã tỉnh (hiện hành hoặc trước 2025)",
                   f"{ids}.all(value.matches('^[0-9]{{12}}$') implies value.matches('^0({PROVINCE_DIGITS})'))"),
        constraint(f"{prefix}-cccd-4", loc,
                   "The 4th CCCD digit must match the century of birthDate and the gender "
                   "(0/1 male/female born 1900-1999, 2/3 born 2000-2099)",
                   "Chữ số thứ 4 của CCCD phải khớp với thế kỷ sinh (birthDate) và giới tính "
                   "(0/1 nam/nữ sinh 1900-1999, 2/3 sinh 2000-2099)",
                   f"({ids}.exists() and birthDate.exists()) implies {ids}.all(value.matches('^[0-9]{{12}}$') "
                   "implies ((value.substring(3, 1).toInteger() div 2) = "
                   "(%resource.birthDate.toString().substring(0, 2).toInteger() - 19) and "
                   "((%resource.gender.exists() and (%resource.gender = 'male' or %resource.gender = 'female')) implies "
                   "(value.substring(3, 1).toInteger() mod 2) = iif(%resource.gender = 'female', 1, 0))))"),
        constraint(f"{prefix}-cccd-5", loc, "CCCD digits 5-6 must be the last two digits of the birth year",
                   "Chữ số thứ 5-6 của CCCD phải là hai số cuối của năm sinh",
                   f"({ids}.exists() and birthDate.exists()) implies {ids}.all(value.matches('^[0-9]{{12}}$') "
                   "implies value.substring(4, 2) = %resource.birthDate.toString().substring(2, 2))"),
        constraint(f"{prefix}-bhyt-1", loc,
                   "A health insurance number (BHYT) is 2 letters, a benefit digit 1-5, a 2-digit province code "
                   "and the 10-digit social insurance number, or those 10 digits alone",
                   "Mã thẻ BHYT gồm 2 chữ cái, 1 chữ số mức hưởng (1-5), 2 chữ số mã tỉnh và 10 chữ số mã số "
                   "BHXH, hoặc chỉ 10 chữ số mã số BHXH",
                   f"identifier.where(system='{BHYT}').all(value.matches('^([A-Z]{{2}}[1-5][0-9]{{2}})?[0-9]{{10}}$'))"),
    ]  # fmt: skip


def el(path: str, **rules: Any) -> dict[str, Any]:
    return {"id": path, "path": path, **rules}


def required(vs: str) -> dict[str, Any]:
    return {"strength": "required", "valueSet": _vs(vs)}


def ref(*types: str) -> list[dict[str, Any]]:
    return [{"code": "Reference", "targetProfile": [f"http://hl7.org/fhir/StructureDefinition/{t}" for t in types]}]


def profile(id: str, rt: str, title: str, description: str, elements: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "StructureDefinition",
        "id": id,
        "url": f"{BASE}/StructureDefinition/{id}",
        "version": VERSION,
        "name": "".join(part.capitalize() for part in id.split("-")),
        "title": title,
        "status": "draft",
        "experimental": True,
        "publisher": "vn-immunization-registry project",
        "description": description,
        "fhirVersion": "4.0.1",
        "kind": "resource",
        "abstract": False,
        "type": rt,
        "baseDefinition": f"http://hl7.org/fhir/StructureDefinition/{rt}",
        "derivation": "constraint",
        "differential": {"element": elements},
    }


def extension(id: str, title: str, description: str, context: str, vs: str) -> dict[str, Any]:
    sd = profile(id, "Extension", title, description, [
        el("Extension", max="1"),
        el("Extension.url", fixedUri=f"{BASE}/StructureDefinition/{id}"),
        el("Extension.value[x]", min=1, type=[{"code": "Coding"}], binding=required(vs)),
    ])  # fmt: skip
    sd["kind"] = "complex-type"
    sd["context"] = [{"type": "element", "expression": context}]
    return sd


NEW_RECORD = "(status = 'completed' and primarySource = true)"


def files() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    out["vn-province"] = extension(
        "vn-province", "Province (coded)", "The province of an address, coded (vn-province, since July 2025).",
        "Address", "vn-province")  # fmt: skip
    out["vn-commune"] = extension(
        "vn-commune", "Commune (coded)", "The commune/ward of an address, coded (vn-commune, since July 2025).",
        "Address", "vn-commune")  # fmt: skip
    out["vn-patient"] = profile("vn-patient", "Patient", "Patient (Vietnam immunization registry)",
        "A person with a lifelong immunization record: identified by CCCD, birth certificate or BHYT number; "
        "name in Vietnamese order (family = họ, given = tên đệm + tên); home address with its province.", [
        el("Patient", constraint=[*cccd_constraints("vn-pat", "Patient"),
            constraint("vn-pat-name", "Patient.name", "An official name has a family name and a given name",
                       "Họ tên chính thức phải có họ và tên",
                       "name.where(use = 'official').all(family.exists() and given.exists())"),
            constraint("vn-pat-addr", "Patient.address", "A home address names its province (state)",
                       "Địa chỉ thường trú phải có tỉnh/thành phố (state)",
                       "address.where(use = 'home').all(state.exists())")]),
        el("Patient.identifier", min=1),
        el("Patient.name", min=1),
        el("Patient.gender", min=1),
        el("Patient.birthDate", min=1),
    ])  # fmt: skip
    out["vn-related-person"] = profile("vn-related-person", "RelatedPerson",
        "Mother or guardian (Vietnam immunization registry)",
        "The person who brings the child and receives reminders: relationship coded, name, a phone number.", [
        el("RelatedPerson", constraint=[*cccd_constraints("vn-rp", "RelatedPerson"),
            constraint("vn-rp-phone", "RelatedPerson.telecom", "A phone number for reminders is required",
                       "Cần số điện thoại để nhắc lịch tiêm", "telecom.where(system = 'phone').exists()"),
            constraint("vn-rp-phone-2", "RelatedPerson.telecom",
                       "A Vietnamese phone number: +84 or 0 followed by 9 or 10 digits",
                       "Số điện thoại Việt Nam: +84 hoặc 0 và 9-10 chữ số",
                       "telecom.where(system = 'phone').all(value.matches('^([+]84|0)[0-9]{9,10}$'))")]),
        el("RelatedPerson.relationship", min=1, binding=required("vn-related-person-relationship")),
        el("RelatedPerson.name", min=1),
        el("RelatedPerson.telecom", min=1),
    ])  # fmt: skip
    out["vn-immunization"] = profile("vn-immunization", "Immunization", "Immunization (Vietnam)",
        "One dose. The vaccine is coded from the national value set (product code preferred). A dose recorded "
        "by the one who gave it (primarySource = true, status = completed) also names the lot and its expiry, "
        "the manufacturer (or a national product code, which implies it), the funding source, the "
        "performing organisation and the location. Historical records (primarySource = false) need not.", [
        el("Immunization", constraint=[
            constraint("vn-imm-1", "Immunization.performer",
                       "A dose given here names the performing Organization (performer.actor)",
                       "Mũi tiêm ghi nhận tại nơi tiêm phải có cơ sở tiêm (performer.actor là Organization)",
                       f"{NEW_RECORD} implies performer.where(actor.reference.startsWith('Organization/')).exists()"),
            constraint("vn-imm-2", "Immunization.location", "A dose given here names its location",
                       "Mũi tiêm ghi nhận tại nơi tiêm phải có địa điểm tiêm", f"{NEW_RECORD} implies location.exists()"),
            constraint("vn-imm-3", "Immunization.lotNumber", "A dose given here names its lot number",
                       "Mũi tiêm ghi nhận tại nơi tiêm phải có số lô", f"{NEW_RECORD} implies lotNumber.exists()"),
            constraint("vn-imm-4", "Immunization.expirationDate", "A dose given here names the lot's expiry date",
                       "Mũi tiêm ghi nhận tại nơi tiêm phải có hạn dùng của lô",
                       f"{NEW_RECORD} implies expirationDate.exists()"),
            constraint("vn-imm-5", "Immunization.manufacturer",
                       "A dose given here names its manufacturer or carries a national product code",
                       "Mũi tiêm ghi nhận tại nơi tiêm phải có nhà sản xuất hoặc mã sản phẩm vắc xin quốc gia",
                       f"{NEW_RECORD} implies (manufacturer.exists() or "
                       f"vaccineCode.coding.where(system = '{VN_VACCINE_CS}').exists())"),
            constraint("vn-imm-6", "Immunization.fundingSource",
                       "A dose given here names its funding source (EPI, service or campaign)",
                       "Mũi tiêm ghi nhận tại nơi tiêm phải có nguồn kinh phí (TCMR, dịch vụ hoặc chiến dịch)",
                       f"{NEW_RECORD} implies fundingSource.exists()"),
            constraint("vn-imm-7", "Immunization.protocolApplied",
                       "A completed dose names its dose number (protocolApplied.doseNumber)",
                       "Mũi tiêm đã thực hiện phải có số thứ tự mũi (protocolApplied.doseNumber)",
                       "status = 'completed' implies protocolApplied.exists()")]),
        el("Immunization.vaccineCode", binding=required("vn-vaccine")),
        el("Immunization.patient", type=ref("Patient")),
        el("Immunization.location", type=ref("Location")),
        el("Immunization.manufacturer", type=ref("Organization")),
        el("Immunization.fundingSource", binding=required("vn-funding-source")),
        el("Immunization.protocolApplied", max="1"),
    ])  # fmt: skip
    out["vn-immunization-recommendation"] = profile("vn-immunization-recommendation",
        "ImmunizationRecommendation", "Immunization recommendation (Vietnam)",
        "The forecast kept for each child ($immds-forecast): one recommendation per vaccine group, with its "
        "due date criteria; vaccine codes preferably from the national value set.", [
        el("ImmunizationRecommendation.patient", type=ref("Patient")),
        el("ImmunizationRecommendation.recommendation.vaccineCode",
           binding={"strength": "extensible", "valueSet": _vs("vn-vaccine")}),
    ])  # fmt: skip
    out["vn-aefi"] = profile("vn-aefi", "AdverseEvent", "Adverse event following immunization (AEFI)",
        "A reported AEFI: an actual event about a patient, its reaction coded, seriousness, outcome, who "
        "recorded it, and the suspected Immunization.", [
        el("AdverseEvent.actuality", fixedCode="actual"),
        el("AdverseEvent.subject", type=ref("Patient")),
        el("AdverseEvent.event", min=1, binding=required("vn-aefi-reaction")),
        el("AdverseEvent.date", min=1),
        el("AdverseEvent.recorder", min=1),
        el("AdverseEvent.seriousness", min=1, binding=required("vn-aefi-seriousness")),
        el("AdverseEvent.outcome", min=1),
        el("AdverseEvent.suspectEntity", min=1),
        el("AdverseEvent.suspectEntity.instance", type=ref("Immunization")),
    ])  # fmt: skip
    out["vn-organization"] = profile("vn-organization", "Organization", "Health organization (Vietnam)",
        "A vaccination point, health station, hospital or authority. Every organization but a government "
        "authority belongs to another (partOf), so that each station rolls up to its province; its address "
        "names its province. Rule vn-org-3, checked by the server on write (it reads the parents, so it is "
        "no FHIRPath constraint here): an organization below province level has partOf, and its chain of "
        "partOf parents reaches a province-level organization within 6 steps, without a loop; "
        "province level means a government authority (type govt) whose address carries a coded province "
        "(vn-province extension), e.g. a provincial CDC or Department of Health; a govt authority without a "
        "coded province is above province level (a national institute) and ends a chain without reaching "
        "one. When the organization's own address has a coded province, the province reached must be it.", [
        el("Organization", constraint=[
            constraint("vn-org-1", "Organization.partOf",
                       "An organization that is not a government authority (type govt) names its parent (partOf)",
                       "Cơ sở không phải cơ quan quản lý nhà nước (type govt) phải có đơn vị cấp trên (partOf)",
                       "type.coding.where(code = 'govt').exists() or partOf.exists()"),
            constraint("vn-org-2", "Organization.address", "The address names its province (state)",
                       "Địa chỉ phải có tỉnh/thành phố (state)", "address.all(state.exists())")]),
        el("Organization.identifier", min=1),
        el("Organization.name", min=1),
        el("Organization.address", min=1),
        el("Organization.partOf", type=ref("Organization")),
    ])  # fmt: skip
    out["vn-location"] = profile("vn-location", "Location", "Vaccination point (Vietnam)",
        "A vaccination point or room, managed by an organization; its address names its province. Rule "
        "vn-loc-2, checked by the server on write (it reads the parents, so it is no FHIRPath constraint "
        "here): a Location below province level has partOf, and its chain of partOf parents reaches a "
        "province-level Location within 6 steps, without a loop. Province level means a jurisdiction "
        "(physicalType jdn) whose address carries a coded province (vn-province extension) and no coded "
        "commune; a jurisdiction with neither (the country) is above province level and ends a chain "
        "without reaching one; a commune jurisdiction (coded commune) is below. When the Location's own "
        "address has a coded province, the province reached must be it.", [
        el("Location", constraint=[
            constraint("vn-loc-1", "Location.address", "The address names its province (state)",
                       "Địa chỉ phải có tỉnh/thành phố (state)", "address.state.exists()")]),
        el("Location.name", min=1),
        el("Location.address", min=1),
        el("Location.managingOrganization", min=1, type=ref("Organization")),
        el("Location.partOf", type=ref("Location")),
    ])  # fmt: skip
    return out


def dump(resource: dict[str, Any]) -> str:
    return json.dumps(resource, ensure_ascii=False, indent=1) + "\n"


def main(target: Path = ROOT / "profiles") -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name, resource in files().items():
        (target / f"StructureDefinition-{name}.json").write_text(dump(resource), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "profiles")
