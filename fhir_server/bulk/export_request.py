"""A Bulk Data $export kick-off request (HL7 Bulk Data Access IG v2), checked and reduced to what the
runner needs: the level, the resource types in order, `_since`, and for a Group its member patients.

Supported: `_type`, `_since`, `_outputFormat` (NDJSON only), `_typeFilter` (one per type, type_filter.py).
Not supported yet: `_elements`, `patient`, `includeAssociatedData`; with `Prefer: handling=strict` they are
a 400, otherwise they are ignored and the manifest's `error` list carries a warning OperationOutcome
naming them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from fhir_server.bulk.type_filter import TypeFilters
from fhir_server.definitions.registry import CompartmentRegistry
from fhir_server.model.outcome import FhirError
from fhir_server.types import JsonResource

Level = Literal["system", "patient", "group"]
NDJSON_FORMATS = frozenset({"application/fhir+ndjson", "application/ndjson", "ndjson"})
NOT_SUPPORTED = frozenset({"_elements", "patient", "includeAssociatedData"})


@dataclass(frozen=True, slots=True)
class ExportRequest:
    level: Level
    types: tuple[str, ...]  # exported in this order, one or more files each
    since: str | None = None  # an instant: resources last updated at or after it
    group_id: str | None = None
    members: tuple[str, ...] = ()  # Patient ids of the Group's active members
    ignored: tuple[str, ...] = ()  # parameters ignored under lenient handling
    type_filters: tuple[tuple[str, str], ...] = ()  # (type, search query) from `_typeFilter`

    def type_filter(self, resource_type: str) -> str | None:
        return dict(self.type_filters).get(resource_type)

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "types": list(self.types),
            "since": self.since,
            "group_id": self.group_id,
            "members": list(self.members),
            "ignored": list(self.ignored),
            "type_filters": [list(f) for f in self.type_filters],
        }

    @staticmethod
    def from_json(raw: dict[str, Any]) -> ExportRequest:
        return ExportRequest(
            raw["level"],
            tuple(raw["types"]),
            raw["since"],
            raw["group_id"],
            tuple(raw["members"]),
            tuple(raw["ignored"]),
            tuple((t, q) for t, q in raw.get("type_filters", [])),
        )


def compartment_types(compartments: CompartmentRegistry, known: frozenset[str]) -> tuple[str, ...]:
    """The types a Patient or Group export covers: Patient, then those in the Patient compartment."""
    others = sorted(
        t for t in compartments.by_compartment.get("Patient", {}) if t in known and t != "Patient"
    )
    return ("Patient", *others)


def parse_kickoff(
    level: Level,
    params: Sequence[tuple[str, str]],
    *,
    strict: bool,
    known: frozenset[str],
    compartments: CompartmentRegistry,
    filters: TypeFilters,
    group: JsonResource | None = None,
) -> ExportRequest:
    allowed = compartment_types(compartments, known) if level != "system" else tuple(sorted(known))
    types: list[str] = []
    since: str | None = None
    ignored: list[str] = []
    type_filters: list[str] = []
    for name, value in params:
        if name == "_type":
            types += _types(value, allowed, known, level)
        elif name == "_since":
            since = _instant(value)
        elif name == "_outputFormat":
            if value not in NDJSON_FORMATS:
                raise _invalid(
                    name,
                    f"_outputFormat {value!r} is not supported; use application/fhir+ndjson",
                    f"Không hỗ trợ _outputFormat {value!r}; hãy dùng application/fhir+ndjson",
                )
        elif name == "_typeFilter":
            type_filters.append(value)
        elif name in NOT_SUPPORTED:
            if strict:
                raise FhirError.of(
                    400,
                    "not-supported",
                    f"The $export parameter {name} is not supported yet",
                    f"Chưa hỗ trợ tham số {name} của $export",
                    name,
                )
            ignored.append(name)
        elif strict:
            raise _invalid(name, f"Unknown $export parameter {name}", f"Tham số $export không hợp lệ: {name}")
    members = _members(group) if group is not None else ()
    group_id = str(group["id"]) if group is not None else None
    chosen = tuple(dict.fromkeys(types)) if types else allowed
    checked: dict[str, str] = {}
    for value in type_filters:  # after `_type`, wherever it stood: a filter must name an exported type
        resource_type, query = filters.check(value, chosen, checked)
        checked[resource_type] = query
    return ExportRequest(
        level, chosen, since, group_id, members, tuple(dict.fromkeys(ignored)), tuple(checked.items())
    )


_VALUE_KEYS = ("valueString", "valueCode", "valueInstant", "valueDateTime", "valueUri", "valueId")


def parameters_to_params(body: object) -> list[tuple[str, str]]:
    """The kick-off parameters of a `POST $export` body (a Parameters resource) as name/value pairs, the
    shape of a GET's query. A `valueReference` (e.g. `patient`) gives its reference."""
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        raise FhirError.of(
            400,
            "invalid",
            "A POST $export body must be a Parameters resource",
            "Nội dung POST $export phải là tài nguyên Parameters",
        )
    pairs: list[tuple[str, str]] = []
    for n, parameter in enumerate(body.get("parameter") or []):
        name = parameter.get("name") if isinstance(parameter, dict) else None
        value = next((parameter[k] for k in _VALUE_KEYS if k in parameter), None) if name else None
        if value is None and name and isinstance(parameter.get("valueReference"), dict):
            value = parameter["valueReference"].get("reference")
        if not isinstance(name, str) or not isinstance(value, str):
            raise FhirError.of(
                400,
                "invalid",
                "Each parameter needs a name and a string, code, instant or reference value",
                "Mỗi tham số cần có tên và giá trị (chuỗi, mã, thời điểm hoặc tham chiếu)",
                f"Parameters.parameter[{n}]",
            )
        pairs.append((name, value))
    return pairs


def _types(value: str, allowed: Iterable[str], known: frozenset[str], level: Level) -> list[str]:
    names = [t.strip() for t in value.split(",") if t.strip()]
    allowed_set = frozenset(allowed)
    for name in names:
        if name not in known:
            raise _invalid("_type", f"Unknown resource type {name!r}", f"Không có loại tài nguyên {name!r}")
        if name not in allowed_set:
            raise _invalid(
                "_type",
                f"{name} is not in the Patient compartment, so a {level} export cannot include it",
                f"{name} không thuộc ngăn Patient nên không xuất được ở mức {level}",
            )
    return names


def _instant(value: str) -> str:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None or "T" not in value:
        raise _invalid(
            "_since",
            f"_since must be an instant with a time zone, e.g. 2026-01-01T00:00:00Z, not {value!r}",
            f"_since phải là thời điểm có múi giờ, ví dụ 2026-01-01T00:00:00Z, không phải {value!r}",
        )
    return parsed.isoformat()


def _members(group: JsonResource) -> tuple[str, ...]:
    """Ids of the Patients the Group lists as current members (`inactive` ones are left out)."""
    ids: list[str] = []
    for member in group.get("member") or []:
        reference = (member.get("entity") or {}).get("reference", "")
        kind, _, id = reference.partition("/")
        if kind == "Patient" and id and "/" not in id and not member.get("inactive", False):
            ids.append(id)
    return tuple(dict.fromkeys(ids))


def _invalid(name: str, en: str, vi: str) -> FhirError:
    return FhirError.of(400, "invalid", en, vi, name)
