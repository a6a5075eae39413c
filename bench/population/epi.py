"""Vietnam's EPI schedule as data (shared/testdata/vn-epi-schedule.md, Circulars 10/2024 and 52/2025).

Vaccines carry their CVX code; visits group the doses given together, with the age at which they are due
and the minimum gaps after earlier visits. Roll-outs (rotavirus, PCV, IPV2, Td) only apply to visits
due on or after their start date, optionally per province.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType


@dataclass(frozen=True)
class Vaccine:
    key: str
    cvx: str
    cvx_display: str
    text_vi: str
    route: tuple[str, str]  # v3-RouteOfAdministration code, display
    dose_ml: float
    lot_prefix: str
    series: str  # dose numbers count within a series (e.g. penta, DTP booster and Td share "dtp")
    series_vi: str


_IM = ("IM", "Injection, intramuscular")
_SC = ("SQ", "Injection, subcutaneous")
_ID = ("IDINJ", "Injection, intradermal")
_PO = ("PO", "Swallow, oral")

VACCINES: Mapping[str, Vaccine] = MappingProxyType(
    {
        v.key: v
        for v in (
            Vaccine("hepb", "08", "Hep B, adolescent or pediatric", "Vắc xin viêm gan B sơ sinh", _IM, 0.5,
                    "HB", "hepb-birth", "Viêm gan B sơ sinh"),
            Vaccine("bcg", "19", "BCG", "Vắc xin BCG (phòng lao)", _ID, 0.1, "BCG", "bcg", "Lao"),
            Vaccine("penta", "102", "DTP-Hib-Hep B", "Vắc xin 5 trong 1 (DPT-VGB-Hib)", _IM, 0.5,
                    "DPH", "dtp", "Bạch hầu - Ho gà - Uốn ván"),
            Vaccine("bopv", "178", "OPV bivalent", "Vắc xin bại liệt uống (bOPV)", _PO, 0.1, "OPV",
                    "bopv", "Bại liệt uống"),
            Vaccine("ipv", "10", "IPV", "Vắc xin bại liệt tiêm (IPV)", _IM, 0.5, "IPV", "ipv",
                    "Bại liệt tiêm"),
            Vaccine("rota", "119", "rotavirus, monovalent", "Vắc xin Rota (Rotavin-M1)", _PO, 2.0, "RTV",
                    "rota", "Tiêu chảy do Rota vi rút"),
            # EPI PCV product not confirmed in our sources: record the unspecified-formulation code.
            Vaccine("pcv", "109", "pneumococcal, unspecified formulation", "Vắc xin phế cầu", _IM, 0.5,
                    "PCV", "pcv", "Phế cầu"),
            Vaccine("measles", "05", "measles", "Vắc xin sởi", _SC, 0.5, "MVV", "measles", "Sởi"),
            Vaccine("mr", "04", "M/R", "Vắc xin sởi - rubella (MR)", _SC, 0.5, "MRV", "measles", "Sởi"),
            Vaccine("dtp", "01", "DTP", "Vắc xin DPT (bạch hầu - ho gà - uốn ván)", _IM, 0.5, "DPT",
                    "dtp", "Bạch hầu - Ho gà - Uốn ván"),
            Vaccine("je", "39", "Japanese encephalitis SC", "Vắc xin viêm não Nhật Bản (Jevax)", _SC, 0.5,
                    "JEV", "je", "Viêm não Nhật Bản"),
            Vaccine("td", "09", "Td (adult), adsorbed", "Vắc xin Td (bạch hầu - uốn ván)", _IM, 0.5,
                    "TDV", "dtp", "Bạch hầu - Ho gà - Uốn ván"),
        )
    }
)  # fmt: skip


@dataclass(frozen=True)
class Offer:
    """A vaccine offered at a visit, from `since` on (None: always), with per-province starts."""

    vaccine: str
    since: date | None = None
    province_since: Mapping[str, date] = field(default_factory=dict)

    def offered(self, on: date, province_code: str) -> bool:
        start = self.province_since.get(province_code, self.since)
        return start is None or on >= start


@dataclass(frozen=True)
class Visit:
    key: str
    offers: tuple[Offer, ...]
    age_months: int = 0
    after: tuple[tuple[str, int], ...] = ()  # (earlier visit, minimum days after it) when it happened
    at_birth: bool = False  # given at the birth hospital
    extra_miss: float = 0.0  # visits late in childhood are missed more often


_ROTA = Offer("rota", date(2024, 11, 1), {"01": date(2026, 1, 1)})  # phased; Hà Nội from 2026
_PCV = Offer(
    "pcv", date(2027, 1, 1), {"79": date(2026, 3, 1), "48": date(2026, 3, 1), "92": date(2026, 3, 1)}
)

VISITS: tuple[Visit, ...] = (
    Visit("birth", (Offer("hepb"), Offer("bcg")), at_birth=True),
    Visit("m2", (Offer("penta"), Offer("bopv"), _ROTA, _PCV), age_months=2),
    Visit("m3", (Offer("penta"), Offer("bopv"), _ROTA), age_months=3, after=(("m2", 28),)),
    Visit("m4", (Offer("penta"), Offer("bopv"), _PCV), age_months=4, after=(("m3", 28), ("m2", 28))),
    Visit("m5", (Offer("ipv"),), age_months=5),
    Visit("m9", (Offer("measles"), Offer("ipv", date(2024, 8, 1))), age_months=9, after=(("m5", 120),)),
    Visit("m12", (Offer("je"),), age_months=12),
    Visit("m12b", (Offer("je"),), age_months=12, after=(("m12", 7),)),
    Visit("m18", (Offer("dtp"), Offer("mr")), age_months=18, after=(("m4", 183), ("m9", 28))),
    Visit("m24", (Offer("je"),), age_months=24, after=(("m12b", 365), ("m12", 7)), extra_miss=0.08),
    Visit("y7", (Offer("td", date(2024, 8, 1)),), age_months=84, extra_miss=0.12),
)
