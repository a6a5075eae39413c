"""`_typeFilter=Type?search-query` (Bulk Data IG v2): the type's resources are exported only when they
match the query, which takes the same search parameters as `GET [base]/Type?query`.

One filter per type (several for one type would be ORed, and the union of several searches could not be
streamed without remembering every id written): a second one is a 400. Result parameters (`_sort`,
`_include`, `_count`, ...) have no meaning in an export and are refused too.
"""

from __future__ import annotations

from datetime import tzinfo
from urllib.parse import parse_qsl

from fhir_server.definitions.registry import SearchParamRegistry
from fhir_server.model.outcome import FhirError
from fhir_server.search.parse import parse_search
from fhir_server.search.request import Criterion

_NOT_FILTERS = ("_sort", "_count", "_offset", "_cursor")


class TypeFilters:
    def __init__(self, registry: SearchParamRegistry, default_tz: tzinfo) -> None:
        self._registry = registry
        self._tz = default_tz

    def check(self, value: str, types: tuple[str, ...], seen: dict[str, str]) -> tuple[str, str]:
        """(type, query) of one `_typeFilter` value, after parsing it once; 400 when it cannot apply."""
        resource_type, mark, query = value.partition("?")
        if not mark or not query:
            raise _bad(
                f"_typeFilter {value!r} is not Type?query", f"_typeFilter {value!r} không có dạng Type?query"
            )
        if resource_type not in types:
            raise _bad(
                f"_typeFilter names {resource_type!r}, which this export does not include",
                f"_typeFilter nêu {resource_type!r}, loại không có trong yêu cầu xuất này",
            )
        if resource_type in seen:
            raise FhirError.of(
                400,
                "not-supported",
                f"Only one _typeFilter per resource type is supported ({resource_type})",
                f"Chỉ hỗ trợ một _typeFilter cho mỗi loại tài nguyên ({resource_type})",
                "_typeFilter",
            )
        self.criteria(resource_type, query)
        return resource_type, query

    def criteria(self, resource_type: str, query: str) -> tuple[Criterion, ...]:
        params = parse_qsl(query, keep_blank_values=True)
        if any(name.partition(":")[0] in _NOT_FILTERS for name, _ in params):
            raise _bad(
                f"_typeFilter {resource_type}?{query} holds a paging or sorting parameter",
                "_typeFilter không được chứa tham số phân trang hoặc sắp xếp",
            )
        parsed = parse_search(resource_type, params, self._registry, strict=True, default_tz=self._tz)
        if parsed.result_params:
            raise _bad(
                f"_typeFilter {resource_type}?{query} holds a result parameter (_include, _summary, ...)",
                "_typeFilter không được chứa tham số kết quả (_include, _summary, ...)",
            )
        return parsed.request.criteria


def _bad(en: str, vi: str) -> FhirError:
    return FhirError.of(400, "invalid", en, vi, "_typeFilter")
