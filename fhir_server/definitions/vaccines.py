"""What reports need to know of a vaccine code: the antigens it protects against, its programme (EPI, free,
or service, paid) and whether it is oral polio. Built once by `loader.load_vaccine_catalog` from the VN
schedule's vaccine table (CVX and national codes), the national CodeSystem and its ConceptMap to CVX."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

CVX = "http://hl7.org/fhir/sid/cvx"
VN_VACCINE = "https://fhir.vn/CodeSystem/vn-vaccine"


@dataclass(frozen=True, slots=True)
class VaccineFacts:
    antigens: frozenset[str]  # CDSi antigen names: "Pertussis", "Measles", "Polio", ...
    program: str  # "EPI" | "paid"
    oral_polio: bool


@dataclass(frozen=True, slots=True)
class VaccineCatalog:
    by_coding: Mapping[tuple[str, str], VaccineFacts]  # (system, code); CVX codes without leading zeros

    def facts(self, system: str, code: str) -> VaccineFacts | None:
        if system == CVX:
            code = code.lstrip("0") or "0"
        return self.by_coding.get((system, code))
