"""Vaccine codes of Vietnam's schedule: the CVX vaccine types it uses and the national product codes.

Source of truth for `schedules/vn/ScheduleSupportingData.xml` (cvxToAntigenMap, liveVirusConflicts) and for
`terminology/CodeSystem-vn-vaccine.json` / `terminology/ConceptMap-vn-vaccine-to-cvx.json`.
CVX short descriptions and antigen associations are copied from CDC's ScheduleSupportingData 4.64 (public
domain); the national products come from ../shared/testdata/vn-epi-schedule.md §2-3 (EPI and service
vaccines) and their Vietnamese labels.
"""

from __future__ import annotations

from dataclasses import dataclass

CODE_SYSTEM_URL = "https://fhir.vn/CodeSystem/vn-vaccine"
CONCEPT_MAP_URL = "https://fhir.vn/ConceptMap/vn-vaccine-to-cvx"
CVX_URL = "http://hl7.org/fhir/sid/cvx"

# CVX code -> (CDC short description, antigens), copied from CDC ScheduleSupportingData 4.64 for the
# antigens this schedule covers; 19 (BCG) is not in CDC's map and is added with the antigen Tuberculosis.
CVX: dict[str, tuple[str, tuple[str, ...]]] = {
    "01": ("DTP", ("Diphtheria", "Tetanus", "Pertussis")),
    "02": ("OPV", ("Polio",)),
    "03": ("MMR", ("Measles", "Mumps", "Rubella")),
    "04": ("M/R", ("Measles", "Rubella")),
    "05": ("measles", ("Measles",)),
    "06": ("rubella", ("Rubella",)),
    "07": ("mumps", ("Mumps",)),
    "08": ("Hep B, adolescent or pediatric", ("HepB",)),
    "09": ("Td (adult), adsorbed", ("Tetanus", "Diphtheria")),
    "10": ("IPV", ("Polio",)),
    "11": ("pertussis", ("Pertussis",)),
    "15": ("influenza, split (incl. purified surface antigen)", ("Influenza",)),
    "16": ("influenza, whole", ("Influenza",)),
    "17": ("Hib, unspecified formulation", ("Hib",)),
    "19": ("BCG", ("Tuberculosis",)),
    "20": ("DTaP", ("Diphtheria", "Tetanus", "Pertussis")),
    "21": ("varicella", ("Varicella",)),
    "22": ("DTP-Hib", ("Diphtheria", "Tetanus", "Pertussis", "Hib")),
    "25": ("Typhoid oral, live, attenuated", ("Typhoid",)),
    "28": ("DT (pediatric)", ("Diphtheria", "Tetanus")),
    "31": ("Hep A, pediatric, unspecified formulation", ("HepA",)),
    "33": ("pneumococcal polysaccharide PPV23", ("Pneumococcal",)),
    "35": ("tetanus toxoid, adsorbed", ("Tetanus",)),
    "38": ("rubella/mumps", ("Rubella", "Mumps")),
    "39": ("Japanese encephalitis SC", ("Japanese Encephalitis",)),
    "41": ("typhoid, parenteral", ("Typhoid",)),
    "42": ("Hep B, adolescent/high risk infant", ("HepB",)),
    "43": ("Hep B, adult", ("HepB",)),
    "44": ("Hep B, dialysis", ("HepB",)),
    "45": ("Hep B, unspecified formulation", ("HepB",)),
    "46": ("Hib (PRP-D)", ("Hib",)),
    "47": ("Hib (HbOC)", ("Hib",)),
    "48": ("Hib (PRP-T)", ("Hib",)),
    "49": ("Hib (PRP-OMP)", ("Hib",)),
    "50": ("DTaP-Hib", ("Diphtheria", "Tetanus", "Pertussis", "Hib")),
    "51": ("Hib-Hep B", ("Hib", "HepB")),
    "52": ("Hep A, adult", ("HepA",)),
    "62": ("HPV, quadrivalent", ("HPV",)),
    "74": ("rotavirus, tetravalent", ("Rotavirus",)),
    "83": ("Hep A, ped/adol, 2 dose", ("HepA",)),
    "84": ("Hep A, ped/adol, 3 dose", ("HepA",)),
    "85": ("Hep A, unspecified formulation", ("HepA",)),
    "88": ("influenza, unspecified formulation", ("Influenza",)),
    "89": ("polio, unspecified formulation", ("Polio",)),
    "91": ("typhoid, unspecified formulation", ("Typhoid",)),
    "94": ("MMRV", ("Measles", "Mumps", "Rubella", "Varicella")),
    "100": ("pneumococcal conjugate PCV 7", ("Pneumococcal",)),
    "101": ("Typhoid capsular polysaccharide", ("Typhoid",)),
    "102": ("DTP-Hib-Hep B", ("Diphtheria", "Tetanus", "Pertussis", "Hib", "HepB")),
    "104": ("Hep A-Hep B", ("HepA", "HepB")),
    "106": ("DTaP, 5 pertussis antigens", ("Diphtheria", "Tetanus", "Pertussis")),
    "107": ("DTaP, unspecified formulation", ("Diphtheria", "Tetanus", "Pertussis")),
    "108": ("meningococcal, unspecified formulation", ("Meningococcal",)),
    "109": ("pneumococcal, unspecified formulation", ("Pneumococcal",)),
    "110": ("DTaP-Hep B-IPV", ("Diphtheria", "Tetanus", "Pertussis", "HepB", "Polio")),
    "112": ("tetanus toxoid, unspecified formulation", ("Tetanus",)),
    "113": ("Td (adult) preservative free", ("Tetanus", "Diphtheria")),
    "114": ("meningococcal MCV4P", ("Meningococcal",)),
    "115": ("Tdap", ("Tetanus", "Diphtheria", "Pertussis")),
    "116": ("rotavirus, pentavalent", ("Rotavirus",)),
    "118": ("HPV, bivalent", ("HPV",)),
    "119": ("rotavirus, monovalent", ("Rotavirus",)),
    "120": ("DTaP-Hib-IPV", ("Diphtheria", "Tetanus", "Pertussis", "Hib", "Polio")),
    "122": ("rotavirus, unspecified formulation", ("Rotavirus",)),
    "129": ("Japanese Encephalitis, unspecified formulation", ("Japanese Encephalitis",)),
    "130": ("DTaP-IPV", ("Diphtheria", "Tetanus", "Pertussis", "Polio")),
    "132": ("DTaP-IPV-HIB-HEP B, historical", ("Diphtheria", "Tetanus", "Pertussis", "Polio", "Hib", "HepB")),
    "133": ("Pneumococcal conjugate PCV 13", ("Pneumococcal",)),
    "134": ("Japanese Encephalitis, VC", ("Japanese Encephalitis",)),
    "136": ("Meningococcal MCV4O", ("Meningococcal",)),
    "137": ("HPV, unspecified formulation", ("HPV",)),
    "138": ("Td (adult)", ("Tetanus", "Diphtheria")),
    "139": ("Td(adult) unspecified formulation", ("Tetanus", "Diphtheria")),
    "140": ("Influenza, split virus, trivalent, PF", ("Influenza",)),
    "141": ("Influenza, split virus, trivalent, preservative", ("Influenza",)),
    "142": ("tetanus toxoid, not adsorbed", ("Tetanus",)),
    "146": ("DTaP, IPV, Hib, HepB", ("Diphtheria", "Tetanus", "Pertussis", "Polio", "Hib", "HepB")),
    "147": ("meningococcal MCV4, unspecified formulation", ("Meningococcal",)),
    "150": ("Influenza, split virus, quadrivalent, PF", ("Influenza",)),
    "152": ("Pneumococcal Conjugate, unspecified formulation", ("Pneumococcal",)),
    "158": ("Influenza, split virus, quadrivalent, preservative", ("Influenza",)),
    "161": ("Influenza, injectable, quadrivalent, preservative free, pediatric", ("Influenza",)),
    "162": ("Meningococcal B, recombinant", ("Meningococcal B",)),
    "163": ("Meningococcal B, OMV", ("Meningococcal B",)),
    "164": ("meningococcal B, unspecified", ("Meningococcal B",)),
    "165": ("HPV9", ("HPV",)),
    "167": ("meningococcal, unknown serogroups", ("Meningococcal", "Meningococcal B")),
    "170": ("DTAP/IPV/HIB - non-US", ("Diphtheria", "Tetanus", "Pertussis", "Polio", "Hib")),
    "171": ("Influenza, MDCK, quadrivalent, PF", ("Influenza",)),
    "177": ("pneumococcal conjugate PCV10", ("Pneumococcal",)),
    "178": ("OPV bivalent", ("Polio",)),
    "179": ("OPV ,monovalent, unspecified", ("Polio",)),
    "182": ("OPV, Unspecified", ("Polio",)),
    "189": ("Hep B, adjuvanted", ("HepB",)),
    "190": ("Typhoid conjugate vaccine (TCV)", ("Typhoid",)),
    "193": ("Hep A-Hep B, pediatric/adolescent", ("HepA", "HepB")),
    "194": ("Influenza, Southern Hemisphere, unspecified formulation", ("Influenza",)),
    "195": ("DT, IPV adsorbed", ("Diphtheria", "Tetanus", "Polio")),
    "196": ("Td, adsorbed, preservative free, adult use, Lf unspecified", ("Tetanus", "Diphtheria")),
    "198": ("DTP-HepB-Hib Pentavalent Non-US", ("Diphtheria", "Tetanus", "Pertussis", "HepB", "Hib")),
    "200": ("Influenza, Southern Hemisphere, pediatric, preservative free", ("Influenza",)),
    "201": ("Influenza, Southern Hemisphere, preservative free", ("Influenza",)),
    "202": ("Influenza, Southern Hemisphere, quadrivalent, with preservative", ("Influenza",)),
    "203": ("Meningococcal Polysaccharide groups A, C, Y, W-135 TT Conjugate", ("Meningococcal",)),
    "215": ("Pneumococcal conjugate PCV 15", ("Pneumococcal",)),
    "216": ("Pneumococcal conjugate PCV 20", ("Pneumococcal",)),
    "220": ("HepB recombinant, 3-antigen, Al(OH)3", ("HepB",)),
    "316": (
        "meningococcal polysaccharide (MenACWY-TT conjugate), (MenB), PF",
        ("Meningococcal", "Meningococcal B"),
    ),
    "320": ("Influenza, MDCK, trivalent, preservative", ("Influenza",)),
    "324": ("Poliovirus, inactivated, fractional-dose (fIPV)", ("Polio",)),
    "328": ("Meningococcal oligosaccharide (MenACWY), (MenB), PF", ("Meningococcal", "Meningococcal B")),
    "331": ("Influenza, Southern Hemisphere, trivalent, PF", ("Influenza",)),
}

# Live vaccines given by injection: the 28-day rule between two of them (WHO; CDC's liveVirusConflicts).
# Oral live vaccines (OPV, rotavirus, oral typhoid) and BCG are not in CDC's conflict table either.
LIVE_INJECTED_CVX = ("03", "04", "05", "06", "07", "21", "38", "94")


@dataclass(frozen=True)
class Product:
    """A vaccine product used in Vietnam, with its national code (this project's placeholder)."""

    code: str
    display: str  # English, brand and generic
    display_vi: str
    manufacturer: str
    program: str  # "EPI" (free, Tiêm chủng mở rộng) or "service" (paid, dịch vụ)
    cvx: str | None  # nearest CVX; the CVX concept is always wider than the product (a brand)
    antigens: tuple[str, ...] = ()  # only for products without a CVX
    live_injected: bool = False  # only for products without a CVX
    note: str = ""

    def antigen_list(self) -> tuple[str, ...]:
        return CVX[self.cvx][1] if self.cvx else self.antigens

    def is_live_injected(self) -> bool:
        return self.cvx in LIVE_INJECTED_CVX if self.cvx else self.live_injected


_EPI = "EPI"
_SVC = "service"

PRODUCTS: tuple[Product, ...] = (
    # EPI (Tiêm chủng mở rộng), Circulars 10/2024 and 52/2025
    Product(
        "VN-GENE-HBVAX",
        "Gene-HBvax (hepatitis B, paediatric)",
        "Vắc xin viêm gan B sơ sinh Gene-HBvax",
        "Vabiotech (VN)",
        _EPI,
        "08",
    ),
    Product(
        "VN-EUVAX-B",
        "Euvax B (hepatitis B, paediatric)",
        "Vắc xin viêm gan B Euvax B",
        "LG Chem (KR)",
        _SVC,
        "08",
    ),
    Product(
        "VN-ENGERIX-B",
        "Engerix-B paediatric (hepatitis B)",
        "Vắc xin viêm gan B Engerix-B trẻ em",
        "GSK (BE)",
        _SVC,
        "08",
    ),
    Product(
        "VN-HEBERBIOVAC",
        "Heberbiovac HB (hepatitis B)",
        "Vắc xin viêm gan B Heberbiovac HB",
        "CIGB (CU)",
        _SVC,
        "08",
    ),
    Product("VN-BCG", "BCG vaccine (freeze-dried)", "Vắc xin BCG phòng lao", "IVAC (VN)", _EPI, "19"),
    Product(
        "VN-COMBE-FIVE",
        "ComBE Five (DTwP-HepB-Hib)",
        "Vắc xin 5 trong 1 ComBE Five (DPT-VGB-Hib)",
        "Biological E (IN)",
        _EPI,
        "198",
    ),
    Product(
        "VN-SII-PENTA",
        "Pentavac PFS (DTwP-HepB-Hib)",
        "Vắc xin 5 trong 1 SII (DPT-VGB-Hib)",
        "Serum Institute of India (IN)",
        _EPI,
        "198",
    ),
    Product(
        "VN-QUINVAXEM",
        "Quinvaxem (DTwP-HepB-Hib)",
        "Vắc xin 5 trong 1 Quinvaxem (DPT-VGB-Hib)",
        "Janssen/Berna (KR)",
        _EPI,
        "198",
        note="used in the EPI before ComBE Five",
    ),
    Product(
        "VN-BOPV",
        "bOPV (oral polio types 1 and 3)",
        "Vắc xin bại liệt uống bOPV",
        "Polyvac (VN)",
        _EPI,
        "178",
    ),
    Product("VN-IPV", "IPV (inactivated polio)", "Vắc xin bại liệt tiêm IPV", "Sanofi / SII", _EPI, "10"),
    Product(
        "VN-ROTAVIN-M1",
        "Rotavin-M1 (rotavirus, live, oral, monovalent G1P[8])",
        "Vắc xin Rota Rotavin-M1",
        "Polyvac (VN)",
        _EPI,
        "119",
    ),
    Product("VN-MVVAC", "MVVAC (measles, live)", "Vắc xin sởi MVVAC", "Polyvac (VN)", _EPI, "05"),
    Product(
        "VN-MRVAC", "MRVAC (measles-rubella, live)", "Vắc xin sởi - rubella MRVAC", "Polyvac (VN)", _EPI, "04"
    ),
    Product(
        "VN-DTP",
        "DTP vaccine (whole-cell pertussis)",
        "Vắc xin DPT (bạch hầu - ho gà - uốn ván)",
        "IVAC (VN)",
        _EPI,
        "01",
    ),
    Product(
        "VN-TD",
        "Td vaccine (tetanus, reduced diphtheria)",
        "Vắc xin Td (uốn ván - bạch hầu giảm liều)",
        "IVAC (VN)",
        _EPI,
        "09",
    ),
    Product(
        "VN-VAT", "VAT (tetanus toxoid, adsorbed)", "Vắc xin uốn ván hấp phụ VAT", "IVAC (VN)", _EPI, "35"
    ),
    Product(
        "VN-JEVAX",
        "Jevax (Japanese encephalitis, inactivated, mouse brain)",
        "Vắc xin viêm não Nhật Bản Jevax",
        "Vabiotech (VN)",
        _EPI,
        "39",
    ),
    # service (dịch vụ) vaccines, ../shared/testdata/vn-epi-schedule.md §3
    Product(
        "VN-INFANRIX-HEXA",
        "Infanrix Hexa (DTaP-HepB-IPV/Hib)",
        "Vắc xin 6 trong 1 Infanrix Hexa",
        "GSK (BE)",
        _SVC,
        "146",
    ),
    Product(
        "VN-HEXAXIM", "Hexaxim (DTaP-IPV-HepB-Hib)", "Vắc xin 6 trong 1 Hexaxim", "Sanofi (FR)", _SVC, "146"
    ),
    Product(
        "VN-PENTAXIM", "Pentaxim (DTaP-IPV/Hib)", "Vắc xin 5 trong 1 Pentaxim", "Sanofi (FR)", _SVC, "170"
    ),
    Product("VN-TETRAXIM", "Tetraxim (DTaP-IPV)", "Vắc xin 4 trong 1 Tetraxim", "Sanofi (FR)", _SVC, "130"),
    Product("VN-BOOSTRIX", "Boostrix (Tdap)", "Vắc xin Boostrix (Tdap)", "GSK (BE)", _SVC, "115"),
    Product("VN-ADACEL", "Adacel (Tdap)", "Vắc xin Adacel (Tdap)", "Sanofi (CA)", _SVC, "115"),
    Product("VN-ROTARIX", "Rotarix (rotavirus, monovalent)", "Vắc xin Rota Rotarix", "GSK (BE)", _SVC, "119"),
    Product(
        "VN-ROTATEQ", "RotaTeq (rotavirus, pentavalent)", "Vắc xin Rota RotaTeq", "MSD (US)", _SVC, "116"
    ),
    Product("VN-SYNFLORIX", "Synflorix (PCV10)", "Vắc xin phế cầu Synflorix", "GSK (BE)", _SVC, "177"),
    Product(
        "VN-PREVENAR-13", "Prevenar 13 (PCV13)", "Vắc xin phế cầu Prevenar 13", "Pfizer (US)", _SVC, "133"
    ),
    Product("VN-VAXNEUVANCE", "Vaxneuvance (PCV15)", "Vắc xin phế cầu Vaxneuvance", "MSD (US)", _SVC, "215"),
    Product(
        "VN-PREVENAR-20", "Prevenar 20 (PCV20)", "Vắc xin phế cầu Prevenar 20", "Pfizer (US)", _SVC, "216"
    ),
    Product(
        "VN-PNEUMOVAX-23", "Pneumovax 23 (PPSV23)", "Vắc xin phế cầu Pneumovax 23", "MSD (US)", _SVC, "33"
    ),
    Product(
        "VN-MMR-II",
        "M-M-R II (measles-mumps-rubella)",
        "Vắc xin sởi - quai bị - rubella M-M-R II",
        "MSD (US)",
        _SVC,
        "03",
    ),
    Product(
        "VN-PRIORIX",
        "Priorix (measles-mumps-rubella)",
        "Vắc xin sởi - quai bị - rubella Priorix",
        "GSK (BE)",
        _SVC,
        "03",
    ),
    Product("VN-VARIVAX", "Varivax (varicella)", "Vắc xin thủy đậu Varivax", "MSD (US)", _SVC, "21"),
    Product("VN-VARILRIX", "Varilrix (varicella)", "Vắc xin thủy đậu Varilrix", "GSK (BE)", _SVC, "21"),
    Product(
        "VN-BARYCELA", "Barycela (varicella)", "Vắc xin thủy đậu Barycela", "GC Biopharma (KR)", _SVC, "21"
    ),
    Product(
        "VN-VAXIGRIP-TETRA",
        "Vaxigrip Tetra (influenza, quadrivalent, split, PF)",
        "Vắc xin cúm Vaxigrip Tetra",
        "Sanofi (FR)",
        _SVC,
        "150",
    ),
    Product(
        "VN-INFLUVAC-TETRA",
        "Influvac Tetra (influenza, quadrivalent, subunit, PF)",
        "Vắc xin cúm Influvac Tetra",
        "Abbott (NL)",
        _SVC,
        "150",
    ),
    Product(
        "VN-GC-FLU",
        "GC Flu Quadrivalent (influenza, split, PF)",
        "Vắc xin cúm GC Flu",
        "GC Biopharma (KR)",
        _SVC,
        "150",
    ),
    Product(
        "VN-IVACFLU-S",
        "IVACFLU-S (influenza, seasonal, inactivated)",
        "Vắc xin cúm mùa IVACFLU-S",
        "IVAC (VN)",
        _SVC,
        "88",
        note="formulation not in CVX; mapped to influenza, unspecified",
    ),
    Product(
        "VN-AVAXIM-80",
        "Avaxim 80 (hepatitis A, paediatric)",
        "Vắc xin viêm gan A Avaxim 80",
        "Sanofi (FR)",
        _SVC,
        "31",
    ),
    Product(
        "VN-HAVAX",
        "Havax (hepatitis A, inactivated)",
        "Vắc xin viêm gan A Havax",
        "Vabiotech (VN)",
        _SVC,
        "85",
        note="label: from 24 months",
    ),
    Product(
        "VN-HAVRIX-720",
        "Havrix 720 Junior (hepatitis A, paediatric)",
        "Vắc xin viêm gan A Havrix 720",
        "GSK (BE)",
        _SVC,
        "83",
    ),
    Product(
        "VN-TWINRIX", "Twinrix (hepatitis A and B)", "Vắc xin viêm gan A + B Twinrix", "GSK (BE)", _SVC, "104"
    ),
    Product(
        "VN-VA-MENGOC-BC",
        "VA-Mengoc-BC (meningococcal B OMV + C polysaccharide)",
        "Vắc xin não mô cầu BC VA-Mengoc-BC",
        "Finlay Institute (CU)",
        _SVC,
        None,
        ("Meningococcal B",),
        note="no CVX; the serogroup C polysaccharide is not counted toward the ACWY conjugate series",
    ),
    Product(
        "VN-MENACTRA", "Menactra (MenACWY-D)", "Vắc xin não mô cầu ACYW Menactra", "Sanofi (US)", _SVC, "114"
    ),
    Product(
        "VN-MENQUADFI",
        "MenQuadfi (MenACWY-TT)",
        "Vắc xin não mô cầu ACYW MenQuadfi",
        "Sanofi (US)",
        _SVC,
        "203",
    ),
    Product(
        "VN-NIMENRIX", "Nimenrix (MenACWY-TT)", "Vắc xin não mô cầu ACYW Nimenrix", "Pfizer (BE)", _SVC, "203"
    ),
    Product("VN-BEXSERO", "Bexsero (MenB, 4C)", "Vắc xin não mô cầu B Bexsero", "GSK (IT)", _SVC, "163"),
    Product("VN-GARDASIL", "Gardasil (HPV4)", "Vắc xin HPV Gardasil", "MSD (US)", _SVC, "62"),
    Product("VN-GARDASIL-9", "Gardasil 9 (HPV9)", "Vắc xin HPV Gardasil 9", "MSD (US)", _SVC, "165"),
    Product(
        "VN-IMOJEV",
        "Imojev (Japanese encephalitis, live recombinant chimeric)",
        "Vắc xin viêm não Nhật Bản Imojev",
        "Sanofi (TH)",
        _SVC,
        None,
        ("Japanese Encephalitis",),
        live_injected=True,
        note="no CVX for live JE; nearest CVX 129 (JE, unspecified) loses 'live'",
    ),
    Product(
        "VN-JEEV",
        "JEEV (Japanese encephalitis, inactivated, Vero cell)",
        "Vắc xin viêm não Nhật Bản JEEV",
        "Biological E (IN)",
        _SVC,
        "134",
    ),
    Product(
        "VN-TYPHIM-VI",
        "Typhim Vi (typhoid Vi polysaccharide)",
        "Vắc xin thương hàn Typhim Vi",
        "Sanofi (FR)",
        _SVC,
        "101",
    ),
)

# Products with no antigen file yet: in the CodeSystem and ConceptMap only, not in the schedule.
UNSCHEDULED: tuple[Product, ...] = (
    Product(
        "VN-MORCVAX",
        "mORCVAX (oral cholera, bivalent whole cell)",
        "Vắc xin tả uống mORCVAX",
        "Vabiotech (VN)",
        _SVC,
        None,
        ("Cholera",),
        note="nearest CVX 173 (cholera, BivWC); no cholera antigen in schedules/vn yet",
    ),
    Product(
        "VN-QDENGA",
        "Qdenga (dengue, live, tetravalent, TAK-003)",
        "Vắc xin sốt xuất huyết Qdenga",
        "Takeda (DE)",
        _SVC,
        None,
        ("Dengue",),
        live_injected=True,
        note="no product CVX (56 is Dengvaxia); no dengue antigen in schedules/vn yet",
    ),
)

# ConceptMap targets for products whose `cvx` is None: (CVX, equivalence, comment).
NEAREST_CVX: dict[str, tuple[str, str]] = {
    "VN-IMOJEV": ("129", "wider"),
    "VN-MORCVAX": ("173", "wider"),
    "VN-QDENGA": ("330", "wider"),
}
NEAREST_CVX_DISPLAY = {
    "129": "Japanese Encephalitis, unspecified formulation",
    "173": "cholera, BivWC",
    "330": "Dengue Fever, Unspecified",
}


def products_for(cvx: str) -> tuple[Product, ...]:
    """National products that are a brand of this CVX vaccine type."""
    return tuple(p for p in PRODUCTS if p.cvx == cvx)


def product(code: str) -> Product:
    return next(p for p in PRODUCTS if p.code == code)
