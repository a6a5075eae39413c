"""OperationDefinitions as frozen data: the parameters an operation checks its input against. Built from
the OperationDefinition resources of conformance/operations/ (`Artifacts.operation`), the same resources
the server serves read-only and lists in its CapabilityStatement: one reader, one source."""

from __future__ import annotations

from dataclasses import dataclass

from fhir_server.types import JsonResource


@dataclass(frozen=True, slots=True)
class OperationParameter:
    name: str
    use: str  # in | out
    min: int
    max: str  # "1", "*"
    type: str  # a FHIR data type ("date") or resource type ("Patient")

    @property
    def many(self) -> bool:
        return self.max == "*"


@dataclass(frozen=True, slots=True)
class OperationDefinition:
    code: str
    url: str
    system: bool
    instance: bool
    resource: tuple[str, ...]
    parameters: tuple[OperationParameter, ...]

    def inputs(self) -> dict[str, OperationParameter]:
        return {p.name: p for p in self.parameters if p.use == "in"}


def operation_definition(raw: JsonResource) -> OperationDefinition:
    """Raises KeyError/ValueError (the loader names the file) for a definition without its essentials."""
    return OperationDefinition(
        code=raw["code"],
        url=raw["url"],
        system=bool(raw.get("system")),
        instance=bool(raw.get("instance")),
        resource=tuple(raw.get("resource", ())),
        parameters=tuple(
            OperationParameter(p["name"], p["use"], int(p["min"]), p["max"], p.get("type", ""))
            for p in raw.get("parameter", ())
        ),
    )
