"""OperationOutcome: the one shape every error takes, and the exception that carries it.

English goes in `diagnostics`, Vietnamese (where we wrote the text) in `details.text`; the element's
FHIRPath goes in `expression`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from fhir_server.types import JsonResource

Severity = Literal["fatal", "error", "warning", "information"]


@dataclass(frozen=True, slots=True)
class Issue:
    """One OperationOutcome.issue. `code` is from http://hl7.org/fhir/issue-type."""

    code: str
    en: str
    vi: str | None = None
    expression: tuple[str, ...] = ()
    severity: Severity = "error"

    def to_json(self) -> JsonResource:
        issue: JsonResource = {"severity": self.severity, "code": self.code}
        if self.vi:
            issue["details"] = {"text": self.vi}
        issue["diagnostics"] = self.en
        if self.expression:
            issue["expression"] = list(self.expression)
        return issue


@dataclass(slots=True)
class FhirError(Exception):
    """A request that cannot be honoured; becomes an OperationOutcome with `status`."""

    status: int
    issues: Sequence[Issue]
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status}: " + "; ".join(i.en for i in self.issues)

    @classmethod
    def of(
        cls,
        status: int,
        code: str,
        en: str,
        vi: str | None = None,
        expression: str | None = None,
    ) -> FhirError:
        """One issue, the common case."""
        return cls(status, [Issue(code, en, vi, (expression,) if expression else ())])


def operation_outcome(issues: Iterable[Issue]) -> JsonResource:
    """An OperationOutcome resource for the issues (at least one is required by FHIR)."""
    items = [i.to_json() for i in issues]
    if not items:
        items = [Issue("informational", "All OK", "Thành công", severity="information").to_json()]
    return {"resourceType": "OperationOutcome", "issue": items}
