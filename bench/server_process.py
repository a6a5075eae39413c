"""Start and stop the real server for a benchmark; its resident memory and its own request timings."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson

HOST = "127.0.0.1"  # loopback only


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    base: str  # FHIR base URL
    log_path: Path
    database: Path

    @property
    def pid(self) -> int:
        return self.process.pid


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _command(port: int, workers: int) -> list[str]:
    script = Path(sys.executable).parent / "fhir-server"
    head = [str(script)] if script.exists() else [sys.executable, "-m", "fhir_server"]
    return [*head, "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)]


def start(workdir: Path, workers: int) -> ServerProcess:
    """`fhir-server serve` on a free loopback port with a fresh SQLite file in `workdir`."""
    port = free_port()
    database = workdir / "bench.sqlite3"
    # The FHIR path without tokens or audit: bench.auth_enforce measures what those add, in one run.
    env = {
        **os.environ,
        "FHIR_DATABASE_URL": f"sqlite:///{database}",
        "FHIR_AUTH_REQUIRED": "false",
        "FHIR_AUDIT": "false",
    }
    log_path = workdir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # its own session, so stopping it never touches anything else
            _command(port, workers), env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    return ServerProcess(process, f"http://{HOST}:{port}/fhir", log_path, database)


def stop(server: ServerProcess, grace_seconds: float = 20.0) -> None:
    """SIGTERM (uvicorn stops its workers), then SIGKILL to the session we created if it lingers."""
    if server.process.poll() is not None:
        return
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=grace_seconds)


def health_urls(base: str) -> list[str]:
    """Our server answers /health at the origin; other servers at least answer /metadata."""
    origin = "/".join(base.split("/", 3)[:3])
    return [f"{origin}/health", f"{base.rstrip('/')}/metadata"]


def wait_ready(
    urls: list[str], timeout_seconds: float, process: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout_seconds
    with httpx.Client(timeout=5.0) as client:
        while time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"server exited with status {process.returncode} before it was ready")
            for url in urls:
                try:
                    if client.get(url).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
            time.sleep(0.2)
    raise RuntimeError(f"server not ready after {timeout_seconds:.0f} s: {urls[0]}")


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # the process ended while we looked
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])  # the command name may hold spaces and ")"
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kb(pid: int) -> dict[str, int]:
    """VmRSS of the process and all its descendants (uvicorn workers), in kB, plus the total.
    Summing RSS counts pages shared between processes more than once: an upper bound."""
    tree = _children()
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo.extend(tree.get(current, []))
    sizes = {str(p): _rss_kb(p) for p in pids}
    return {**sizes, "total": sum(sizes.values())}


def server_ms(log_path: Path, method: str, route_suffix: str) -> list[float]:
    """The server's own time (ms) per request of one kind, in log order, from its structured access log
    (one JSON object per line: method, route template, status, ms)."""
    timings: list[float] = []
    for line in log_path.read_bytes().splitlines():
        if b'"fhir_server.access"' not in line:
            continue
        try:
            entry = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        route = str(entry.get("route", ""))
        if entry.get("method") == method and route.endswith(route_suffix) and "ms" in entry:
            timings.append(float(entry["ms"]))
    return timings


def database_bytes(database: Path) -> int:
    """Size of the SQLite file with its WAL and shared-memory files."""
    return sum(p.stat().st_size for p in database.parent.glob(database.name + "*") if p.is_file())
