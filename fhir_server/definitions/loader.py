"""The one reader of profiles/, terminology/, conformance/ and schedules/ (DESIGN.md §3.5).

Files under conformance/ (see conformance/README.md for their origin):
- fhir.schema.json          R4 JSON schema
- required-bindings.json    {type: {element path: [codes]}} for required bindings
- reference-targets.json    {type: {element path: [target types]}}
- search-parameters.json    Bundle of the official R4 SearchParameters (trimmed)
- compartment-*.json        the official R4 CompartmentDefinitions (trimmed)
- summary-elements.json     {type: {"summary": [...], "mandatory": [...]}} top-level element flags
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import orjson

from fhir_server.definitions.operations import OperationDefinition, OperationParameter
from fhir_server.definitions.programmes import NO_PROGRAMMES, Coverage, Instrument, Programmes
from fhir_server.definitions.registry import (
    CompartmentRegistry,
    Definitions,
    ElementFlags,
    ValidationDefinitions,
)
from fhir_server.definitions.schedule import Schedule
from fhir_server.definitions.schedule_xml import read_schedule
from fhir_server.definitions.search_parameters import build_search_registry

ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE = ROOT / "conformance"


def _read_json(path: Path) -> Any:
    return orjson.loads(path.read_bytes())


def _frozen_table(
    raw: dict[str, dict[str, list[str]]],
) -> MappingProxyType[str, MappingProxyType[str, frozenset[str]]]:
    return MappingProxyType(
        {
            rt: MappingProxyType({path: frozenset(values) for path, values in paths.items()})
            for rt, paths in raw.items()
        }
    )


def _compartments(conformance_dir: Path) -> CompartmentRegistry:
    table: dict[str, MappingProxyType[str, tuple[str, ...]]] = {}
    for path in sorted(conformance_dir.glob("compartment-*.json")):
        definition = _read_json(path)
        table[definition["code"]] = MappingProxyType(
            {entry["code"]: tuple(entry["param"]) for entry in definition["resource"] if entry.get("param")}
        )
    return CompartmentRegistry(MappingProxyType(table))


def _element_flags(path: Path) -> MappingProxyType[str, ElementFlags]:
    raw: dict[str, dict[str, list[str]]] = _read_json(path)
    return MappingProxyType(
        {
            rt: ElementFlags(frozenset(flags["summary"]), frozenset(flags["mandatory"]))
            for rt, flags in raw.items()
        }
    )


@cache
def load_definitions(conformance_dir: Path = CONFORMANCE) -> Definitions:
    """Load and freeze all definitions; cached because they never change while the process lives."""
    schema = _read_json(conformance_dir / "fhir.schema.json")
    resource_types = frozenset(schema["discriminator"]["mapping"])
    validation = ValidationDefinitions(
        json_schema=schema,
        required_bindings=_frozen_table(_read_json(conformance_dir / "required-bindings.json")),
        reference_targets=_frozen_table(_read_json(conformance_dir / "reference-targets.json")),
    )
    search_bundle = _read_json(conformance_dir / "search-parameters.json")
    return Definitions(
        fhir_version="4.0.1",
        resource_types=resource_types,
        search_params=build_search_registry(search_bundle, resource_types),
        validation=validation,
        compartments=_compartments(conformance_dir),
        element_flags=_element_flags(conformance_dir / "summary-elements.json"),
    )


SCHEDULES = ROOT / "schedules"


@cache
def load_schedule(name: str, schedules_dir: Path = SCHEDULES) -> Schedule:
    """Load one schedule folder, frozen: `schedules/<name>/ScheduleSupportingData.xml` plus one antigen file
    each (`antigen-<Antigen>.xml`, or CDC's own `AntigenSupportingData- <Antigen>-508.xml` names)."""
    folder = schedules_dir / name
    antigen_files = sorted({*folder.glob("antigen-*.xml"), *folder.glob("AntigenSupportingData*.xml")})
    if not antigen_files:
        raise FileNotFoundError(f"no antigen supporting data in {folder}")
    return read_schedule(
        name,
        (folder / "ScheduleSupportingData.xml").read_bytes(),
        (path.read_bytes() for path in antigen_files),
    )


@cache
def load_programmes(name: str, schedules_dir: Path = SCHEDULES) -> Programmes:
    """`schedules/<name>/programmes.json` (instruments in force, EPI coverage per vaccine group), frozen;
    a schedule without the file (CDC's) has no programmes."""
    path = schedules_dir / name / "programmes.json"
    if not path.exists():
        return NO_PROGRAMMES
    raw = _read_json(path)
    instruments = tuple(
        sorted(
            (
                Instrument(
                    i["id"],
                    i["title"],
                    date.fromisoformat(i["valid_from"]),
                    date.fromisoformat(i["valid_to"]) if i.get("valid_to") else None,
                )
                for i in raw["instruments"]
            ),
            key=lambda i: i.valid_from,
        )
    )
    epi = {
        c["vaccine_group"]: Coverage(
            c["vaccine_group"], date.fromisoformat(c["since"]), c["instrument"], c.get("rollout", "")
        )
        for c in raw["epi"]
    }
    return Programmes(instruments, MappingProxyType(epi))


TERMINOLOGY = ROOT / "terminology"


@cache
def load_vaccine_systems(terminology_dir: Path = TERMINOLOGY) -> MappingProxyType[str, str]:
    """National vaccine codes -> their code system URL (terminology/CodeSystem-*vaccine*.json), so a
    recommendation names a national product with its own system rather than CVX's."""
    systems: dict[str, str] = {}
    for path in sorted(terminology_dir.glob("CodeSystem-*vaccine*.json")):
        code_system = _read_json(path)
        for concept in code_system.get("concept", ()):
            systems[concept["code"]] = code_system["url"]
    return MappingProxyType(systems)


@cache
def load_operation(code: str, conformance_dir: Path = CONFORMANCE) -> OperationDefinition:
    """`conformance/OperationDefinition-<code>.json`, frozen: the parameters an operation checks against."""
    raw = _read_json(conformance_dir / f"OperationDefinition-{code}.json")
    return OperationDefinition(
        code=raw["code"],
        url=raw["url"],
        system=bool(raw.get("system")),
        instance=bool(raw.get("instance")),
        resource=tuple(raw.get("resource", ())),
        parameters=tuple(
            OperationParameter(p["name"], p["use"], int(p["min"]), p["max"], p.get("type", ""))
            for p in raw["parameter"]
        ),
    )
