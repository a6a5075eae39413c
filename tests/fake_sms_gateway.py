"""A real HTTP server on loopback that plays an SMS gateway: it accepts, fails, times out or answers
slowly, dedupes on the Idempotency-Key like a good gateway does, and can kill the sender mid-request."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeGateway:
    def __init__(self) -> None:
        self.mode = "ok"  # ok | fail | reject | slow | kill
        self.slow_seconds = 1.0
        self.kill_pid: int | None = None
        self.requests: Counter[str] = Counter()  # attempts per idempotency key
        self.delivered: dict[str, dict[str, Any]] = {}  # key -> body, once per key
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers.get("Idempotency-Key", "")
                with gateway._lock:
                    gateway.requests[key] += 1
                    gateway.headers.append(dict(self.headers))
                    mode = gateway.mode
                if mode == "fail":
                    self._answer(503)
                    return
                if mode == "reject":
                    self._answer(400)
                    return
                with gateway._lock:
                    gateway.delivered.setdefault(key, body)  # the phone gets it once per key
                if mode == "slow":
                    time.sleep(gateway.slow_seconds)
                if mode == "kill" and gateway.kill_pid is not None:
                    os.kill(gateway.kill_pid, signal.SIGKILL)  # the sender dies after the gateway took it
                    gateway.kill_pid = None
                    time.sleep(0.2)
                    return
                self._answer(202)

            def _answer(self, status: int) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"{}")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the timeout case): that is the point of the test

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/sms"

    def __enter__(self) -> FakeGateway:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
