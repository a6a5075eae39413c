"""Optional cross-check with `hey` (Debian package): a Go load generator that costs the shared CPU far
less than a Python client, so its rate is closer to what the server itself can do. One URL per run."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from typing import Any

_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
_PERCENTILE = re.compile(r"\s(50|95|99)%+ in ([\d.]+) secs")
_STATUS = re.compile(r"\[(\d{3})\]\s+(\d+) responses")


def available() -> bool:
    return shutil.which("hey") is not None


def run(label: str, url: str, seconds: int, connections: int, post: bytes | None = None) -> dict[str, Any]:
    """`hey -z <seconds>s -c <connections>` against one URL (keep-alive): GET, or POST of the same FHIR
    JSON body each time (so every request creates a resource). Bounded by a timeout."""
    command = ["hey", "-z", f"{seconds}s", "-c", str(connections), "-t", "30"]
    with tempfile.NamedTemporaryFile(suffix=".json") as body:
        if post is not None:
            body.write(post)
            body.flush()
            command += ["-m", "POST", "-T", "application/fhir+json", "-D", body.name]
        completed = subprocess.run(
            [*command, url], capture_output=True, text=True, timeout=seconds + 60, check=False
        )
    out = completed.stdout
    rate = _RATE.search(out)
    return {
        "request": label,
        "seconds": seconds,
        "connections": connections,
        "per_second": float(rate.group(1)) if rate else None,
        "latency_ms": {f"p{p}": round(float(s) * 1000, 2) for p, s in _PERCENTILE.findall(out)},
        "status_codes": {code: int(n) for code, n in _STATUS.findall(out)},
    }
