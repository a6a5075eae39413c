"""Validation layer 4 (DESIGN.md §7): required bindings, reference target types, reference syntax.

The tables (conformance/required-bindings.json, reference-targets.json) are keyed by element paths in the
type that defines the element: `Patient.link.type` for a resource's own or backbone element,
`HumanName.use` for a data type's element, wherever that data type appears. A path is resolved once,
through the JSON schema's `$ref`s, to (schema definition, property); the walk then follows the same
`$ref`s through the resource, so backbone recursion (`Questionnaire.item.item`), data types inside
resources and contained resources are all covered. Definitions with nothing to check below them are
pruned, so the walk visits only what can fail.

For `code` elements the table lists codes; for `Coding`/`CodeableConcept` elements it lists
"system|code", and at least one coding must be one of them.

Runs after layers 2-3 have passed, so the resource has the schema's shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fhir_server.definitions.registry import ValidationDefinitions
from fhir_server.model.outcome import Issue
from fhir_server.model.references import parse_reference
from fhir_server.types import JsonResource

_DEFS = "#/definitions/"
_RESOURCE = "ResourceList"  # the schema's "any resource"
_REFERENCE = "Reference"


@dataclass(frozen=True, slots=True)
class _Field:
    path: str  # element path in its defining type, for messages ("Patient.link.type")
    child: str | None  # complex type to walk into; None for primitives
    codes: frozenset[str] | None = None
    targets: frozenset[str] | None = None


@dataclass(slots=True)
class BindingFindings:
    """Malformed references (400) and binding / target violations (422), kept apart."""

    malformed: list[Issue] = field(default_factory=list)
    invalid: list[Issue] = field(default_factory=list)


@dataclass(slots=True)
class _Context:
    findings: BindingFindings
    root_type: str
    contained: dict[str, str]  # contained id -> resourceType, for "#id" references


class BindingChecker:
    def __init__(self, definitions: ValidationDefinitions) -> None:
        schema = definitions.json_schema
        self._resource_types = frozenset(schema["discriminator"]["mapping"])
        defs: Mapping[str, Any] = schema["definitions"]
        codes = _resolve(defs, definitions.required_bindings)
        targets = _resolve(defs, definitions.reference_targets)
        fields: dict[str, dict[str, _Field]] = {}
        for name, d in defs.items():
            for prop, sub in d.get("properties", {}).items():
                if prop.startswith("_") or prop == "resourceType":
                    continue
                ref = str(sub.get("items", sub).get("$ref", "")).removeprefix(_DEFS)
                complex_type = ref if ref == _RESOURCE or "properties" in defs.get(ref, {}) else None
                bound, aimed = codes.get((name, prop)), targets.get((name, prop))
                path = bound[0] if bound else aimed[0] if aimed else f"{name}.{prop}"
                fields.setdefault(name, {})[prop] = _Field(
                    path, complex_type, bound[1] if bound else None, aimed[1] if aimed else None
                )
        self._plans = _prune(fields)

    def check(self, resource: JsonResource, resource_type: str) -> BindingFindings:
        ctx = _new_context(resource, resource_type, BindingFindings())
        self._walk(resource, resource_type, resource_type, ctx)
        return ctx.findings

    def _walk(self, node: Mapping[str, Any], definition: str, at: str, ctx: _Context) -> None:
        plan = self._plans.get(definition)
        if plan is None:
            return
        for key, value in node.items():
            element = plan.get(key)
            if element is None:
                continue
            if isinstance(value, list):
                for i, item in enumerate(value):
                    self._visit(element, key, item, f"{at}.{key}[{i}]", ctx)
            else:
                self._visit(element, key, value, f"{at}.{key}", ctx)

    def _visit(self, element: _Field, key: str, value: Any, at: str, ctx: _Context) -> None:
        if element.codes is not None:
            self._check_code(element, element.codes, value, at, ctx)
        if element.child is None or not isinstance(value, dict):
            return
        if element.child == _RESOURCE:
            rt = str(value.get("resourceType"))
            # A contained resource resolves "#id" against its container; a Bundle entry is its own root.
            inner = ctx if key == "contained" else _new_context(value, rt, ctx.findings)
            self._walk(value, rt, at, inner)
            return
        if element.child == _REFERENCE:
            self._check_reference(element, value, at, ctx)
        self._walk(value, element.child, at, ctx)

    def _check_code(self, element: _Field, codes: frozenset[str], value: Any, at: str, ctx: _Context) -> None:
        if isinstance(value, str):
            ok = value in codes
        elif isinstance(value, dict):
            codings = value.get("coding", []) if element.child == "CodeableConcept" else [value]
            ok = any(f"{c.get('system')}|{c.get('code')}" in codes for c in codings if isinstance(c, dict))
        else:
            return
        if not ok:
            allowed = _listing(codes)
            ctx.findings.invalid.append(
                Issue(
                    "code-invalid",
                    f"The code is not in the required value set of {element.path}{allowed}",
                    f"Mã không thuộc tập giá trị bắt buộc của {element.path}{allowed}",
                    (at,),
                )
            )

    def _check_reference(self, element: _Field, value: Mapping[str, Any], at: str, ctx: _Context) -> None:
        target: str | None = None
        reference = value.get("reference")
        if isinstance(reference, str):
            parsed = parse_reference(reference, self._resource_types)
            if parsed is None:
                ctx.findings.malformed.append(
                    Issue(
                        "value",
                        "Malformed reference: expected Type/id, an absolute URL, urn:uuid:, urn:oid: or #id",
                        "Tham chiếu sai định dạng: cần Type/id, URL tuyệt đối, urn:uuid:, urn:oid: hoặc #id",
                        (f"{at}.reference",),
                    )
                )
                return
            target = parsed.resource_type
            if parsed.kind == "local":
                target = ctx.contained.get(parsed.id or "") if parsed.id else ctx.root_type
                if target is None:
                    ctx.findings.invalid.append(
                        Issue(
                            "invalid",
                            "The local reference names no contained resource",
                            "Tham chiếu nội bộ không trỏ tới tài nguyên contained nào",
                            (f"{at}.reference",),
                        )
                    )
                    return
        declared = value.get("type")
        if isinstance(declared, str) and (name := declared.rsplit("/", 1)[-1]) in self._resource_types:
            if target is not None and target != name:
                ctx.findings.invalid.append(
                    Issue(
                        "invalid",
                        f"Reference.type {name} does not match the referenced {target}",
                        f"Reference.type {name} không khớp với tài nguyên được tham chiếu {target}",
                        (f"{at}.type",),
                    )
                )
                return
            target = name
        if element.targets is not None and target is not None and target not in element.targets:
            allowed = ", ".join(sorted(element.targets))
            ctx.findings.invalid.append(
                Issue(
                    "invalid",
                    f"{element.path} may not refer to {target} (allowed: {allowed})",
                    f"{element.path} không được tham chiếu tới {target} (cho phép: {allowed})",
                    (at,),
                )
            )


def _new_context(resource: Mapping[str, Any], resource_type: str, findings: BindingFindings) -> _Context:
    contained = {
        str(c.get("id")): str(c.get("resourceType"))
        for c in resource.get("contained", ())
        if isinstance(c, dict) and "id" in c
    }
    return _Context(findings, resource_type, contained)


def _resolve(
    defs: Mapping[str, Any], table: Mapping[str, Mapping[str, frozenset[str]]]
) -> dict[tuple[str, str], tuple[str, frozenset[str]]]:
    """{(definition, property): (element path, values)}; a path the schema does not know is an error."""
    out: dict[tuple[str, str], tuple[str, frozenset[str]]] = {}
    for paths in table.values():
        for path, values in paths.items():
            head, *props = path.split(".")
            current = head
            for i, prop in enumerate(props):
                sub = defs.get(current, {}).get("properties", {}).get(prop)
                if sub is None:
                    raise ValueError(f"validation table names an element the schema lacks: {path}")
                if i == len(props) - 1:
                    out[(current, prop)] = (path, values)
                else:
                    current = str(sub.get("items", sub).get("$ref", "")).removeprefix(_DEFS)
    return out


def _prune(fields: dict[str, dict[str, _Field]]) -> dict[str, dict[str, _Field]]:
    """Keep only fields that check something, directly or somewhere below them."""
    relevant = {_REFERENCE, _RESOURCE}
    changed = True
    while changed:
        changed = False
        for name, props in fields.items():
            if name not in relevant and any(_keeps(f, relevant) for f in props.values()):
                relevant.add(name)
                changed = True
    return {
        name: {prop: f for prop, f in props.items() if _keeps(f, relevant)}
        for name, props in fields.items()
        if name in relevant
    }


def _keeps(element: _Field, relevant: set[str]) -> bool:
    return element.codes is not None or element.targets is not None or element.child in relevant


def _listing(codes: frozenset[str]) -> str:
    return f" ({', '.join(sorted(codes))})" if len(codes) <= 12 else ""
