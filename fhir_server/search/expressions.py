"""SearchParameter expressions compiled once into evaluators that return (value, FHIR type) pairs.

Almost every official R4 expression is a union of plain paths with a few idioms: `(X.value as T)`,
`X.value.as(T)`, `X.where(resolve() is Patient)` and `X.where(system='phone')`. Those are compiled to a
walk over the JSON dicts, using the R4 model of fhirpathpy to know each element's type and which
elements are choices (`Immunization.occurrence` -> `occurrenceDateTime` | `occurrenceString`). That is
10-30x faster than evaluating FHIRPath per parameter, and it also answers `resolve() is T`, which
fhirpathpy cannot.
Anything else falls back to fhirpathpy (compiled once); its results carry no type (None).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from fhirpathpy import compile as fhirpath_compile
from fhirpathpy.models import models

from fhir_server.definitions.search_parameters import split_top_level
from fhir_server.search.convert import REFERENCE_PATTERN

_MODEL: Final[dict[str, Any]] = models["r4"]
_PATH_TYPE: Final[dict[str, str]] = _MODEL["path2Type"]
_CHOICES: Final[dict[str, list[str]]] = _MODEL["choiceTypePaths"]
_ELSEWHERE: Final[dict[str, str]] = _MODEL["pathsDefinedElsewhere"]
_PARENT: Final[dict[str, str]] = _MODEL["type2Parent"]
# Backbone elements have children in the model but no entry of their own.
_BACKBONES: Final[frozenset[str]] = frozenset(
    path.rsplit(".", i)[0] for path in _PATH_TYPE for i in range(1, path.count(".") + 1)
)

Typed = tuple[Any, str | None]
Evaluate = Callable[[dict[str, Any]], list[Typed]]
Predicate = Callable[[Any], bool]

_AS_WRAPPED = re.compile(r"\((.+) as (\w+)\)(?:\.(.+))?")
_AS_TAIL = re.compile(r"(.+) as (\w+)")
_AS_CALL = re.compile(r"(?:as|ofType)\((\w+)\)")
_RESOLVE_IS = re.compile(r"where\(resolve\(\) is (\w+)\)")
_WHERE_EQ = re.compile(r"where\((\w+) ?= ?'([^']*)'\)")
_IDENT = re.compile(r"[A-Za-z_]\w*")
# `Patient.deceased.exists() and Patient.deceased != false`: true when present and not `false`.
_PRESENT_NOT_FALSE = re.compile(r"(\w+)\.(\w+)\.exists\(\) and \1\.\2 != false")


def reference_type(ref: Any) -> str | None:
    """The target type of a Reference dict ("Patient/1", ".../Patient/1", or its `type`)."""
    if not isinstance(ref, dict):
        return None
    text = ref.get("reference")
    if isinstance(text, str):
        match = REFERENCE_PATTERN.search(text)
        if match:
            return match.group(1)
    kind = ref.get("type")
    return kind if isinstance(kind, str) else None


def _is_a(type_name: str, wanted: str) -> bool:
    while True:
        if type_name == wanted:
            return True
        parent = _PARENT.get(type_name)
        if parent is None:
            return False
        type_name = parent


@dataclass(frozen=True, slots=True)
class _Step:
    keys: tuple[tuple[str, str], ...] = ()  # (JSON key, FHIR type); several for a choice element
    where: Predicate | None = None  # a filter on the current values instead of a navigation
    name: str = ""  # the element name as written (`occurrence` for `occurrenceDateTime`)


class _Unsupported(Exception):
    """The expression needs the general FHIRPath engine."""


def _choice_suffix(type_name: str) -> str:
    name = "Quantity" if type_name in ("SimpleQuantity", "MoneyQuantity") else type_name
    return name[0].upper() + name[1:]


def _navigate(context: str, name: str) -> _Step:
    path = f"{context}.{name}"
    choices = _CHOICES.get(path)
    if choices:
        return _Step(tuple((name + c, _PATH_TYPE.get(path + c, c)) for c in choices), name=name)
    kind = _PATH_TYPE.get(path) or (path if path in _BACKBONES else None)
    if kind is None:
        raise _Unsupported(path)
    if kind.startswith("System."):
        raise _Unsupported(path)  # ids and urls of elements: never searched, leave them to FHIRPath
    return _Step(((name, kind),), name=name)


def _narrow(step: _Step, wanted: str) -> _Step:
    """`as T` / `.as(T)` / `.ofType(T)` after a navigation: keep the alternatives of that type.

    For a choice the exact alternative wins (`ConceptMap.source as uri` is `sourceUri`, not also
    `sourceCanonical` although canonical specialises uri)."""
    exact = tuple(item for item in step.keys if item[0] == step.name + _choice_suffix(wanted))
    if exact and len(step.keys) > 1:
        return _Step(exact, name=step.name)
    return _Step(tuple(item for item in step.keys if _is_a(item[1], wanted)), name=step.name)


def _context_of(kind: str) -> str:
    return _ELSEWHERE.get(kind, kind)


def _is_reference_to(wanted: str) -> Predicate:
    return lambda value: reference_type(value) == wanted


def _has_field(name: str, literal: str) -> Predicate:
    return lambda value: isinstance(value, dict) and value.get(name) == literal


def _compile_part(part: str, resource_type: str) -> list[_Step]:
    narrow_to: str | None = None
    tail: str | None = None
    match = _AS_WRAPPED.fullmatch(part)
    if match:
        part, narrow_to, tail = match.groups()
    elif match := _AS_TAIL.fullmatch(part):
        part, narrow_to = match.groups()
    segments = split_top_level(part, ".")
    if segments[0] == resource_type:
        segments = segments[1:]
    if tail:
        segments.append(f"as({narrow_to})")
        segments += split_top_level(tail, ".")
    elif narrow_to:
        segments.append(f"as({narrow_to})")
    steps: list[_Step] = []
    context = resource_type
    for segment in segments:
        if call := _AS_CALL.fullmatch(segment):
            if not steps or steps[-1].where:
                raise _Unsupported(segment)
            steps[-1] = _narrow(steps[-1], call.group(1))
        elif call := _RESOLVE_IS.fullmatch(segment):
            steps.append(_Step(where=_is_reference_to(call.group(1))))
        elif call := _WHERE_EQ.fullmatch(segment):
            steps.append(_Step(where=_has_field(*call.groups())))
        elif _IDENT.fullmatch(segment):
            if steps and len({kind for _, kind in steps[-1].keys}) > 1:
                raise _Unsupported(segment)  # navigating below an un-narrowed choice
            if steps and not steps[-1].keys and not steps[-1].where:
                return []  # narrowed to nothing: this part can never yield a value
            steps.append(_navigate(context, segment))
            context = _context_of(steps[-1].keys[0][1])
            continue
        else:
            raise _Unsupported(segment)
        if steps[-1].keys:
            context = _context_of(steps[-1].keys[0][1])
    return steps


def _walk(resource: dict[str, Any], steps: Sequence[_Step]) -> list[Typed]:
    current: list[Typed] = [(resource, None)]
    for step in steps:
        if step.where is not None:
            test = step.where
            current = [item for item in current if test(item[0])]
            continue
        found: list[Typed] = []
        for node, _ in current:
            if type(node) is not dict:
                continue
            for key, kind in step.keys:
                value = node.get(key)
                if value is None:
                    continue
                if type(value) is list:
                    found.extend((item, kind) for item in value)
                else:
                    found.append((value, kind))
        if not found:
            return found
        current = found
    return current


def compile_expression(expression: str, resource_type: str) -> tuple[Evaluate, bool]:
    """An evaluator for `expression` on resources of `resource_type`, and whether it is the fast path."""
    flag = _PRESENT_NOT_FALSE.fullmatch(expression)
    if flag and flag.group(1) == resource_type:
        return _present_not_false(_navigate(resource_type, flag.group(2))), True
    try:
        parts = [_compile_part(p, resource_type) for p in split_top_level(expression, "|")]
    except _Unsupported:
        return _fhirpath(expression), False
    parts = [p for p in parts if p]
    if len(parts) == 1:
        only = parts[0]
        return (lambda resource: _walk(resource, only)), True
    return (lambda resource: [item for p in parts for item in _walk(resource, p)]), True


def _present_not_false(step: _Step) -> Evaluate:
    def evaluate(resource: dict[str, Any]) -> list[Typed]:
        values = [item[0] for item in _walk(resource, (step,))]
        return [(bool(values) and all(v is not False for v in values), "boolean")]

    return evaluate


def _fhirpath(expression: str) -> Evaluate:
    compiled = fhirpath_compile(expression, _MODEL)

    def evaluate(resource: dict[str, Any]) -> list[Typed]:
        return [(value, None) for value in compiled(resource, None)]

    return evaluate
