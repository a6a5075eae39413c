"""Select the best patient series of one antigen (Logic Specification ch. 8).

Per series group: pre-filter to scorable series (8.1), look for one obviously prioritized series (8.2), else
score complete / in-process / no-valid-dose series (8.3-8.7); then keep the prioritized series that are needed
across equivalent series groups (8.8).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from fhir_server.forecast.patient_series import PatientSeries


def best_series(relevant: Sequence[PatientSeries], birth: date) -> list[PatientSeries]:
    groups: dict[str, list[PatientSeries]] = {}
    for ps in relevant:
        groups.setdefault(ps.series.group, []).append(ps)
    prioritized = [p for members in groups.values() if (p := _prioritized(members, birth)) is not None]
    return [p for p in prioritized if _is_best(p, prioritized)]


def _complete(ps: PatientSeries) -> bool:
    return ps.forecast.status == "complete"


def _in_process(ps: PatientSeries) -> bool:
    return ps.valid_count > 0 and ps.forecast.status == "not-complete"


def _scorable(members: Sequence[PatientSeries], birth: date) -> list[PatientSeries]:
    """SELECTB-24 and SELECTSCORE-2."""
    all_contraindicated = all(m.forecast.status == "contraindicated" for m in members)
    candidates = [m for m in members if m.forecast.status != "contraindicated" or all_contraindicated]
    top_priority = min(m.series.priority for m in members)
    no_valid = all(m.valid_count == 0 for m in members)
    has_default = any(m.series.default for m in members)
    scorable: list[PatientSeries] = []
    for ps in members:
        kind = ps.series.series_type
        if kind == "evaluation-only":
            if _complete(ps):
                scorable.append(ps)
            continue
        if ps not in candidates:
            continue
        if kind == "risk":
            if ps.series.priority == top_priority:
                scorable.append(ps)
            continue
        first_valid = ps.first_valid_date()
        max_start = ps.series.max_age_to_start
        if (first_valid is not None and (max_start is None or first_valid < max_start.add_to(birth))) or (
            no_valid and not has_default
        ):
            scorable.append(ps)
    return scorable


def _prioritized(members: Sequence[PatientSeries], birth: date) -> PatientSeries | None:
    """Table 8-3, then 8.3-8.7."""
    scorable = _scorable(members, birth)
    defaults = [m for m in members if m.series.default]
    if not scorable:
        return defaults[0] if len(defaults) == 1 else None
    if len(scorable) == 1:
        return scorable[0]
    complete = [s for s in scorable if _complete(s)]
    in_process = [s for s in scorable if _in_process(s)]
    if len(complete) == 1:
        return complete[0]
    if not complete and len(in_process) == 1:
        return in_process[0]
    if not complete and not in_process and len(defaults) == 1 and defaults[0] in scorable:
        return defaults[0]
    scores: list[tuple[PatientSeries, int]] = []
    if len(complete) >= 2:  # Table 8-5
        scores = _score_complete(complete)
    elif len(in_process) >= 2:
        scores = _score_in_process(in_process, birth)
    elif all(s.valid_count == 0 for s in scorable):
        scores = _score_no_valid(scorable, birth)
    if not scores:  # e.g. every scorable series is contraindicated: most valid doses, then preference
        return min(scorable, key=lambda s: (-s.valid_count, s.series.preference))
    return max(scores, key=lambda item: (item[1], -item[0].series.preference))[0]


def _award(flags: Sequence[bool], win: int, tie: int, lose: int) -> list[int]:
    """Points for a condition true for exactly one series (win), several (tie) or not (lose)."""
    winners = sum(flags)
    return [(win if winners == 1 else tie) if flag else lose for flag in flags]


def _score_complete(series: Sequence[PatientSeries]) -> list[tuple[PatientSeries, int]]:
    most = max(s.valid_count for s in series)
    points = _award([s.valid_count == most for s in series], 1, 0, -1)
    return list(zip(series, points, strict=True))


def _finish(ps: PatientSeries) -> date | None:
    """SELECTB-12: earliest date plus the minimum intervals of the remaining target doses."""
    finish = ps.forecast.earliest if ps.start_known else None
    if finish is None or ps.next_target is None:
        return finish
    for target in ps.targets[ps.next_target + 1 :]:
        gaps = [i.min for i in target.dose.intervals if i.from_previous and i.min]
        if gaps:
            finish = max(g.add_to(finish) for g in gaps)
    return finish


def _completable(ps: PatientSeries, birth: date) -> bool:
    """SELECTB-3."""
    finish = _finish(ps)
    if finish is None:
        return False
    last = ps.targets[-1].dose
    maxima = [a.max for a in last.ages if a.max]
    return not maxima or finish < maxima[0].add_to(birth)


def _score_in_process(series: Sequence[PatientSeries], birth: date) -> list[tuple[PatientSeries, int]]:
    """Table 8-9."""
    scores = [0] * len(series)
    product = [
        s.series.product_path
        and all(v.status == "valid" for v in s.verdicts.values() if v.target is not None)
        for s in series
    ]
    completable = [_completable(s, birth) for s in series]
    most = max(s.valid_count for s in series)
    remaining = [sum(1 for t in s.targets if t.status == "not-satisfied") for s in series]
    fewest = min(remaining)
    finishes = [_finish(s) if c else None for s, c in zip(series, completable, strict=True)]
    known = [f for f in finishes if f is not None]
    soonest = min(known) if known else None
    rules = (
        (product, 2, 2, -2),
        (completable, 3, 3, -3),
        ([s.valid_count == most for s in series], 2, 0, -2),
        ([r == fewest for r in remaining], 2, 0, -2),
        ([f is not None and f == soonest for f in finishes], 1, 0, -1),
    )
    for flags, win, tie, lose in rules:
        for i, points in enumerate(_award(flags, win, tie, lose)):
            scores[i] += points
    return list(zip(series, scores, strict=True))


def _score_no_valid(series: Sequence[PatientSeries], birth: date) -> list[tuple[PatientSeries, int]]:
    """Table 8-11."""
    if not series:
        return []
    starts = [s.forecast.earliest if s.start_known else None for s in series]
    known = [d for d in starts if d is not None]
    first = min(known) if known else None
    scores = [0] * len(series)
    rules = (
        ([d is not None and d == first for d in starts], 1, 0, -1),
        ([_completable(s, birth) for s in series], 1, 1, -1),
        ([s.series.product_path for s in series], -1, -1, 1),
    )
    for flags, win, tie, lose in rules:
        for i, points in enumerate(_award(flags, win, tie, lose)):
            scores[i] += points
    return list(zip(series, scores, strict=True))


def _is_best(ps: PatientSeries, prioritized: Sequence[PatientSeries]) -> bool:
    """Table 8-14."""
    if _complete(ps):
        return True
    equivalent = [p for p in prioritized if p is not ps and p.series.group in ps.series.equivalent_groups]
    if any(_complete(p) for p in equivalent) or ps.series.series_type == "evaluation-only":
        return False
    if ps.series.series_type == "risk":
        return True
    return not any(p.series.series_type == "risk" for p in equivalent)
