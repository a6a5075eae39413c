"""Deterministic synthetic Vietnamese population as FHIR R4 JSON (DESIGN.md §10).

`generate(patients, seed, reference_date)` yields Organizations and Locations (the national EPI
authority, provincial CDCs, birth hospitals, commune health stations), then for each child of the
last eight birth cohorts: the Patient (CCCD personal identification number, birth certificate), the mother
as a RelatedPerson with a phone, and the Immunizations that follow Vietnam's EPI schedule with realistic
lateness and gaps. Ids are client-assigned ("pat-000001", "rp-000001", "imm-000001-01", "org-0001",
"loc-0001"), so loading with PUT is idempotent. Command line: `python -m bench.population --help`.
"""

from __future__ import annotations

from bench.population.generator import REFERENCE_DATE, generate

__all__ = ["REFERENCE_DATE", "generate"]
