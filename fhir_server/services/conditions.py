"""The search criteria of conditional interactions (If-None-Exist, conditional update and delete).

They are parsed strictly: a criterion we cannot evaluate must never be silently dropped, or a
conditional create would match everything.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import tzinfo
from urllib.parse import parse_qsl

from fhir_server.definitions.registry import SearchParamRegistry
from fhir_server.model.outcome import FhirError
from fhir_server.search.parse import parse_search
from fhir_server.search.request import SearchRequest

_LEADING_URL = re.compile(r"^[^=?]*\?")  # `Patient?` or `http://x/fhir/Patient?` before the first `=`


class Conditions:
    def __init__(self, registry: SearchParamRegistry, default_tz: tzinfo) -> None:
        self._registry = registry
        self._default_tz = default_tz

    def parse(self, resource_type: str, query: str) -> SearchRequest:
        """A header value such as `identifier=http://x|123`; a leading `[base/]Type?` is tolerated (a `?`
        inside a value is not taken for it)."""
        return self.from_params(resource_type, parse_qsl(_LEADING_URL.sub("", query), keep_blank_values=True))

    def from_params(self, resource_type: str, params: Sequence[tuple[str, str]]) -> SearchRequest:
        criteria_params = [(name, value) for name, value in params if name not in ("_format", "_pretty")]
        parsed = parse_search(
            resource_type, criteria_params, self._registry, strict=True, default_tz=self._default_tz
        )
        if not parsed.request.criteria:
            raise FhirError.of(
                400,
                "invalid",
                "A conditional interaction needs at least one search criterion",
                "Thao tác có điều kiện cần ít nhất một tiêu chí tìm kiếm",
            )
        return parsed.request
