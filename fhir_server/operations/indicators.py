"""EPI coverage indicators over children's dose histories: pure, no I/O (definitions: docs/indicators.md).

Each child is counted once per indicator: in the denominator when old enough at the assessment date to
have had the dose on time, in the numerator when the dose was given by then (or on time). Doses are
numbered per series by distinct day (two records of one dose on one day count once).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass(frozen=True, slots=True)
class Dose:
    day: date  # local date the dose was given
    antigens: frozenset[str]
    oral_polio: bool
    program: str  # "EPI" | "paid"


@dataclass(frozen=True, slots=True)
class Child:
    id: str
    birth: date
    sex: str  # Patient.gender, "unknown" when missing
    doses: tuple[Dose, ...]
    unit: str = ""  # the reporting unit (commune) the child is counted in, for rankings


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


# series key -> which doses belong to it
def _series_of(dose: Dose) -> tuple[str, ...]:
    out: list[str] = []
    a = dose.antigens
    if "Tuberculosis" in a:
        out.append("bcg")
    if "HepB" in a:
        out.append("hepb")
    if "Pertussis" in a:
        out.append("dtp")  # DTP-containing: WHO counts DTP1/DTP3 this way
    if "Polio" in a:
        out.append("polio")
        out.append("opv" if dose.oral_polio else "ipv")
    if "Measles" in a:
        out.append("mcv")
    if "Japanese Encephalitis" in a:
        out.append("je")
    return tuple(out)


@dataclass(frozen=True, slots=True)
class DoseIndicator:
    code: str
    en: str
    vi: str
    series: str
    number: int  # the n-th dose of the series
    due_months: int  # the age at which the schedule gives it
    on_time_days: int | None = None  # deadline in days from birth (HepB birth dose), else due + 1 month

    def deadline(self, birth: date) -> date:
        """First day that is late: the dose is on time when given before it."""
        if self.on_time_days is not None:
            return birth + timedelta(days=self.on_time_days)
        return add_months(birth, self.due_months + 1)

    def by_date_limit(self, birth: date) -> date | None:
        """A birth dose only counts in its first 28 days; other doses at any age."""
        return birth + timedelta(days=28) if self.on_time_days is not None else None


DOSES: tuple[DoseIndicator, ...] = (
    DoseIndicator("BCG", "BCG", "Lao (BCG)", "bcg", 1, 0),
    DoseIndicator("HEPB-BD", "HepB birth dose (24 h)", "Viêm gan B sơ sinh (24 giờ)", "hepb", 1, 0, 2),
    DoseIndicator("PENTA1", "Penta 1 (DTP1)", "5 trong 1 mũi 1", "dtp", 1, 2),
    DoseIndicator("PENTA2", "Penta 2 (DTP2)", "5 trong 1 mũi 2", "dtp", 2, 3),
    DoseIndicator("PENTA3", "Penta 3 (DTP3)", "5 trong 1 mũi 3", "dtp", 3, 4),
    DoseIndicator("OPV1", "OPV 1", "Bại liệt uống lần 1", "opv", 1, 2),
    DoseIndicator("OPV2", "OPV 2", "Bại liệt uống lần 2", "opv", 2, 3),
    DoseIndicator("OPV3", "OPV 3", "Bại liệt uống lần 3", "opv", 3, 4),
    DoseIndicator("IPV1", "IPV 1", "Bại liệt tiêm mũi 1", "ipv", 1, 5),
    DoseIndicator("IPV2", "IPV 2", "Bại liệt tiêm mũi 2", "ipv", 2, 9),
    DoseIndicator("MCV1", "Measles 1 (MCV1, 9 months)", "Sởi mũi 1 (9 tháng)", "mcv", 1, 9),
    DoseIndicator("MR", "Measles-rubella (MCV2, 18 months)", "Sởi - Rubella (18 tháng)", "mcv", 2, 18),
    DoseIndicator("DTP4", "DTP 4 (booster, 18 months)", "DPT mũi 4 (18 tháng)", "dtp", 4, 18),
    DoseIndicator("JE1", "Japanese encephalitis 1", "Viêm não Nhật Bản mũi 1", "je", 1, 12),
    DoseIndicator("JE2", "Japanese encephalitis 2", "Viêm não Nhật Bản mũi 2", "je", 2, 13),
    DoseIndicator("JE3", "Japanese encephalitis 3", "Viêm não Nhật Bản mũi 3", "je", 3, 24),
)
BY_CODE = {d.code: d for d in DOSES}
# Dropout: (code, en, vi, first dose, last dose)
DROPOUTS: tuple[tuple[str, str, str, str, str], ...] = (
    ("DROPOUT-PENTA1-PENTA3", "Dropout Penta1 to Penta3", "Tỷ lệ bỏ mũi 5 trong 1 (1→3)", "PENTA1", "PENTA3"),
    ("DROPOUT-MCV1-MR", "Dropout MCV1 to MR", "Tỷ lệ bỏ mũi sởi (MCV1→MR)", "MCV1", "MR"),
)
FIC = ("FIC-12M", "Fully immunized child at 12 months", "Trẻ tiêm chủng đầy đủ lúc 12 tháng")


@dataclass(slots=True)
class Counts:
    initial: int = 0
    denominator: int = 0
    numerator: int = 0

    @property
    def score(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


@dataclass(slots=True)
class Indicator:
    code: str
    en: str
    vi: str
    kind: str  # "coverage" | "timely" | "fic" | "dropout"
    total: Counts = field(default_factory=Counts)
    by_sex: dict[str, Counts] = field(default_factory=dict)
    by_program: dict[str, Counts] = field(default_factory=dict)  # numerator by the counted dose's programme


def numbered(doses: Iterable[Dose]) -> dict[str, list[Dose]]:
    """Each series' doses in order, one per day (of two records on one day, the EPI one: so that the
    answer never depends on the order records are read in)."""
    series: dict[str, list[Dose]] = {}
    for dose in sorted(doses, key=lambda d: (d.day, d.program)):
        for key in _series_of(dose):
            doses = series.setdefault(key, [])
            if not doses or doses[-1].day != dose.day:
                doses.append(dose)
    return series


def _nth(series: dict[str, list[Dose]], spec: DoseIndicator, birth: date, on: date) -> Dose | None:
    doses = [d for d in series.get(spec.series, ()) if d.day <= on]
    limit = spec.by_date_limit(birth)
    if limit is not None:
        doses = [d for d in doses if d.day < limit]
    return doses[spec.number - 1] if len(doses) >= spec.number else None


def _add(indicator: Indicator, child: Child, eligible: bool, counted: bool, program: str | None) -> None:
    for counts in (indicator.total, indicator.by_sex.setdefault(child.sex, Counts())):
        counts.initial += 1
        counts.denominator += int(eligible)
        counts.numerator += int(eligible and counted)
    if eligible and counted and program is not None:
        indicator.by_program.setdefault(program, Counts()).numerator += 1


def compute(children: Iterable[Child], on: date) -> list[Indicator]:
    """The indicators for `children` at assessment date `on`, in report order."""
    doses = {d.code: (Indicator(d.code, d.en, d.vi, "coverage"), Indicator(f"{d.code}-ONTIME",
             f"{d.en}, on time", f"{d.vi}, đúng lịch", "timely")) for d in DOSES}  # fmt: skip
    fic = Indicator(*FIC, kind="fic")
    dropouts = {code: Indicator(code, en, vi, "dropout") for code, en, vi, _, _ in DROPOUTS}
    for child in children:
        series = numbered(child.doses)
        given: dict[str, Dose | None] = {}
        for spec in DOSES:
            eligible = on >= spec.deadline(child.birth)
            dose = given[spec.code] = _nth(series, spec, child.birth, on)
            coverage, timely = doses[spec.code]
            program = dose.program if dose else None
            _add(coverage, child, eligible, dose is not None, program)
            on_time = dose is not None and dose.day < spec.deadline(child.birth)
            _add(timely, child, eligible, on_time, program)
        first_birthday = add_months(child.birth, 12)
        before = {k: [d for d in v if d.day < first_birthday] for k, v in series.items()}
        full = (
            len(before.get("bcg", ())) >= 1
            and len(before.get("dtp", ())) >= 3
            and len(before.get("polio", ())) >= 3
            and len(before.get("mcv", ())) >= 1
        )
        _add(fic, child, on >= first_birthday, full, None)
        for code, _, _, first, last in DROPOUTS:
            eligible = on >= BY_CODE[last].deadline(child.birth) and given[first] is not None
            _add(dropouts[code], child, eligible, given[last] is None, None)
    ordered: list[Indicator] = [i for pair in doses.values() for i in pair]
    return [*ordered, fic, *dropouts.values()]


def by_unit(children: Sequence[Child], on: date) -> dict[str, list[Indicator]]:
    """The indicators of each reporting unit's children."""
    units: dict[str, list[Child]] = {}
    for child in children:
        units.setdefault(child.unit, []).append(child)
    return {unit: compute(members, on) for unit, members in units.items()}
