"""`$validate` (type and instance level): every issue of every validation layer that can run, the national
profile of the type (or the `profile` parameter) included whether or not writes enforce it. The answer is
an OperationOutcome with status 200 even when the resource is invalid, as the specification asks; only a
request that cannot be understood (unknown mode or profile, no resource) is an error."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fhir_server.model.json import loads
from fhir_server.model.outcome import FhirError, Issue, operation_outcome
from fhir_server.model.validator import Validator
from fhir_server.services.access import OPEN_ACCESS, Access
from fhir_server.services.crud import ResourceService
from fhir_server.types import JsonResource

MODES = ("create", "update", "delete")


def _parameters(body: Any) -> tuple[Any, list[tuple[str, str]]]:
    """A Parameters body -> (resource, [(name, value)]); any other body is the resource itself."""
    if isinstance(body, dict) and body.get("resourceType") == "Parameters":
        resource = None
        pairs = []
        for p in body.get("parameter", ()):
            if not isinstance(p, dict):
                continue
            if p.get("name") == "resource":
                resource = p.get("resource")
            else:
                value = next((v for k, v in p.items() if k.startswith("value")), None)
                if isinstance(value, str):
                    pairs.append((str(p.get("name")), value))
        return resource, pairs
    return body, []


def _no_store(resource: JsonResource) -> list[Issue]:
    return []


def _no_delete_rule(resource_type: str, id: str) -> list[Issue]:
    return []


class ValidateOperation:
    def __init__(
        self,
        validator: Validator,
        resources: ResourceService,
        store_rules: Callable[[JsonResource], list[Issue]] = _no_store,
        delete_rules: Callable[[str, str], list[Issue]] = _no_delete_rule,
    ) -> None:
        """`store_rules`: the rules that read other resources (the partOf chain of Location and
        Organization, services/part_of_chains.py), checked against the store as it is now; `delete_rules`:
        why a stored resource may not be deleted (it is still the partOf parent of others)."""
        self._validator = validator
        self._resources = resources
        self._store_rules = store_rules
        self._delete_rules = delete_rules

    def run(
        self,
        resource_type: str,
        id: str | None,
        body: Any | None,
        query: Sequence[tuple[str, str]],
        access: Access = OPEN_ACCESS,
    ) -> JsonResource:
        """A stored resource is read with the caller's access: $validate shows nothing they may not read."""
        resource, pairs = _parameters(body) if body is not None else (None, [])
        params = [*query, *pairs]
        mode = next((v for n, v in params if n == "mode"), None)
        profile = next((v for n, v in params if n == "profile"), None)
        if mode is not None and mode not in MODES:
            raise FhirError.of(
                400, "invalid", f"mode must be one of {', '.join(MODES)}", f"mode phải là {', '.join(MODES)}"
            )
        if mode == "delete":
            if id is None:
                raise FhirError.of(400, "required", "mode=delete needs an id", "mode=delete cần id")
            self._resources.read(resource_type, id, access=access)  # 404/410 when there is nothing to delete
            return operation_outcome(self._delete_rules(resource_type, id))
        if resource is None and id is not None:
            resource = loads(self._resources.read(resource_type, id, access=access).body)
        if resource is None:
            raise FhirError.of(400, "required", "No resource to validate", "Không có tài nguyên để kiểm tra")
        issues = self._validator.all_issues(resource, expected_type=resource_type, profile_url=profile)
        if isinstance(resource, dict) and resource.get("resourceType") == resource_type:
            issues.extend(self._store_rules(resource))
        if mode == "update" and isinstance(resource, dict) and resource.get("id") != id:
            issues.append(
                Issue(
                    "invariant",
                    "For mode=update the resource id must match the URL",
                    "Với mode=update, id của tài nguyên phải khớp với URL",
                    (f"{resource_type}.id",),
                )
            )
        return operation_outcome(issues)
