"""Validation layer 2 (DESIGN.md §7): structure with the fhir.resources R4B models.

The JSON schema cannot see what R4B checks: required primitives (`Immunization.status` may be written as
`_status` only, so the schema leaves it optional), exactly one of a required choice (`occurrence[x]`)
and real calendar dates (2015-02-30). R4B is lax elsewhere (it coerces "yes" and "5", accepts `[]` and
`{}`); the schema covers that, and R4B's "extra element" complaints are dropped because the R4 schema is
the authority on which elements exist (R4B differs in a few places, e.g. `_valueString` in extensions).

R4B is used only for resource types whose R4B model has exactly the R4 elements, own and backbone; for
the others (Evidence, the MedicinalProduct* family, ...) the schema and the binding layer still apply.
The check compares element names only: a change of type or cardinality under the same name would go
unnoticed, none is known for the types this registry stores.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator, Mapping
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import BaseModel, ValidationError

from fhir_server.model.outcome import Issue
from fhir_server.model.paths import expression
from fhir_server.types import JsonResource

_ELEMENT = re.compile(r"_?[a-z][A-Za-z0-9]*")
_CHOICE_LIST = re.compile(r"\[([^\]]*)\]")
_DATE_ERRORS = ("date", "time")  # pydantic error types: date_from_datetime_parsing, datetime_parsing, ...


class StructureChecker:
    """R4B model validation mapped to Issues; models are imported on first use of a type."""

    def __init__(self, json_schema: Mapping[str, Any]) -> None:
        self._definitions: Mapping[str, Any] = json_schema["definitions"]
        # Importing all 146 R4B model modules takes about a second; most servers use a handful of types.
        self._models: dict[str, type[BaseModel] | None] = {}

    def model_for(self, resource_type: str) -> type[BaseModel] | None:
        """The R4B model when it matches R4 for this type, else None."""
        if resource_type not in self._models:
            self._models[resource_type] = self._load(resource_type)
        return self._models[resource_type]

    def check(self, resource: JsonResource, resource_type: str) -> list[Issue]:
        model = self.model_for(resource_type)
        try:
            if model is None or any(self.model_for(t) is None for t in _nested_types(resource)):
                return []
            model.model_validate(resource)
        except ValidationError as error:
            return [
                issue for detail in error.errors() if (issue := _issue(detail, resource_type)) is not None
            ]
        except RecursionError:
            # The validator bounds nesting first; this is the last resort should a resource still be too
            # deep for the recursive models (a 400, never a 500).
            return [_too_deep(resource_type)]
        return []

    def _load(self, resource_type: str) -> type[BaseModel] | None:
        try:
            model = get_fhir_model_class(resource_type)
        except ValueError:  # not in R4B (e.g. MedicinalProduct)
            return None
        return model if self._same_elements(model, resource_type, set()) else None

    def _same_elements(self, model: type[BaseModel], name: str, seen: set[str]) -> bool:
        """Do the model's JSON names equal the schema definition's properties, recursively for backbones?"""
        if name in seen:
            return True
        seen.add(name)
        properties: Mapping[str, Any] = self._definitions.get(name, {}).get("properties", {})
        fields = {info.alias or field: info for field, info in model.model_fields.items()}
        if set(fields) - {"fhir_comments"} != set(properties) - {"resourceType"}:
            return False
        for prop, sub in properties.items():
            ref = str(sub.get("items", sub).get("$ref", "")).removeprefix("#/definitions/")
            if "_" not in ref or ref.startswith("_"):
                continue  # data types are shared and R4B's only differences there are additions
            child = _field_model(fields[prop].annotation)
            if child is None or not self._same_elements(child, ref, seen):
                return False
        return True


def _field_model(annotation: Any) -> type[BaseModel] | None:
    """The model class behind an R4B field annotation such as Optional[List[ImmunizationPerformerType]]."""
    get_klass = getattr(annotation, "get_model_klass", None)
    if callable(get_klass):
        klass = get_klass()
        return klass if isinstance(klass, type) and issubclass(klass, BaseModel) else None
    for arg in typing.get_args(annotation):
        found = _field_model(arg)
        if found is not None:
            return found
    return None


def _nested_types(resource: JsonResource) -> Iterator[str]:
    """resourceType of contained resources, Bundle entries and Parameters resources (R4B parses them too)."""
    for key in ("contained", "entry", "parameter", "part"):
        items = resource.get(key)
        if not isinstance(items, list):
            continue
        for item in items:
            if not isinstance(item, dict):
                continue
            inner = item if key == "contained" else item.get("resource")
            if isinstance(inner, dict):
                rt = inner.get("resourceType")
                if isinstance(rt, str):
                    yield rt
                yield from _nested_types(inner)
            if key in ("parameter", "part"):
                yield from _nested_types(item)


def _issue(detail: Mapping[str, Any], root: str) -> Issue | None:
    kind = str(detail.get("type", ""))
    parts = [
        p for p in detail.get("loc", ()) if isinstance(p, int) or (p != "root" and _ELEMENT.fullmatch(p))
    ]
    message = str(detail.get("msg", ""))
    if kind == "extra_forbidden":
        return None
    if kind == "missing" or kind.endswith(".missing"):
        name = parts[-1] if parts else "?"
        return Issue(
            "required",
            f"Missing required element '{name}'",
            f"Thiếu phần tử bắt buộc '{name}'",
            (expression(root, parts),),
        )
    choice = _CHOICE_LIST.search(message) if kind == "value_error" and "field value" in message else None
    if choice is not None:
        names = [n.strip().strip("'\"") for n in choice.group(1).split(",")]
        stem = _choice_stem(names)
        at = expression(root, [*parts, stem])
        if "Expect any of" in message:
            return Issue("required", f"{stem}[x] is required", f"Bắt buộc phải có {stem}[x]", (at,))
        return Issue(
            "structure",
            f"Only one {stem}[x] is allowed",
            f"Chỉ được có một {stem}[x]",
            (at,),
        )
    at = expression(root, parts)
    if kind != "value_error" and any(word in kind for word in _DATE_ERRORS):
        return Issue(
            "value",
            "Not a real calendar date or time",
            "Ngày hoặc giờ không tồn tại trên lịch",
            (at,),
        )
    return Issue("value", f"Invalid value: {message}", "Giá trị không hợp lệ", (at,))


def _too_deep(root: str) -> Issue:
    return Issue(
        "too-costly",
        "The resource is nested too deeply to be checked",
        "Tài nguyên lồng nhau quá sâu, không thể kiểm tra",
        (root,),
    )


def _choice_stem(names: list[str]) -> str:
    """ "occurrence" for ["occurrenceDateTime", "occurrenceString"]: the prefix before the type names."""
    if not names:
        return "value"
    prefix = names[0]
    for name in names[1:]:
        while not name.startswith(prefix):
            prefix = prefix[:-1]
    # Back off to a boundary where every name continues with an upper-case type name ("valueS" -> "value").
    while prefix and not all(len(n) > len(prefix) and n[len(prefix)].isupper() for n in names):
        prefix = prefix[:-1]
    return prefix or names[0]
