"""Shared aliases and Protocols. Imports nothing of ours, so every layer may use it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

JsonResource = dict[str, Any]
"""A FHIR resource as plain JSON (dicts, lists, str, bool, int, float-like decimals)."""


class Clock(Protocol):
    """Where "now" comes from; injected so that pure code and tests control time."""

    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...
