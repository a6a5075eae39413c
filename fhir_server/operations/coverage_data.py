"""The children of an area and their doses, read from the index (`Store.column_values`), never from the
resources' JSON.

Areas are the Location hierarchy (country -> province -> commune, jurisdiction Locations identified by
their administrative unit code); a child belongs to the area of the Location(s) its managing
Organization (the commune health station keeping its EPI register) runs. Units that ceased with the
July 2025 reform keep their Locations: `successions` (old code -> today's code, data passed in) merges an
old unit's Locations into today's unit, so records made under the old units count where they are now.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from fhir_server.definitions.vaccines import VaccineCatalog
from fhir_server.model.outcome import FhirError
from fhir_server.operations import coverage_table
from fhir_server.operations.coverage_summary import CHILD_KIND
from fhir_server.operations.indicators import Child, Dose
from fhir_server.services.conditions import Conditions
from fhir_server.storage.base import ColumnValue, Store

ADMIN_UNIT = "https://fhir.vn/sid/ma-don-vi-hanh-chinh"
_MAX_DEPTH = 8  # country, region, province, district, commune, station, room, ...


@dataclass(frozen=True, slots=True)
class Unit:
    id: str  # Location id
    code: str  # administrative unit code ("" when the Location has none)
    name: str


@dataclass(frozen=True, slots=True)
class Area:
    unit: Unit
    units: tuple[Unit, ...]  # its direct sub-units (the communes of a province)
    unit_of_org: Mapping[str, str]  # managing Organization id -> sub-unit Location id (or the area's own)
    locations: frozenset[str] = frozenset()  # every Location it covers: itself, below it, merged into it


def grouped(rows: Sequence[ColumnValue]) -> dict[str, dict[str, list[str | int | float]]]:
    out: dict[str, dict[str, list[str | int | float]]] = {}
    for id, param, value in rows:
        out.setdefault(id, {}).setdefault(param, []).append(value)
    return out


def _admin_code(values: Mapping[str, list[str | int | float]]) -> str:
    for token in values.get("identifier", ()):
        system, _, code = str(token).partition("|")
        if system == ADMIN_UNIT:
            return code
    return ""


def _unit(id: str, values: Mapping[str, list[str | int | float]]) -> Unit:
    names = values.get("name", ())
    return Unit(id, _admin_code(values), str(names[0]) if names else id)


BATCH = 100  # search.parse.MAX_VALUES: the most ORed values one search parameter takes


def org_batches(area: Area) -> list[str]:
    """The area's managing Organizations as `organization=` values, at most BATCH per search (a province
    has more stations than that)."""
    orgs = sorted(area.unit_of_org)
    return [_refs("Organization", orgs[n : n + BATCH]) for n in range(0, len(orgs), BATCH)]


def _refs(kind: str, ids: Sequence[str]) -> str:
    return ",".join(f"{kind}/{i}" for i in sorted(ids))


class CoverageData:
    def __init__(
        self, store: Store, conditions: Conditions, catalog: VaccineCatalog, tz: tzinfo,
        successions: Mapping[str, str],
    ) -> None:  # fmt: skip
        self._store = store
        self._conditions = conditions
        self._catalog = catalog
        self._tz = tz
        self._predecessors: dict[str, list[str]] = {}
        for old, new in successions.items():
            self._predecessors.setdefault(new, []).append(old)
        self._old = frozenset(successions)

    def _locations(self, query: list[tuple[str, str]]) -> dict[str, dict[str, list[str | int | float]]]:
        request = self._conditions.from_params("Location", query)
        columns = ("identifier", "name", "organization", "partof", "status")
        return grouped(self._store.column_values(request, columns))

    def area(self, reference: str) -> Area:
        """`reference`: a Location id (`Location/x` or `x`) or an administrative unit code."""
        id = reference.removeprefix("Location/")
        found = self._locations([("_id", id)])
        found = found or self._locations([("identifier", f"{ADMIN_UNIT}|{reference}")])
        if not found:
            raise FhirError.of(
                404, "not-found", f"No area {reference!r} (Location id or administrative unit code)",
                f"Không tìm thấy địa bàn {reference!r} (mã Location hoặc mã đơn vị hành chính)", "area",
            )  # fmt: skip
        area_id, values = next(iter(found.items()))
        top = _unit(area_id, values)
        unit_of: dict[str, str] = {area_id: area_id}
        orgs: dict[str, str] = {str(o): area_id for o in values.get("organization", ())}
        units: list[Unit] = []
        frontier = [area_id, *self._predecessor_ids(top.code, unit_of, area_id)]
        for _ in range(_MAX_DEPTH):
            if not frontier:
                break
            below: dict[str, dict[str, list[str | int | float]]] = {}
            for start in range(0, len(frontier), BATCH):  # a province has more communes than one search takes
                below |= self._locations([("partof", _refs("Location", frontier[start : start + BATCH]))])
            frontier = []
            # Today's units first, so that each claims the former units merged into it before those
            # (siblings under the same parent) could be taken for units of their own.
            for id, vals in sorted(below.items(), key=lambda item: _admin_code(item[1]) in self._old):
                if id in unit_of:
                    continue
                parent = next((str(p) for p in vals.get("partof", ()) if str(p) in unit_of), area_id)
                # A unit that ceased (inactive: a district abolished in 2025) is no unit of its own; what
                # the ConceptMaps do not move elsewhere counts in the area, in none of its units.
                ceased = any(str(s).endswith("|inactive") for s in vals.get("status", ()))
                unit = unit_of[parent] if unit_of[parent] != area_id or ceased else id
                unit_of[id] = unit
                if unit == id:
                    units.append(_unit(id, vals))
                for org in vals.get("organization", ()):
                    orgs.setdefault(str(org), unit)
                frontier.append(id)
                frontier += self._predecessor_ids(_admin_code(vals), unit_of, unit)
        ordered = tuple(sorted(units, key=lambda u: (u.code, u.name)))
        return Area(top, ordered, orgs, frozenset(unit_of))

    def confine(self, manager_area: str | None, requested: str) -> None:
        """403 unless the area `requested` lies within a manager's own area (an administrative unit code,
        a Location id, or the exact name of a jurisdiction Location, as the manager's account gives it):
        a commune manager sees their commune, a province manager their province and its communes, and
        only a national manager (area `VN`) the whole country."""
        refused = FhirError.of(
            403, "forbidden", f"Reports for {requested!r} are outside your area",
            f"Báo cáo cho {requested!r} nằm ngoài địa bàn bạn quản lý", "area",
        )  # fmt: skip
        if not manager_area:
            raise refused
        if not requested.strip():
            return  # the operation answers 400 for a missing area
        try:
            own = self.area(manager_area)
        except FhirError:
            named = self._locations([("name:exact", manager_area)])
            coded = [id for id, values in named.items() if _admin_code(values)]
            if not coded:
                raise refused from None
            own = self.area(coded[0])
        if self.area(requested.strip()).unit.id not in own.locations:
            raise refused

    def _predecessor_ids(self, code: str, unit_of: dict[str, str], unit: str) -> list[str]:
        """Locations of the units merged into `code`, counted in `unit` from now on."""
        old = self._predecessors.get(code, [])
        if not old:
            return []
        found: dict[str, dict[str, list[str | int | float]]] = {}
        for start in range(0, len(old), BATCH):  # a province took in dozens of former districts
            found |= self._locations(
                [("identifier", ",".join(f"{ADMIN_UNIT}|{c}" for c in old[start : start + BATCH]))]
            )
        ids = [id for id in found if id not in unit_of]
        for id in ids:
            unit_of[id] = unit
        return ids

    def table(self, area: Area, born_from: date, born_before: date) -> coverage_table.ChildTable | None:
        """The area's children from the coverage aggregate (coverage_summary.py); None when the store
        keeps no complete aggregate (a store written before it, until `fhir-server coverage rebuild`)."""
        rows = self._store.summary_rows(CHILD_KIND, sorted(area.unit_of_org))
        if rows is None:
            return None
        return coverage_table.table(rows, area.unit_of_org, born_from, born_before)

    def children(self, area: Area, born_from: date, born_before: date) -> list[Child]:
        """The area's children from the index (`column_values`): the reference computation, and the
        answer on stores without the aggregate."""
        born = [("birthdate", f"ge{born_from.isoformat()}"), ("birthdate", f"lt{born_before.isoformat()}")]
        patient_rows: list[ColumnValue] = []
        dose_rows: list[ColumnValue] = []
        for orgs in org_batches(area):  # a search takes at most 100 ORed values
            patient_rows += self._store.column_values(
                self._conditions.from_params("Patient", [("organization", orgs), *born]),
                ("organization", "birthdate", "gender"),
            )
            immunizations = self._conditions.from_params(
                "Immunization",
                [("status", "completed"), ("patient.organization", orgs),
                 *((f"patient.{name}", value) for name, value in born)],
            )  # fmt: skip
            dose_rows += self._store.column_values(immunizations, ("patient", "vaccine-code", "date"))
        patients = grouped(patient_rows)
        doses: dict[str, list[Dose]] = {}
        for values in grouped(dose_rows).values():
            dose = self._dose(values)
            for patient in values.get("patient", ()):
                if dose is not None:
                    doses.setdefault(str(patient), []).append(dose)
        out: list[Child] = []
        for id, values in patients.items():
            births = values.get("birthdate", ())
            if not births:
                continue
            org = next((str(o) for o in values.get("organization", ()) if str(o) in area.unit_of_org), "")
            genders = values.get("gender", ())
            sex = str(genders[0]).partition("|")[2] if genders else "unknown"
            unit = area.unit_of_org.get(org, "")
            out.append(Child(id, self._day(births[0]), sex, tuple(doses.get(id, ())), unit))
        return out

    def day(self, micros: str | int | float) -> date:
        """The local date of an index date value."""
        return self._day(micros)

    def _day(self, micros: str | int | float) -> date:
        return datetime.fromtimestamp(int(micros) / 1_000_000, self._tz).date()

    def _dose(self, values: Mapping[str, list[str | int | float]]) -> Dose | None:
        days = values.get("date", ())
        if not days:
            return None
        for token in values.get("vaccine-code", ()):
            system, _, code = str(token).partition("|")
            facts = self._catalog.facts(system, code)
            if facts is not None:
                return Dose(self._day(days[0]), facts.antigens, facts.oral_polio, facts.program)
        return None
