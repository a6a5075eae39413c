"""The coverage indicators computed over the aggregate's child rows (coverage_summary.py) as arrays: one
comparison of each precomputed day with the assessment date per child and indicator, counted with
`numpy.bincount` by sex and programme. Gives exactly what `indicators.compute` gives for the same
children (tests/unit/operations/test_coverage_table.py checks it on every fixture), in milliseconds for
hundreds of thousands of children.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from fhir_server.operations.coverage_summary import FIC_COLUMN, PROGRAMS, WIDTH
from fhir_server.operations.indicators import DOSES, DROPOUTS, FIC, Counts, Indicator
from fhir_server.storage.base import SummaryRow

Ints = npt.NDArray[np.int32]
Bools = npt.NDArray[np.bool_]
_INDEX = {spec.code: n for n, spec in enumerate(DOSES)}


@dataclass(frozen=True, slots=True)
class ChildTable:
    """Children as columns: `rows` (one int32 row per child, coverage_summary layout), their sex and
    reporting unit as indexes into `sexes` and `units`."""

    rows: Ints
    sex: npt.NDArray[np.intp]
    sexes: tuple[str, ...]
    unit: npt.NDArray[np.intp]
    units: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.rows.shape[0])

    def select(self, mask: Bools) -> ChildTable:
        return ChildTable(self.rows[mask], self.sex[mask], self.sexes, self.unit[mask], self.units)


def _codes(names: list[str]) -> tuple[npt.NDArray[np.intp], tuple[str, ...]]:
    """Each name's position in the sorted distinct names (a dict, not numpy's sort of Python objects)."""
    distinct = sorted(set(names))
    position = {name: n for n, name in enumerate(distinct)}
    return np.fromiter((position[name] for name in names), dtype=np.intp, count=len(names)), tuple(distinct)


def table(
    summary: Sequence[SummaryRow], unit_of_org: Mapping[str, str], born_from: date, born_before: date
) -> ChildTable:
    """The children of `summary` (child rows grouped by organization) born in [born_from, born_before),
    each in the unit its organization belongs to."""
    size = 4 * WIDTH
    kept = [(group, value) for _, group, value in summary if group in unit_of_org]
    rows = np.frombuffer(b"".join(value[:size] for _, value in kept), dtype="<i4").reshape(len(kept), WIDTH)
    birth = rows[:, 0]
    chosen = np.flatnonzero((birth >= born_from.toordinal()) & (birth < born_before.toordinal()))
    sex, sexes = _codes([kept[n][1][size:].decode() for n in chosen])
    unit, units = _codes([unit_of_org[kept[n][0]] for n in chosen])
    return ChildTable(rows[chosen].astype(np.int32), sex, sexes, unit, units)


def _counts(initial: int, eligible: Bools, counted: Bools) -> Counts:
    return Counts(initial, int(eligible.sum()), int((eligible & counted).sum()))


def _indicator(
    t: ChildTable,
    names: tuple[str, str, str, str],
    eligible: Bools,
    counted: Bools,
    program: Ints | None = None,
) -> Indicator:
    indicator = Indicator(*names, total=_counts(len(t), eligible, counted))
    present = np.bincount(t.sex, minlength=len(t.sexes))
    denominators = np.bincount(t.sex, weights=eligible, minlength=len(t.sexes))
    numerators = np.bincount(t.sex, weights=eligible & counted, minlength=len(t.sexes))
    for n, sex in enumerate(t.sexes):
        if present[n]:
            indicator.by_sex[sex] = Counts(int(present[n]), int(denominators[n]), int(numerators[n]))
    if program is not None:
        given = eligible & counted & (program >= 0)
        per_program = np.bincount(program[given], minlength=len(PROGRAMS))
        for n, name in enumerate(PROGRAMS):
            if per_program[n]:
                indicator.by_program[name] = Counts(numerator=int(per_program[n]))
    return indicator


def compute(t: ChildTable, on: date) -> list[Indicator]:
    """`indicators.compute` over the table's children at assessment date `on`."""
    today = on.toordinal()
    rows = t.rows
    out: list[Indicator] = []
    given: dict[str, Bools] = {}
    for n, spec in enumerate(DOSES):
        day, program, deadline = rows[:, 1 + 3 * n], rows[:, 2 + 3 * n], rows[:, 3 + 3 * n]
        eligible = today >= deadline
        given[spec.code] = day <= today
        names = (spec.code, spec.en, spec.vi, "coverage")
        out.append(_indicator(t, names, eligible, given[spec.code], program))
        timely = (f"{spec.code}-ONTIME", f"{spec.en}, on time", f"{spec.vi}, đúng lịch", "timely")
        out.append(_indicator(t, timely, eligible, day < deadline, program))
    full, first_birthday = rows[:, FIC_COLUMN].astype(bool), rows[:, FIC_COLUMN + 1]
    out.append(_indicator(t, (*FIC, "fic"), today >= first_birthday, full))
    for code, en, vi, first, last in DROPOUTS:
        eligible = (today >= rows[:, 3 + 3 * _INDEX[last]]) & given[first]
        out.append(_indicator(t, (code, en, vi, "dropout"), eligible, ~given[last]))
    return out


def by_unit(t: ChildTable, on: date) -> dict[str, list[Indicator]]:
    """The indicators of each reporting unit's children (the table sorted by unit once, then sliced)."""
    order = np.argsort(t.unit, kind="stable")
    rows, sex, unit = t.rows[order], t.sex[order], t.unit[order]
    bounds = np.searchsorted(unit, np.arange(len(t.units) + 1))
    out: dict[str, list[Indicator]] = {}
    for n, name in enumerate(t.units):
        start, end = int(bounds[n]), int(bounds[n + 1])
        if end > start:
            part = ChildTable(rows[start:end], sex[start:end], t.sexes, unit[start:end], t.units)
            out[name] = compute(part, on)
    return out
