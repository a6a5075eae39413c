"""Import progress: one line rewritten in place on a terminal, plain periodic lines otherwise (logs,
CI). A dependency-free `\r` line is enough for a counter and a rate; no personal data is ever shown."""

from __future__ import annotations

import time
from typing import TextIO


class Progress:
    def __init__(self, stream: TextIO, *, interval: float | None = None) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._interval = interval if interval is not None else (0.2 if self._tty else 10.0)
        self._started = time.monotonic()
        self._last = 0.0
        self._label = ""
        self._base = 0  # resources already done before this run (a resumed file)

    def begin(self, label: str, already: int) -> None:
        self._label, self._base = label, already
        self._started = time.monotonic()
        self._last = 0.0

    def update(self, read: int, stored: int, rejected: int, *, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self._last < self._interval:
            return
        self._last = now
        rate = (read - self._base) / max(now - self._started, 1e-6)
        line = (
            f"{self._label}: {read:,} read, {stored:,} stored, {rejected:,} rejected, {rate:,.0f} resources/s"
        )
        if self._tty:
            self._stream.write("\r\x1b[2K" + line + ("\n" if final else ""))
        else:
            self._stream.write(line + "\n")
        self._stream.flush()
