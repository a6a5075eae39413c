"""The CPU work of an import, run in worker processes: parse, validate and index each resource.

Each worker builds its own Validator and Extractor once (`start_worker`), then checks chunks of items
sent by the importer, which stays the only writer. A rejected item carries the OperationOutcome that a
PUT of the same resource would have answered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from fhir_server.bulk.sources import Item
from fhir_server.bulk.transfer import PackedIndex, pack_index
from fhir_server.definitions.loader import load_definitions
from fhir_server.model.ids import is_valid_id
from fhir_server.model.json import loads
from fhir_server.model.outcome import FhirError, Issue, operation_outcome
from fhir_server.model.validator import Validator
from fhir_server.search.extract import Extractor
from fhir_server.types import JsonResource


@dataclass(frozen=True, slots=True)
class Accepted:
    number: int
    resource: JsonResource
    index: PackedIndex  # transfer.unpack_index gives the IndexValues


@dataclass(frozen=True, slots=True)
class Rejected:
    number: int
    status: int  # the HTTP status a PUT would have answered
    outcome: JsonResource


Checked = Accepted | Rejected


class Checker:
    def __init__(self, default_timezone: str) -> None:
        definitions = load_definitions()
        self._validator = Validator(definitions.validation, definitions.resource_types)
        self._extractor = Extractor(definitions.search_params, ZoneInfo(default_timezone))

    def check(self, item: Item) -> Checked:
        try:
            if item.problem is not None:
                raise FhirError.of(400, "structure", f"Not imported: {item.problem}", "Không nhập được")
            try:
                body = loads(item.data)
            except ValueError as exc:
                raise FhirError.of(
                    400, "structure", "The line is not valid JSON", "Dòng này không phải JSON hợp lệ"
                ) from exc
            resource = self._validator.validate(body)
            if not is_valid_id(resource.get("id")):
                raise FhirError.of(
                    400,
                    "required",
                    "An imported resource must carry its id (import keeps ids, like PUT)",
                    "Tài nguyên nhập phải có mã id (giữ nguyên id như PUT)",
                    "id",
                )
            return Accepted(item.number, resource, pack_index(self._extractor.extract(resource)))
        except FhirError as error:
            return Rejected(item.number, error.status, operation_outcome(error.issues))
        except Exception as exc:  # a bug must not lose the line: it is rejected with the error's type
            issue = Issue("exception", f"Internal error while checking: {type(exc).__name__}")
            return Rejected(item.number, 500, operation_outcome([issue]))

    def check_all(self, items: Sequence[Item]) -> list[Checked]:
        return [self.check(item) for item in items]


_worker: Checker | None = None  # one per worker process, built by the pool's initializer


def start_worker(default_timezone: str) -> None:
    global _worker  # noqa: PLW0603 - the per-process state a process pool initializer exists for
    _worker = Checker(default_timezone)


def check_chunk(items: Sequence[Item]) -> list[Checked]:
    if _worker is None:
        raise RuntimeError("start_worker was not called in this process")
    return _worker.check_all(items)
