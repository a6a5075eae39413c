from __future__ import annotations

import io

from fhir_server.bulk.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_output_prints_whole_lines() -> None:
    out = io.StringIO()
    progress = Progress(out, interval=0)
    progress.begin("a.ndjson", 0)
    progress.update(10, 9, 1)
    progress.update(20, 18, 2, final=True)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("a.ndjson: 10 read, 9 stored, 1 rejected, ")
    assert lines[1].startswith("a.ndjson: 20 read, 18 stored, 2 rejected, ")
    assert all(line.endswith(" resources/s") for line in lines)


def test_a_terminal_gets_one_line_rewritten_in_place() -> None:
    out = Terminal()
    progress = Progress(out, interval=0)
    progress.begin("a.ndjson", 0)
    progress.update(1_000, 1_000, 0)
    progress.update(2_000, 2_000, 0, final=True)
    text = out.getvalue()
    assert text.count("\r") == 2 and text.endswith("\n") and text.count("\n") == 1
    assert "2,000 read" in text


def test_updates_within_the_interval_are_skipped_but_the_final_one_is_not() -> None:
    out = io.StringIO()
    progress = Progress(out, interval=3600)
    progress.begin("a.ndjson", 0)
    progress.update(1, 1, 0)  # the first update shows
    progress.update(2, 2, 0)  # too soon
    progress.update(3, 3, 0, final=True)
    assert len(out.getvalue().splitlines()) == 2
