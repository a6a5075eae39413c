"""Reading a child's stored ImmunizationRecommendation: which doses are due, from when, overdue since when.

The forecast upkeep keeps one recommendation per child (id `rec-<patient id>`) current on every
Immunization write; booking, reminders and recall lists only read it, through `read_recommendation`
(pure) and `RecommendationReader.for_patient` (one search over the storage contract).
Dates come from `recommendation[].dateCriterion` coded in LOINC: 30981-5 earliest date to give,
30980-7 date due (recommended), 59778-1 date overdue, 59777-3 latest date to give.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from fhir_server.services.resource_finder import ResourceFinder
from fhir_server.types import JsonResource

LOINC = "http://loinc.org"
VACCINE_GROUP_SYSTEM = "https://fhir.vn/CodeSystem/vaccine-group"  # the forecast's targetDisease codes
VaccineGroups = Callable[[str, str], frozenset[str]]  # (system, code) of a vaccine -> groups it covers
EARLIEST, DUE, OVERDUE, LATEST = "30981-5", "30980-7", "59778-1", "59777-3"
_DONE = frozenset({"complete", "immune", "contraindicated", "aged-out", "agedout"})


@dataclass(frozen=True, slots=True)
class DoseRecommendation:
    codes: frozenset[tuple[str, str]]  # (system, code) of vaccineCode and targetDisease codings
    label: str  # a short name for messages (the first coding's display or code, or the text)
    status: str  # forecastStatus code: due, overdue, not-due, complete, ...
    dose_number: str | None
    earliest: date | None
    due: date | None
    overdue: date | None
    latest: date | None
    # "epi" (free, the national programme) or "service" (paid), from the forecast's programme note in
    # `description`; None when the recommendation does not say (e.g. made by hand)
    programme: str | None = None

    @property
    def epi(self) -> bool:
        """Part of the national programme (or not known to be outside it)."""
        return self.programme != "service"

    @property
    def open(self) -> bool:
        """Still to be given (not complete, immune, contraindicated or aged out)."""
        return self.status not in _DONE

    def matches(self, codings: Iterable[tuple[str, str]]) -> bool:
        return any(coding in self.codes for coding in codings)

    def overdue_on(self, day: date) -> bool:
        if not self.open:
            return False
        if self.overdue is not None:
            return day >= self.overdue
        return self.status == "overdue"

    def due_within(self, day: date, days: int) -> bool:
        """Due date falls in [day, day + days] (and the dose is not overdue yet)."""
        if not self.open or self.due is None or self.overdue_on(day):
            return False
        return 0 <= (self.due - day).days <= days


def _codings(concepts: Iterable[JsonResource]) -> list[JsonResource]:
    return [c for concept in concepts for c in concept.get("coding", ())]


# The forecast's vaccine groups (targetDisease) as a Vietnamese SMS or a recall list names them.
GROUP_NAMES_VI = {
    "BCG": "Lao (BCG)",
    "DTaP/Tdap/Td": "Bạch hầu - Ho gà - Uốn ván",
    "HepA": "Viêm gan A",
    "HepB": "Viêm gan B",
    "Hib": "Hib",
    "HPV": "HPV",
    "Influenza": "Cúm",
    "Japanese Encephalitis": "Viêm não Nhật Bản",
    "Measles": "Sởi",
    "Meningococcal": "Não mô cầu",
    "Meningococcal B": "Não mô cầu B",
    "Mumps": "Quai bị",
    "Pneumococcal": "Phế cầu",
    "Polio": "Bại liệt",
    "Rotavirus": "Rota",
    "Rubella": "Rubella",
    "Typhoid": "Thương hàn",
    "Varicella": "Thủy đậu",
}


def _label(item: JsonResource) -> str:
    """A short name: the vaccine's text or display, else the vaccine group in Vietnamese, else a code."""
    for concept in item.get("vaccineCode", ()):
        if concept.get("text"):
            return str(concept["text"])
        for coding in concept.get("coding", ()):
            if coding.get("display"):
                return str(coding["display"])
    disease = item.get("targetDisease") or {}
    for coding in disease.get("coding", ()):
        if coding.get("system") == VACCINE_GROUP_SYSTEM and coding.get("code") in GROUP_NAMES_VI:
            return GROUP_NAMES_VI[str(coding["code"])]
    if disease.get("text"):
        return str(disease["text"])
    for concept in [*item.get("vaccineCode", ()), disease]:
        for coding in concept.get("coding", ()):
            if coding.get("code"):
                return str(coding["code"])
    return "vaccine"


def _status(item: JsonResource) -> str:
    for coding in item.get("forecastStatus", {}).get("coding", ()):
        if coding.get("code"):
            return str(coding["code"]).lower()
    return str(item.get("forecastStatus", {}).get("text", "")).lower()


def read_recommendation(resource: JsonResource) -> list[DoseRecommendation]:
    """One entry per `recommendation[]` of an ImmunizationRecommendation resource."""
    doses = []
    for item in resource.get("recommendation", ()):
        concepts = [
            *item.get("vaccineCode", ()),
            *([item["targetDisease"]] if "targetDisease" in item else []),
        ]
        codes = frozenset((str(c.get("system", "")), str(c.get("code", ""))) for c in _codings(concepts))
        dates: dict[str, date] = {}
        for criterion in item.get("dateCriterion", ()):
            value = criterion.get("value")
            for coding in criterion.get("code", {}).get("coding", ()):
                if coding.get("system") == LOINC and isinstance(value, str) and len(value) >= 10:
                    dates[str(coding.get("code"))] = date.fromisoformat(value[:10])
        dose = item.get("doseNumberPositiveInt", item.get("doseNumberString"))
        note = str(item.get("description", "")).lower()
        programme = "epi" if note.startswith("epi") else "service" if note.startswith("service") else None
        doses.append(
            DoseRecommendation(
                codes,
                _label(item),
                _status(item),
                None if dose is None else str(dose),
                dates.get(EARLIEST),
                dates.get(DUE),
                dates.get(OVERDUE),
                dates.get(LATEST),
                programme,
            )
        )
    return doses


def _no_groups(system: str, code: str) -> frozenset[str]:
    return frozenset()


class RecommendationReader:
    def __init__(self, finder: ResourceFinder, vaccine_groups: VaccineGroups = _no_groups) -> None:
        self._finder = finder
        self._groups = vaccine_groups

    def expand(self, codings: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """An Appointment's or a Slot's vaccine codings plus the vaccine groups they cover, as the
        forecast's targetDisease codings: VN-MRVAC then meets the stored Measles and Rubella doses."""
        given = list(codings)
        groups = {(VACCINE_GROUP_SYSTEM, g) for system, code in given for g in self._groups(system, code)}
        return [*given, *sorted(groups)]

    def for_patient(self, patient_id: str) -> list[DoseRecommendation] | None:
        """The doses of the child's newest recommendation; None when none is stored yet."""
        found = self._finder.all("ImmunizationRecommendation", [("patient", f"Patient/{patient_id}")])
        if not found:
            return None
        newest = max(found, key=lambda r: (str(r.get("date", "")), str(r.get("id", ""))))
        return read_recommendation(newest)
