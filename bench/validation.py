"""Time layer 5 (national profile checks) per resource and the commune type-ahead (printed, not asserted).

    python -m bench.validation                      # 2,000 checks of each profiled type, 100 children
    python -m bench.validation --baseline OLD.py    # also an older model/profile_checker.py, interleaved

`--baseline` loads another version of `fhir_server/model/profile_checker.py` (e.g. `git show
<commit>:fhir_server/model/profile_checker.py > /tmp/old.py`) and times both on the same resources in the same
run, round after round, so machine load hits both alike. Also times the whole write-path validation
(`Validator.validate`: schema, R4B models, bindings, references, profile) for scale, and `ValueSet/$expand`
with `filter` over the 3,321 communes and the 10,035 former ones, and `ConceptMap/$translate`.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from bench.population import generate
from fhir_server.definitions.loader import load_artifacts, load_definitions
from fhir_server.model.profile_checker import ProfileChecker
from fhir_server.model.validator import Validator
from fhir_server.operations.terminology import TerminologyOperations
from fhir_server.operations.translate import Translator
from fhir_server.types import JsonResource

TYPES = ("Patient", "RelatedPerson", "Immunization", "Organization", "Location")


class _Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def _checker_from(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location("baseline_profile_checker", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ProfileChecker(load_artifacts())


def _per_call_us(fn: Callable[[JsonResource], object], resources: list[JsonResource], runs: int) -> float:
    """Median over rounds of the mean CPU-µs per call (one round = every resource once). CPU time of this
    process, not wall time: on a machine shared with other jobs the wall clock measures the queue."""
    rounds = []
    for _ in range(max(1, runs // len(resources))):
        start = time.process_time()
        for resource in resources:
            fn(resource)
        rounds.append((time.process_time() - start) / len(resources) * 1e6)
    return statistics.median(rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000, help="checks per resource type and checker")
    parser.add_argument("--children", type=int, default=100)
    parser.add_argument("--baseline", type=Path, help="an older model/profile_checker.py to compare with")
    args = parser.parse_args()
    artifacts = load_artifacts()
    checkers: dict[str, Any] = {"current": ProfileChecker(artifacts)}
    if args.baseline:
        checkers["baseline"] = _checker_from(args.baseline)
    population = list(generate(args.children))
    definitions = load_definitions()
    validator = Validator(
        definitions.validation, definitions.resource_types, checkers["current"], frozenset(TYPES)
    )
    print(f"{len(population)} resources ({args.children} children); CPU-µs per resource, median of rounds")
    for rt in TYPES:
        resources = [r for r in population if r["resourceType"] == rt][:200]
        row = []
        for name, checker in checkers.items():
            profile = checker.for_type(rt)
            assert all(checker.check(r, profile) == [] for r in resources), name
            cost = _per_call_us(lambda r, c=checker, p=profile: c.check(r, p), resources, args.runs)
            row.append(f"{name} {cost:7.1f}")
        whole = _per_call_us(partial(validator.validate, expected_type=rt), resources, args.runs // 4)
        print(f"  {rt:<14} profile: {' | '.join(row)}   whole write validation {whole:7.1f}")
    ops = TerminologyOperations(artifacts.terminology, _Clock())
    typed = ("s", "sa", "sai", "sai g", "sai gon", "phuong ba dinh", "xa tan phu", "dak")
    for url in ("https://fhir.vn/ValueSet/vn-commune", "https://fhir.vn/ValueSet/vn-commune-2004"):
        size = len(artifacts.terminology.value_sets[url].members)
        ops.expand([("url", url), ("filter", "x")])  # builds the folded index once
        times = _ms_each(lambda text, u=url: ops.expand([("url", u), ("filter", text)]), typed * 20)
        print(f"  $expand {url.rsplit('/', 1)[1]} ({size:,}) filter {typed}: CPU {times}")
    translator = Translator(artifacts.terminology)
    former = "https://fhir.vn/CodeSystem/vn-commune-2004"
    codes = sorted(artifacts.terminology.code_systems[former].concepts)[::10]
    translator.translate([("system", former), ("code", codes[0])])  # indexes every map once
    times = _ms_each(lambda code: translator.translate([("system", former), ("code", code)]), codes)
    print(f"  $translate a former commune (no url: every map consulted), {len(codes)} codes: CPU {times}")


def _ms_each(fn: Callable[[str], object], inputs: Sequence[str]) -> str:
    times = []
    for value in inputs:
        start = time.process_time()
        fn(value)
        times.append((time.process_time() - start) * 1e3)
    times.sort()
    return f"p50 {times[len(times) // 2]:.3f} ms, p95 {times[int(len(times) * 0.95)]:.3f} ms"


if __name__ == "__main__":
    main()
