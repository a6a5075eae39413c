"""The $operations the API calls, built once by `app.py`."""

from __future__ import annotations

from dataclasses import dataclass

from fhir_server.operations.terminology import TerminologyOperations
from fhir_server.operations.translate import Translator
from fhir_server.operations.validate import ValidateOperation
from fhir_server.services.artifacts import ArtifactService


@dataclass(frozen=True, slots=True)
class Operations:
    validate: ValidateOperation
    terminology: TerminologyOperations
    translate: Translator
    artifacts: ArtifactService
