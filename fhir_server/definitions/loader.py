"""The one reader of profiles/, terminology/, conformance/ and schedules/ (DESIGN.md §3.5).

Files under conformance/ (see conformance/README.md for their origin):
- fhir.schema.json          R4 JSON schema
- required-bindings.json    {type: {element path: [codes]}} for required bindings
- reference-targets.json    {type: {element path: [target types]}}
- search-parameters.json    Bundle of the official R4 SearchParameters (trimmed)
- compartment-*.json        the official R4 CompartmentDefinitions (trimmed)
- summary-elements.json     {type: {"summary": [...], "mandatory": [...]}} top-level element flags
- operations/*.json         the OperationDefinitions of every $operation the server routes
- search-parameters/*.json  the national SearchParameters, registered after (so beside) the official ones

`load_artifacts` reads profiles/, terminology/, conformance/operations/ and conformance/search-parameters/
(the national artifacts).
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import orjson

from fhir_server.definitions.artifacts import ARTIFACT_TYPES, ArtifactError, Artifacts
from fhir_server.definitions.guide import implementation_guide
from fhir_server.definitions.operations import operation_definition
from fhir_server.definitions.profiles import build_profile
from fhir_server.definitions.programmes import NO_PROGRAMMES, Coverage, Instrument, Programmes
from fhir_server.definitions.registry import (
    CompartmentRegistry,
    Definitions,
    ElementFlags,
    ValidationDefinitions,
)
from fhir_server.definitions.schedule import Schedule
from fhir_server.definitions.schedule_xml import read_schedule
from fhir_server.definitions.search_parameters import build_search_registry, check_national
from fhir_server.definitions.terminology import build_terminology
from fhir_server.definitions.vaccines import CVX, VN_VACCINE, VaccineCatalog, VaccineFacts
from fhir_server.types import JsonResource

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
    national_dir = conformance_dir / "search-parameters"
    national = load_search_parameters(national_dir, resource_types)
    _refuse_official_codes(search_bundle, national, national_dir)
    search_bundle["entry"] = [*search_bundle.get("entry", ()), *({"resource": r} for r in national)]
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


TERMINOLOGY = ROOT / "terminology"
# Oral polio vaccines by CVX (OPV, trivalent, bivalent, monovalent): CDSi counts all polio as one antigen.
_ORAL_POLIO_CVX = frozenset({"2", "178", "179", "182"})
# CVX codes that count as EPI although no EPI product maps to them in the ConceptMap: 102 (DTP-Hib-HepB),
# the whole-cell pentavalent as many records (and bench/population) code it.
_EPI_CVX_EXTRA = frozenset({"102"})


@cache
def load_vaccine_catalog(
    schedule_name: str = "vn", terminology_dir: Path = TERMINOLOGY, schedules_dir: Path = SCHEDULES
) -> VaccineCatalog:
    """Antigens from the schedule's vaccine table (CVX and VN- codes), programme from the national
    CodeSystem (a CVX code is EPI when an EPI product maps to it), oral polio by CVX."""
    schedule = load_schedule(schedule_name, schedules_dir)
    code_system = _read_json(terminology_dir / "CodeSystem-vn-vaccine.json")
    concept_map = _read_json(terminology_dir / "ConceptMap-vn-vaccine-to-cvx.json")
    programs = {
        c["code"]: next((p["valueCode"] for p in c.get("property", []) if p["code"] == "program"), "service")
        for c in code_system["concept"]
    }
    to_cvx: dict[str, str] = {}
    for group in concept_map["group"]:
        for element in group["element"]:
            for target in element.get("target", []):
                if "code" in target:
                    to_cvx[element["code"]] = target["code"].lstrip("0")
    epi_cvx = {cvx for code, cvx in to_cvx.items() if programs.get(code) == "EPI"} | _EPI_CVX_EXTRA
    table: dict[tuple[str, str], VaccineFacts] = {}
    for code, vaccine in schedule.vaccines.items():
        antigens = frozenset(a.antigen for a in vaccine.associations)
        if code.startswith("VN-"):
            program = "EPI" if programs.get(code) == "EPI" else "paid"
            oral = to_cvx.get(code) in _ORAL_POLIO_CVX
            table[(VN_VACCINE, code)] = VaccineFacts(antigens, program, oral)
        else:
            program = "EPI" if code in epi_cvx else "paid"
            table[(CVX, code)] = VaccineFacts(antigens, program, code in _ORAL_POLIO_CVX)
    return VaccineCatalog(MappingProxyType(table))


# Pre-2025 administrative units -> today's, as ConceptMaps (source: old unit code, target: the code of the
# unit it became part of): the 63 former provinces (Resolution 202/2025/QH15), the 696 former districts (to
# today's province) and the 10,035 former communes. Codes have 2, 3 and 5 digits: the levels never collide.
UNIT_SUCCESSION_FILES = (
    "ConceptMap-vn-province-2004-to-2025.json",
    "ConceptMap-vn-district-2004-to-2025.json",
    "ConceptMap-vn-commune-2004-to-2025.json",
)


@cache
def load_unit_successions(terminology_dir: Path = TERMINOLOGY) -> MappingProxyType[str, str]:
    """Old unit code -> today's, for grouping records made before the reform. A split unit goes to its first
    (default) target. Identity rows are left out, and so is an old code that is also a code of today's
    units (a commune code reused for another commune): records with it are read as today's unit."""
    table: dict[str, str] = {}
    current: set[str] = set()
    for name in UNIT_SUCCESSION_FILES:
        path = terminology_dir / name
        if not path.exists():
            continue
        seen: set[str] = set()  # this file's codes: one level's, which must not be another level's too
        for group in _read_json(path).get("group", []):
            for element in group.get("element", []):
                if element["code"] in table and element["code"] not in seen:
                    raise ArtifactError(f"{path}: code {element['code']} is also a code of another level")
                seen.add(element["code"])
                targets = [t["code"] for t in element.get("target", []) if t.get("code")
                           and t.get("equivalence") != "unmatched"]  # fmt: skip
                current.update(targets)
                if targets and targets[0] != element["code"]:
                    table[element["code"]] = targets[0]
    return MappingProxyType({old: new for old, new in table.items() if old not in current})


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


PROFILES = ROOT / "profiles"
OPERATIONS = CONFORMANCE / "operations"


def _artifact_files(folder: Path) -> list[tuple[Path, JsonResource]]:
    out = []
    for path in sorted(folder.glob("*.json")):
        try:
            resource = _read_json(path)
        except orjson.JSONDecodeError as exc:
            raise ArtifactError(f"{path}: not valid JSON ({exc})") from exc
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise ArtifactError(f"{path}: not a FHIR resource")
        if resource["resourceType"] not in ARTIFACT_TYPES or not isinstance(resource.get("id"), str):
            raise ArtifactError(f"{path}: expected a conformance resource with an id")
        out.append((path, resource))
    return out


@cache
def load_search_parameters(folder: Path, resource_types: frozenset[str]) -> tuple[JsonResource, ...]:
    """The national SearchParameters (conformance/search-parameters/), each checked; a broken file raises
    ArtifactError naming it, which stops start-up (both load_definitions and load_artifacts call this)."""
    out = []
    for path, resource in _artifact_files(folder):
        try:
            check_national(resource, resource_types)
            if path.name != f"SearchParameter-{resource['id']}.json":
                raise ValueError(f"the file of id {resource['id']!r} is named SearchParameter-<id>.json")
        except ValueError as exc:
            raise ArtifactError(f"{path}: {exc}") from exc
        out.append(resource)
    return tuple(out)


def _refuse_official_codes(bundle: dict[str, Any], national: tuple[JsonResource, ...], folder: Path) -> None:
    """A national parameter adds a code; it must not silently replace an R4 one of the same base (the
    registry keeps the last entry of a code)."""
    official = {
        (base, resource["code"])
        for entry in bundle.get("entry", ())
        for resource in [entry.get("resource") or {}]
        for base in resource.get("base", ())
    }
    for resource in national:
        code = resource["code"]
        for base in resource["base"]:
            if {(base, code), ("Resource", code), ("DomainResource", code)} & official:
                path = folder / f"SearchParameter-{resource['id']}.json"
                raise ArtifactError(f"{path}: code {code!r} is already an R4 search parameter of {base}")


SEARCH_PARAMETERS = CONFORMANCE / "search-parameters"


@cache
def load_artifacts(
    profiles_dir: Path = PROFILES,
    terminology_dir: Path = TERMINOLOGY,
    operations_dir: Path = OPERATIONS,
    search_parameters_dir: Path = SEARCH_PARAMETERS,
) -> Artifacts:
    """Profiles, terminology and OperationDefinitions, checked and frozen. Raises ArtifactError naming the
    file when one cannot be read or used: the server must not start half-configured."""
    terminology_files = _artifact_files(terminology_dir)
    try:
        terminology = build_terminology(resource for _, resource in terminology_files)
    except (KeyError, ValueError, StopIteration) as exc:
        raise ArtifactError(f"{terminology_dir}: {exc!r} (see the ValueSet/CodeSystem named)") from exc
    profiles = {}
    for path, resource in _artifact_files(profiles_dir):
        try:
            profile = build_profile(resource, path.name)
        except (KeyError, ValueError, TypeError) as exc:
            raise ArtifactError(f"{path}: {exc}") from exc
        for rule in profile.rules:
            if rule.binding and rule.binding not in terminology.value_sets:
                raise ArtifactError(f"{path}: {rule.path} is bound to an unknown ValueSet {rule.binding}")
        profiles[profile.url] = profile
    operations: dict[str, JsonResource] = {}
    for path, resource in _artifact_files(operations_dir):
        try:
            operation_definition(resource)
            if resource["url"].rsplit("/", 1)[-1] != resource["id"]:
                raise ValueError(f"id {resource['id']!r} is not the last segment of url {resource['url']}")
        except (KeyError, ValueError, TypeError) as exc:
            raise ArtifactError(f"{path}: {exc!r}") from exc
        operations[resource["id"]] = resource
    resource_types = load_definitions().resource_types
    search_parameters = {r["id"]: r for r in load_search_parameters(search_parameters_dir, resource_types)}
    return Artifacts(
        MappingProxyType(profiles),
        terminology,
        MappingProxyType(operations),
        implementation_guide(profiles.values(), terminology, operations.values(), search_parameters.values()),
        MappingProxyType(search_parameters),
    )
