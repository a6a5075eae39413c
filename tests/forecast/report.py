"""Pass table of CDC's CDSi test cases and the Vietnamese cases per vaccine group:
`python -m tests.forecast.report [-v]`."""

from __future__ import annotations

import sys
from collections import defaultdict

from tests.forecast.cdc_cases import Outcome, run_all, run_vn


def table(outcomes: list[Outcome]) -> str:
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for outcome in outcomes:
        for key in ((outcome.kind, outcome.group), (outcome.kind, "(all)")):
            counts[key][0] += outcome.passed
            counts[key][1] += 1
    lines = [f"{'cases':<11} {'vaccine group':<24} {'passed':>7} {'total':>6} {'rate':>7}"]
    for (kind, group), (passed, total) in sorted(
        counts.items(), key=lambda kv: (kv[0][0], kv[0][1] == "(all)", kv[0][1])
    ):
        lines.append(f"{kind:<11} {group:<24} {passed:>7} {total:>6} {100 * passed / total:>6.1f}%")
    return "\n".join(lines)


def main() -> None:
    outcomes = run_all() + run_vn()
    if "-v" in sys.argv:
        for outcome in outcomes:
            if not outcome.passed:
                print(outcome.case_id, outcome.group, "; ".join(outcome.problems))
    print(table(outcomes))


if __name__ == "__main__":
    main()
