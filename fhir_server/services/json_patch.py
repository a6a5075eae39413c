"""JSON Patch (RFC 6902) applied to a stored resource, with errors a client may see."""

from __future__ import annotations

from typing import Any

import jsonpatch

from fhir_server.model.outcome import FhirError
from fhir_server.types import JsonResource


def apply_patch(resource: JsonResource, operations: list[Any]) -> Any:
    # The messages name the failed operation only: jsonpatch's own texts quote stored values, which a
    # writer may not be allowed to read.
    try:
        return jsonpatch.apply_patch(resource, operations)
    except jsonpatch.JsonPatchTestFailed as exc:
        raise FhirError.of(
            422,
            "processing",
            "A 'test' operation of the JSON Patch failed; nothing was changed",
            "Một thao tác 'test' của JSON Patch không đạt; không có gì bị thay đổi",
        ) from exc
    except (
        jsonpatch.JsonPatchException,
        jsonpatch.JsonPointerException,
        TypeError,
        KeyError,
        IndexError,
    ) as exc:
        raise FhirError.of(
            400,
            "invalid",
            "The JSON Patch is malformed or names a path the resource does not have",
            "JSON Patch không hợp lệ hoặc trỏ tới đường dẫn không có trong tài nguyên",
        ) from exc
