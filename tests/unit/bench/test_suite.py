"""`python -m bench`: the suite runs each named benchmark as its own process and reports failures."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bench import __main__ as suite

BENCH = Path(suite.__file__).parent


def test_every_benchmark_of_the_suite_is_a_module() -> None:
    assert set(suite.SUITE) <= {path.stem for path in BENCH.glob("*.py")}


def test_list_prints_one_command_per_benchmark(capsys: pytest.CaptureFixture[str]) -> None:
    assert suite.main(["--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"python -m bench.{name} {' '.join(args)}" for name, args in suite.SUITE.items()]


def test_an_unknown_name_is_refused() -> None:
    with pytest.raises(SystemExit) as stopped:
        suite.main(["no_such_bench"])
    assert stopped.value.code == 2


def test_a_benchmark_that_fails_makes_the_suite_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[list[str]] = []

    def run(command: list[str], check: bool) -> subprocess.CompletedProcess[bytes]:
        ran.append(command)
        return subprocess.CompletedProcess(command, 1 if "bench.forecast" in command else 0)

    monkeypatch.setattr(suite.subprocess, "run", run)
    assert suite.main(["forecast", "auth_verify"]) == 1
    assert [command[2] for command in ran] == ["bench.forecast", "bench.auth_verify"]
