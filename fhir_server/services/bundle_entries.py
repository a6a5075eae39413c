"""The entries of a batch or transaction Bundle, checked and typed before anything is written.

Each entry's `request` says what to do (method + URL relative to the base, or absolute to this server);
its `resource` is validated like the body of the same single interaction. Every error names the entry
(`Bundle.entry[i]...`), so a client can find the line that failed in a 1,000-entry push.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from fhir_server.model.ids import is_valid_id
from fhir_server.model.json import loads
from fhir_server.model.outcome import FhirError, Issue

EntryMethod = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
_METHODS: frozenset[str] = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"))
_JSON_PATCH = "application/json-patch+json"


@dataclass(frozen=True, slots=True)
class Entry:
    index: int  # position in the request Bundle; response entries keep the same order
    method: EntryMethod
    resource_type: str
    id: str | None  # `Patient/1`; None for type-level URLs
    version: int | None  # `Patient/1/_history/2` (GET only)
    query: tuple[tuple[str, str], ...]  # `Patient?identifier=...` (search or conditional criteria)
    full_url: str | None
    resource: Any  # POST/PUT: the resource as sent (validated by the interaction)
    patch: list[Any] | None  # PATCH: the JSON Patch operations
    if_match: int | None
    if_none_exist: str | None

    @property
    def path(self) -> str:
        return f"Bundle.entry[{self.index}]"

    @property
    def conditional(self) -> bool:
        return self.id is None and bool(self.query)


@dataclass(frozen=True, slots=True)
class ParsedBundle:
    kind: Literal["batch", "transaction"]
    entries: list[Entry | FhirError]  # an entry that cannot be understood carries its error


def parse_bundle(
    body: Any,
    *,
    base_url: str,
    resource_types: frozenset[str],
    max_entries: int,
) -> ParsedBundle:
    """Check the Bundle envelope (FhirError 400 or 413) and the request of every entry."""
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
        raise FhirError.of(
            400,
            "invalid",
            "POST to the base URL takes a Bundle of type batch or transaction",
            "POST tới địa chỉ gốc nhận một Bundle loại batch hoặc transaction",
            "resourceType",
        )
    kind = body.get("type")
    if kind not in ("batch", "transaction"):
        raise FhirError.of(
            400,
            "invalid",
            f"Bundle.type must be batch or transaction, not {kind!r}",
            f"Bundle.type phải là batch hoặc transaction, không phải {kind!r}",
            "Bundle.type",
        )
    raw_entries = body.get("entry", [])
    if not isinstance(raw_entries, list):
        raise FhirError.of(
            400, "structure", "Bundle.entry must be an array", "Bundle.entry phải là mảng", "Bundle.entry"
        )
    if len(raw_entries) > max_entries:
        raise FhirError.of(
            413,
            "too-costly",
            f"The Bundle has {len(raw_entries)} entries; at most {max_entries} are accepted in one request "
            "(use bulk import for more)",
            f"Bundle có {len(raw_entries)} mục; mỗi yêu cầu nhận tối đa {max_entries} mục "
            "(hãy dùng nhập hàng loạt cho nhiều hơn)",
            "Bundle.entry",
        )
    parser = _EntryParser(base_url.rstrip("/"), resource_types)
    return ParsedBundle(kind, [parser.parse_or_error(index, raw) for index, raw in enumerate(raw_entries)])


def entry_error(error: FhirError, entry_path: str, resource_type: str | None) -> FhirError:
    """The same error with every expression moved under the entry (`Immunization.patient` becomes
    `Bundle.entry[3].resource.patient`), and issues without one pointing at the entry."""
    issues = []
    for issue in error.issues:
        expressions = tuple(_under_entry(e, entry_path, resource_type) for e in issue.expression)
        issues.append(
            Issue(
                issue.code,
                f"{entry_path}: {issue.en}",
                f"{entry_path}: {issue.vi}" if issue.vi else None,
                expressions or (entry_path,),
                issue.severity,
            )
        )
    return FhirError(error.status, issues)


def _under_entry(expression: str, entry_path: str, resource_type: str | None) -> str:
    if expression.startswith("Bundle.entry["):
        return expression
    if resource_type and (expression == resource_type or expression.startswith(f"{resource_type}.")):
        return f"{entry_path}.resource{expression[len(resource_type) :]}"
    return f"{entry_path}.resource.{expression}"


class _EntryParser:
    def __init__(self, base_url: str, resource_types: frozenset[str]) -> None:
        self._base_url = base_url
        self._types = resource_types

    def parse_or_error(self, index: int, raw: Any) -> Entry | FhirError:
        try:
            return self.parse(index, raw)
        except FhirError as error:
            return error

    def parse(self, index: int, raw: Any) -> Entry:
        at = f"Bundle.entry[{index}]"
        if not isinstance(raw, dict):
            raise _invalid(at, "an entry must be an object", "mỗi mục phải là một đối tượng")
        request = raw.get("request")
        if not isinstance(request, dict):
            raise _invalid(f"{at}.request", "request is required", "thiếu request")
        method = request.get("method")
        if method not in _METHODS:
            raise _invalid(
                f"{at}.request.method",
                f"method must be one of {', '.join(sorted(_METHODS))}",
                f"method phải là một trong {', '.join(sorted(_METHODS))}",
            )
        url = request.get("url")
        if not isinstance(url, str) or not url:
            raise _invalid(f"{at}.request.url", "url is required", "thiếu url")
        resource_type, id, version, query = self._target(url, f"{at}.request.url")
        self._check_shape(method, id, version, query, f"{at}.request.url")
        full_url = raw.get("fullUrl")
        if full_url is not None and not isinstance(full_url, str):
            raise _invalid(f"{at}.fullUrl", "fullUrl must be a string", "fullUrl phải là chuỗi")
        resource = patch = None
        if method in ("POST", "PUT"):
            resource = self._resource(raw.get("resource"), id, at)
        elif method == "PATCH":
            patch = _patch_operations(raw.get("resource"), at)
        return Entry(
            index=index,
            method=method,
            resource_type=resource_type,
            id=id,
            version=version,
            query=query,
            full_url=full_url,
            resource=resource,
            patch=patch,
            if_match=_if_match(request.get("ifMatch"), f"{at}.request.ifMatch"),
            if_none_exist=_optional_text(request.get("ifNoneExist"), f"{at}.request.ifNoneExist"),
        )

    def _target(self, url: str, at: str) -> tuple[str, str | None, int | None, tuple[tuple[str, str], ...]]:
        if url.startswith(self._base_url + "/"):
            url = url[len(self._base_url) + 1 :]
        elif "://" in url.split("?", 1)[0]:
            raise _invalid(
                at, "the url must be relative to this server's base", "url phải tương đối với địa chỉ gốc"
            )
        parts = urlsplit(url.lstrip("/"))
        segments = parts.path.split("/") if parts.path else []
        query = tuple(parse_qsl(parts.query, keep_blank_values=True))
        if not segments or segments[0] not in self._types:
            raise FhirError.of(
                404 if segments and segments[0][:1].isupper() else 400,
                "not-supported",
                f"{at}: the url does not name a resource type this server supports",
                f"{at}: url không chỉ tới loại tài nguyên mà máy chủ hỗ trợ",
                at,
            )
        resource_type = segments[0]
        id = version = None
        if len(segments) >= 2:
            id = segments[1]
            if not is_valid_id(id):
                raise _invalid(at, f"{id!r} is not a valid id", f"{id!r} không phải mã hợp lệ")
        if len(segments) == 4 and segments[2] == "_history" and segments[3].isdigit():
            version = int(segments[3])
        elif len(segments) > 2:
            raise _invalid(
                at,
                "only [type], [type]/[id] and [type]/[id]/_history/[version] urls are supported in a Bundle",
                "Bundle chỉ hỗ trợ url dạng [type], [type]/[id] và [type]/[id]/_history/[version]",
            )
        return resource_type, id, version, query

    @staticmethod
    def _check_shape(
        method: str, id: str | None, version: int | None, query: tuple[tuple[str, str], ...], at: str
    ) -> None:
        wrong = (
            (method == "POST" and id is not None)
            or (method in ("PUT", "DELETE") and id is None and not query)
            or (method == "PATCH" and id is None)
            or (method not in {"GET", "HEAD"} and version is not None)
        )
        if wrong:
            raise _invalid(
                at,
                f"{method} does not take this url form",
                f"{method} không dùng được với dạng url này",
            )

    @staticmethod
    def _resource(body: Any, id: str | None, at: str) -> Any:
        """The body as sent: the interaction validates it (before the writer lock)."""
        if body is None:
            raise _invalid(f"{at}.resource", "POST and PUT need a resource", "POST và PUT cần resource")
        if id is not None and isinstance(body, dict) and body.get("id") != id:
            raise _invalid(
                f"{at}.resource.id",
                f"the resource id {body.get('id')!r} does not match the url id {id!r}",
                f"mã tài nguyên {body.get('id')!r} không khớp với mã trên url {id!r}",
            )
        return body


def _patch_operations(binary: Any, at: str) -> list[Any]:
    """A PATCH entry carries its JSON Patch as a Binary (R4 http 3.1.0.11.2)."""
    if (
        not isinstance(binary, dict)
        or binary.get("resourceType") != "Binary"
        or binary.get("contentType") != _JSON_PATCH
        or not isinstance(binary.get("data"), str)
    ):
        raise FhirError.of(
            400,
            "not-supported",
            f"{at}: a PATCH entry needs a Binary resource with contentType {_JSON_PATCH} and data",
            f"{at}: mục PATCH cần tài nguyên Binary có contentType {_JSON_PATCH} và data",
            f"{at}.resource",
        )
    try:
        operations = loads(base64.b64decode(binary["data"], validate=True))
    except (binascii.Error, ValueError):
        raise _invalid(
            f"{at}.resource.data",
            "data is not base64-encoded JSON",
            "data không phải JSON mã hoá base64",
        ) from None
    if not isinstance(operations, list):
        raise _invalid(f"{at}.resource.data", "a JSON Patch must be an array", "JSON Patch phải là mảng")
    return operations


def _if_match(value: Any, at: str) -> int | None:
    """`W/"3"` (or `3`) -> 3."""
    if value is None:
        return None
    text = value.removeprefix("W/").strip('"') if isinstance(value, str) else ""
    if not text.isdigit():
        raise _invalid(at, 'ifMatch must be an ETag such as W/"3"', 'ifMatch phải là ETag, ví dụ W/"3"')
    return int(text)


def _optional_text(value: Any, at: str) -> str | None:
    if value is None or (isinstance(value, str) and value):
        return value
    raise _invalid(at, "must be a non-empty string", "phải là chuỗi không rỗng")


def _invalid(at: str, en: str, vi: str) -> FhirError:
    return FhirError.of(400, "invalid", f"{at}: {en}", f"{at}: {vi}", at)
