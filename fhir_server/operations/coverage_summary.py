"""The coverage aggregate (issue 10 item 6): one derived row per child, kept exact by the store in the
same unit of work as every Patient and Immunization write (storage/base.py `Summarizer`), so that a
report reads one short row per child instead of every dose's index rows.

Two kinds of rows, both computed from index values only (the same values `CoverageData` reads):
- `DOSE_KIND`, key Immunization id, group patient id: a completed, dated Immunization of a known vaccine
  (local day, series it counts for, programme). Other Immunizations have no row.
- `CHILD_KIND`, key Patient id, group managing Organization id: a Patient with a birth date and a
  managing organization: birth day, sex and, for each dose indicator of `indicators.DOSES`, the day of the
  n-th dose (birth-dose window applied), its programme and the on-time deadline; whether the child was
  fully immunized before the first birthday. Everything in it is independent of the assessment date, so
  a report only compares it with that date (coverage_table.py).

The rows depend on `indicators.DOSES` and the vaccine catalog: change either and bump `VERSION` (the
kinds carry it), then run `fhir-server coverage rebuild`; until then reports compute from the index.
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Iterable, Mapping
from datetime import date, datetime, tzinfo

from fhir_server.definitions.vaccines import VaccineCatalog
from fhir_server.operations.indicators import DOSES, Dose, add_months, numbered
from fhir_server.storage.base import Columns, Summaries

VERSION = 1
DOSE_KIND = f"coverage-dose-v{VERSION}"
CHILD_KIND = f"coverage-child-v{VERSION}"
NOT_GIVEN = 2**31 - 1  # the day of a dose never given: later than any assessment date
PROGRAMS = ("EPI", "paid")  # stored as their position; -1: no dose
_DOSE = struct.Struct("<iBB")  # day ordinal, series bits, programme
_SERIES = ("bcg", "hepb", "dtp", "polio", "opv", "ipv", "mcv", "je")
_ANTIGENS = (("Tuberculosis", "bcg"), ("HepB", "hepb"), ("Pertussis", "dtp"), ("Polio", "polio"),
             ("Measles", "mcv"), ("Japanese Encephalitis", "je"))  # fmt: skip
# Child row: birth, then per dose indicator (day, programme, deadline), then FIC flag and first birthday;
# int32 little-endian, followed by the sex code as UTF-8.
WIDTH = 1 + 3 * len(DOSES) + 2
FIC_COLUMN = 1 + 3 * len(DOSES)


def _local_day(micros: str | int | float, tz: tzinfo) -> date:
    return datetime.fromtimestamp(int(micros) / 1_000_000, tz).date()


def _bits(antigens: frozenset[str], oral_polio: bool) -> int:
    series = {name for antigen, name in _ANTIGENS if antigen in antigens}
    if "polio" in series:
        series.add("opv" if oral_polio else "ipv")
    return sum(1 << n for n, name in enumerate(_SERIES) if name in series)


def _antigens_of(bits: int) -> tuple[frozenset[str], bool]:
    """The antigens and oral flag that give the same series as `bits` (indicators.series_of)."""
    names = {name for n, name in enumerate(_SERIES) if bits >> n & 1}
    antigens = frozenset(antigen for antigen, name in _ANTIGENS if name in names)
    return antigens, "opv" in names


def pack_dose(dose: Dose) -> bytes:
    """A dose row's value: day, the series it counts for, programme."""
    program = PROGRAMS.index(dose.program) if dose.program in PROGRAMS else 1
    return _DOSE.pack(dose.day.toordinal(), _bits(dose.antigens, dose.oral_polio), program)


class CoverageSummarizer:
    """The storage `Summarizer` of the coverage rows; also builds them all at once (`rebuild`)."""

    resource_types = frozenset({"Patient", "Immunization"})
    kinds = frozenset({DOSE_KIND, CHILD_KIND})
    listed = frozenset({DOSE_KIND})  # a child's doses; children are never listed by organization here

    def __init__(self, catalog: VaccineCatalog, tz: tzinfo) -> None:
        self._catalog = catalog
        self._tz = tz

    # --- pure: index values -> row values ---------------------------------------------------------

    def dose_row(self, columns: Columns) -> tuple[str, bytes] | None:
        """(patient id, value) of a countable Immunization, None otherwise."""
        if not any(str(s).partition("|")[2] == "completed" for s in columns.get("status", ())):
            return None
        patients, days = columns.get("patient", ()), columns.get("date", ())
        if not patients or not days:
            return None
        for token in columns.get("vaccine-code", ()):
            system, _, code = str(token).partition("|")
            facts = self._catalog.facts(system, code)
            if facts is not None:
                day = _local_day(days[0], self._tz)
                return str(patients[0]), pack_dose(Dose(day, facts.antigens, facts.oral_polio, facts.program))
        return None

    def patient_facts(self, columns: Columns) -> tuple[str, date, str] | None:
        """(managing organization id, birth day, sex) of a Patient that can be counted somewhere."""
        orgs, births = columns.get("organization", ()), columns.get("birthdate", ())
        if not orgs or not births:
            return None
        genders = columns.get("gender", ())
        sex = str(genders[0]).partition("|")[2] if genders else "unknown"
        return str(orgs[0]), _local_day(births[0], self._tz), sex

    @staticmethod
    def child_value(birth: date, sex: str, doses: Iterable[bytes]) -> bytes:
        unpacked = [_DOSE.unpack(value) for value in doses]
        series = numbered(
            Dose(date.fromordinal(day), *_antigens_of(bits), PROGRAMS[program])
            for day, bits, program in unpacked
        )
        row = array("i", [birth.toordinal()])
        for spec in DOSES:
            doses_of = series.get(spec.series, [])
            limit = spec.by_date_limit(birth)
            if limit is not None:
                doses_of = [d for d in doses_of if d.day < limit]
            nth = doses_of[spec.number - 1] if len(doses_of) >= spec.number else None
            day = NOT_GIVEN if nth is None else nth.day.toordinal()
            program = -1 if nth is None else PROGRAMS.index(nth.program)
            row.extend((day, program, spec.deadline(birth).toordinal()))
        first_birthday = add_months(birth, 12)
        before = {k: sum(1 for d in v if d.day < first_birthday) for k, v in series.items()}
        full = (
            before.get("bcg", 0) >= 1
            and before.get("dtp", 0) >= 3
            and before.get("polio", 0) >= 3
            and before.get("mcv", 0) >= 1
        )
        row.extend((int(full), first_birthday.toordinal()))
        if row.itemsize != 4:
            raise RuntimeError("int32 arrays expected")
        return row.tobytes() + sex.encode()

    # --- the Summarizer: one write or delete -------------------------------------------------------

    def __call__(self, rows: Summaries, resource_type: str, id: str, columns: Columns | None) -> None:
        if resource_type == "Immunization":
            old = rows.summary(DOSE_KIND, id)
            new = None if columns is None else self.dose_row(columns)
            if new is None:
                rows.delete_summary(DOSE_KIND, id)
            else:
                rows.put_summary(DOSE_KIND, id, new[0], new[1])
            if old is not None and old != new:
                self._refresh_child(rows, old[0])
            if new is not None and new != old and (old is None or old[0] != new[0]):
                self._refresh_child(rows, new[0])
            return
        facts = None if columns is None else self.patient_facts(columns)
        if facts is None:
            rows.delete_summary(CHILD_KIND, id)
            return
        org, birth, sex = facts
        doses = [value for _, _, value in rows.summaries(DOSE_KIND, id)]
        rows.put_summary(CHILD_KIND, id, org, self.child_value(birth, sex, doses))

    def _refresh_child(self, rows: Summaries, patient: str) -> None:
        current = rows.summary(CHILD_KIND, patient)
        if current is None:
            return  # no countable Patient (yet): its write will gather the doses
        org, value = current
        birth = date.fromordinal(struct.unpack_from("<i", value)[0])
        sex = value[4 * WIDTH :].decode()
        doses = [v for _, _, v in rows.summaries(DOSE_KIND, patient)]
        rows.put_summary(CHILD_KIND, patient, org, self.child_value(birth, sex, doses))

    # --- all at once -------------------------------------------------------------------------------

    def rebuild(
        self,
        rows: Summaries,
        patients: Mapping[str, Columns],
        immunizations: Iterable[tuple[str, Columns]],
    ) -> tuple[int, int]:
        """Replace every row from the given index values (all current Patients; all completed
        Immunizations, or more). Returns (children, doses)."""
        for kind in sorted(self.kinds):
            rows.clear_summaries(kind)
        doses: dict[str, dict[str, bytes]] = {}  # patient -> Immunization id -> value
        for id, columns in immunizations:  # the same one twice changes nothing
            found = self.dose_row(columns)
            if found is not None:
                rows.put_summary(DOSE_KIND, id, found[0], found[1])
                doses.setdefault(found[0], {})[id] = found[1]
        children = 0
        for id, columns in patients.items():
            facts = self.patient_facts(columns)
            if facts is not None:
                org, birth, sex = facts
                given = doses.get(id, {}).values()
                rows.put_summary(CHILD_KIND, id, org, self.child_value(birth, sex, given))
                children += 1
        return children, sum(len(d) for d in doses.values())
