"""Logical ids (R4 2.24.0.1 `id`): 1-64 characters from A-Z, a-z, 0-9, '-' and '.'."""

from __future__ import annotations

import re

ID = r"[A-Za-z0-9\-.]{1,64}"  # FHIR id: the one definition; other patterns embed it
ID_PATTERN = re.compile(ID)


def is_valid_id(value: object) -> bool:
    """True for a well-formed logical id (also usable for ids taken from a URL)."""
    return isinstance(value, str) and ID_PATTERN.fullmatch(value) is not None
