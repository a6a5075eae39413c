"""Validation layer 3 (DESIGN.md §7): the vendored R4 JSON schema, checked with jsonschema-rs.

It catches what the R4B models let through: a boolean written "yes", a decimal written "5", unknown
elements, empty arrays, empty objects and nulls. The schema dispatches on `resourceType` with if/then
(see conformance/README.md), so each error points at the element itself; one Issue per error.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import jsonschema_rs

from fhir_server.model.outcome import Issue
from fhir_server.model.paths import expression

_JSON_TYPE_VI = {
    "object": "đối tượng",
    "array": "mảng",
    "string": "chuỗi",
    "number": "số",
    "integer": "số nguyên",
    "boolean": "boolean (true/false)",
    "null": "null",
}


class SchemaChecker:
    """One compiled validator for the whole schema, built once."""

    def __init__(self, json_schema: Mapping[str, Any]) -> None:
        self._validator = jsonschema_rs.validator_for(dict(json_schema))
        definitions: Mapping[str, Any] = json_schema["definitions"]
        # Choice elements (occurrenceDateTime) carry their primitive's pattern inline: name it back.
        self._pattern_types = {
            d["pattern"]: name for name, d in definitions.items() if isinstance(d.get("pattern"), str)
        }
        primitives = [name for name, d in definitions.items() if name[:1].islower()]
        self._types_by_length = sorted(primitives, key=len, reverse=True)  # "dateTime" before "date"

    def check(self, resource: Any, resource_type: str) -> list[Issue]:
        try:
            errors = list(self._validator.iter_errors(resource))
        except ValueError:
            # jsonschema-rs refuses float subclasses (model.json.Decimal keeps "1.50" as written); this
            # copy is made only for such bodies.
            errors = list(self._validator.iter_errors(_plain(resource)))
        issues: list[Issue] = []
        for error in errors:
            issues.extend(self._issues(error, resource_type))
        return issues

    def _issues(self, error: jsonschema_rs.ValidationError, root: str) -> Iterator[Issue]:
        kind = error.kind.name
        detail: dict[str, Any] = error.kind.as_dict()
        where = list(error.instance_path)
        at = expression(root, where)
        fhir_type = self._fhir_type(list(error.schema_path), detail)
        if kind == "additionalProperties":
            for name in detail.get("unexpected", []):
                yield Issue(
                    "structure",
                    f"Unknown element '{name}'",
                    f"Phần tử không xác định '{name}'",
                    (expression(root, [*where, name]),),
                )
        elif kind == "required":
            name = str(detail.get("property"))
            yield Issue(
                "required",
                f"Missing required element '{name}'",
                f"Thiếu phần tử bắt buộc '{name}'",
                (expression(root, [*where, name]),),
            )
        elif kind == "type":
            types: Sequence[str] = detail.get("types", [])
            code = "structure" if set(types) & {"object", "array"} else "value"
            vi_types = [_JSON_TYPE_VI.get(t, t) for t in types]
            yield Issue(
                code,
                f"Invalid {fhir_type}: expected a JSON {' or '.join(types)}",
                f"{fhir_type} không hợp lệ: cần giá trị JSON kiểu {' hoặc '.join(vi_types)}",
                (at,),
            )
        elif kind == "minItems":
            yield Issue("structure", "An array must not be empty", "Mảng không được rỗng", (at,))
        elif kind == "minProperties":
            yield Issue("structure", "An element must not be empty", "Phần tử không được rỗng", (at,))
        elif kind == "minLength":
            yield Issue("value", "A string must not be empty", "Chuỗi không được rỗng", (at,))
        elif kind == "pattern":
            yield Issue(
                "value",
                f"Invalid {fhir_type} value{_HINTS.get(fhir_type, '')}",
                f"Giá trị {fhir_type} không hợp lệ{_HINTS_VI.get(fhir_type, '')}",
                (at,),
            )
        elif kind in ("minimum", "maximum"):
            yield Issue(
                "value", f"{fhir_type} value out of range", f"Giá trị {fhir_type} nằm ngoài phạm vi", (at,)
            )
        elif kind in ("enum", "constant") and where and where[-1] == "resourceType":
            yield Issue(
                "value",
                "Unknown or unexpected resourceType",
                "resourceType không xác định hoặc không đúng",
                (at,),
            )
        else:
            yield Issue("structure", f"Invalid element ({kind})", f"Phần tử không hợp lệ ({kind})", (at,))

    def _fhir_type(self, schema_path: list[str | int], detail: Mapping[str, Any]) -> str:
        """The FHIR type named by the failing keyword's location, e.g. "dateTime" or "CodeableConcept"."""
        if len(schema_path) >= 3 and schema_path[-3] == "definitions":
            return str(schema_path[-2])
        # An inline choice element (occurrenceDateTime): its pattern is the primitive's, or its name ends
        # with the type.
        prop = str(schema_path[-2]) if len(schema_path) >= 2 else ""
        named = [t for t in self._types_by_length if prop.endswith(t[:1].upper() + t[1:])]
        if named:
            return named[0]
        return self._pattern_types.get(str(detail.get("pattern")), "value")


_HINTS = {
    "dateTime": " (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss with a timezone)",
    "date": " (YYYY, YYYY-MM or YYYY-MM-DD)",
    "instant": " (YYYY-MM-DDThh:mm:ss with a timezone)",
    "id": " (1-64 characters: A-Z, a-z, 0-9, '-', '.')",
}
_HINTS_VI = {
    "dateTime": " (YYYY, YYYY-MM, YYYY-MM-DD hoặc YYYY-MM-DDThh:mm:ss kèm múi giờ)",
    "date": " (YYYY, YYYY-MM hoặc YYYY-MM-DD)",
    "instant": " (YYYY-MM-DDThh:mm:ss kèm múi giờ)",
    "id": " (1-64 ký tự: A-Z, a-z, 0-9, '-', '.')",
}


def _plain(value: Any) -> Any:
    """A copy with float subclasses turned into plain floats (and everything else as is)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and type(value) is not float:
        return float(value)
    return value
