"""OperationDefinitions as frozen data (`definitions.loader.load_operation`)."""

from __future__ import annotations

from dataclasses import dataclass


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
