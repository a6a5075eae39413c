"""Where SMS go: a generic HTTP gateway (URL, auth header, JSON body template from settings) and a
JSON-lines file for development. Every message carries its idempotency key (the Communication id) so a
gateway that dedupes on it delivers a message resent after a crash only once."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx

from fhir_server.settings import MessagingSettings


@dataclass(frozen=True, slots=True)
class OutgoingSms:
    key: str  # idempotency key: the same for every attempt of one message
    phone: str
    text: str


class GatewayError(Exception):
    """The gateway did not accept the message. `permanent`: retrying cannot help (4xx)."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class SmsGateway(Protocol):
    def send(self, message: OutgoingSms) -> None:
        """Returns when the gateway has accepted the message; raises GatewayError otherwise."""
        ...


class FileGateway:
    """Development: appends one JSON line per message (the phone and text included: never in production)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()

    def send(self, message: OutgoingSms) -> None:
        line = json.dumps({"key": message.key, "to": message.phone, "text": message.text}, ensure_ascii=False)
        with self._lock:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            with self._path.open("a", encoding="utf-8") as out:
                out.write(line + "\n")


class HttpGateway:
    def __init__(
        self, url: str, *, template: str, auth_header: str | None = None, timeout: float = 10.0
    ) -> None:
        self._url = url
        self._template = template
        self._headers = {"Content-Type": "application/json"}
        if auth_header:
            name, _, value = auth_header.partition(":")
            self._headers[name.strip()] = value.strip()
        self._client = httpx.Client(timeout=timeout)

    def body(self, message: OutgoingSms) -> bytes:
        """The template with each placeholder replaced by the JSON-escaped value (without its quotes)."""
        text = self._template
        for name, value in (("phone", message.phone), ("text", message.text), ("key", message.key)):
            text = text.replace("{" + name + "}", json.dumps(value, ensure_ascii=False)[1:-1])
        return text.encode()

    def send(self, message: OutgoingSms) -> None:
        headers = {**self._headers, "Idempotency-Key": message.key}
        try:
            response = self._client.post(self._url, content=self.body(message), headers=headers)
        except httpx.TimeoutException as exc:
            raise GatewayError("timeout") from exc
        except httpx.TransportError as exc:
            raise GatewayError(f"transport: {type(exc).__name__}") from exc
        if response.is_success:
            return
        permanent = 400 <= response.status_code < 500 and response.status_code not in (408, 409, 425, 429)
        raise GatewayError(f"HTTP {response.status_code}", permanent=permanent)

    def close(self) -> None:
        self._client.close()


def gateway_for(messaging: MessagingSettings) -> SmsGateway:
    """The gateway FHIR_SMS_GATEWAY names; ValueError for an http gateway without FHIR_SMS_URL."""
    if messaging.gateway == "http":
        if not messaging.url:
            raise ValueError("FHIR_SMS_URL is needed with FHIR_SMS_GATEWAY=http")
        return HttpGateway(
            messaging.url,
            template=messaging.template,
            auth_header=messaging.auth_header,
            timeout=messaging.timeout_seconds,
        )
    return FileGateway(Path(messaging.file_path))
