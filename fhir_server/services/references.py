"""Resolving the references a client could not write as `Type/id` yet.

- `urn:uuid:`/`urn:oid:` (and other `fullUrl`s) name another entry of the same transaction Bundle; they
  become that entry's `Type/id` once the server has chosen it.
- Conditional references (`Patient?identifier=http://...|079...`) name the one resource matching the
  criteria, found inside the writer's unit of work (412 when none or several match). An EMR can thus
  push an Immunization for a child it knows only by national identifier, in a Bundle or on its own.

Only `Reference.reference` strings are rewritten (not narrative links or uri elements).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from fhir_server.model.outcome import FhirError
from fhir_server.model.references import parse_reference
from fhir_server.search.request import SearchRequest
from fhir_server.services.conditions import Conditions
from fhir_server.storage.base import UnitOfWork
from fhir_server.types import JsonResource


def reference_sites(resource: JsonResource) -> Iterator[tuple[dict[str, Any], str]]:
    """Every object holding a `reference` string, with its FHIRPath (contained resources included)."""
    stack: list[tuple[Any, str]] = [(resource, resource.get("resourceType", "Resource"))]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("reference"), str):
                yield node, path
            for key, value in node.items():
                if key != "text" and isinstance(value, (dict, list)):
                    stack.append((value, f"{path}.{key}"))
        else:
            stack.extend(
                (item, f"{path}[{i}]") for i, item in enumerate(node) if isinstance(item, (dict, list))
            )


def _as_is(request: SearchRequest) -> SearchRequest:
    return request


class ReferenceResolver:
    def __init__(self, conditions: Conditions, resource_types: frozenset[str]) -> None:
        self._conditions = conditions
        self._types = resource_types

    def needs_resolution(self, resource: JsonResource, local: Mapping[str, str]) -> bool:
        """Checked on every write, so it walks without building paths (~10 µs per Immunization)."""
        stack: list[Any] = [resource]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                value = node.get("reference")
                if isinstance(value, str) and self._pending(value, local):
                    return True
                stack.extend(v for k, v in node.items() if k != "text" and isinstance(v, (dict, list)))
            else:
                stack.extend(item for item in node if isinstance(item, (dict, list)))
        return False

    def resolve(
        self,
        resource: JsonResource,
        uow: UnitOfWork,
        local: Mapping[str, str],
        *,
        in_transaction: bool,
        narrow: Callable[[SearchRequest], SearchRequest] = _as_is,
    ) -> JsonResource | None:
        """A copy of `resource` with its references resolved, or None when nothing needed it.
        `local` maps the fullUrls of a transaction's entries to their `Type/id`; `narrow` confines each
        conditional reference's search to what the writer may search (services.access), so resolving
        one never reveals a resource the writer could not find."""
        if not self.needs_resolution(resource, local):
            return None
        resolved = copy.deepcopy(resource)
        for site, path in reference_sites(resolved):
            value = site["reference"]
            if value in local:
                site["reference"] = local[value]
            elif self._pending(value, local):
                site["reference"] = self._match(value, uow, f"{path}.reference", in_transaction, narrow)
        return resolved

    def _pending(self, value: str, local: Mapping[str, str]) -> bool:
        if value in local:
            return True
        if "?" not in value and not value.startswith("urn:"):  # the common `Type/id`: no parsing
            return False
        parsed = parse_reference(value, self._types)
        return parsed is not None and parsed.kind in ("conditional", "urn")

    def _match(
        self,
        value: str,
        uow: UnitOfWork,
        at: str,
        in_transaction: bool,
        narrow: Callable[[SearchRequest], SearchRequest],
    ) -> str:
        parsed = parse_reference(value, self._types)
        if parsed is None or parsed.kind != "conditional" or parsed.resource_type is None:
            raise _unknown_urn(value, at, in_transaction)
        condition = narrow(self._conditions.parse(parsed.resource_type, value))
        ids = uow.search_ids(condition, limit=2)
        if len(ids) == 1:
            return f"{parsed.resource_type}/{ids[0]}"
        # The criteria are not echoed: they usually hold an identifier.
        if not ids:
            raise FhirError.of(
                412,
                "not-found",
                f"The conditional reference to {parsed.resource_type} matches no resource",
                f"Tham chiếu có điều kiện tới {parsed.resource_type} không khớp tài nguyên nào",
                at,
            )
        raise FhirError.of(
            412,
            "multiple-matches",
            f"The conditional reference to {parsed.resource_type} matches more than one resource",
            f"Tham chiếu có điều kiện tới {parsed.resource_type} khớp nhiều hơn một tài nguyên",
            at,
        )


def _unknown_urn(value: str, at: str, in_transaction: bool) -> FhirError:
    if in_transaction:
        return FhirError.of(
            400,
            "not-found",
            f"The reference {value} names no entry of this transaction",
            f"Tham chiếu {value} không trỏ tới mục nào của giao dịch này",
            at,
        )
    return FhirError.of(
        400,
        "invalid",
        f"The reference {value} can only be resolved inside a transaction Bundle",
        f"Tham chiếu {value} chỉ được phân giải bên trong một Bundle transaction",
        at,
    )
