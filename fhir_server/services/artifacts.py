"""The national artifacts served read-only: `GET /StructureDefinition/vn-patient`, `GET /ValueSet?url=...`.

A read-only in-memory provider rather than copies in the store: the artifacts are files under version
control, loaded and checked at start-up; copies in the database could drift from the files the validator
actually uses, and a client could change them. Writes to these types are refused with 405."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlencode

from fhir_server.definitions.artifacts import ARTIFACT_TYPES, Artifacts
from fhir_server.model.outcome import FhirError
from fhir_server.types import JsonResource

# Search parameters the provider answers (the rest are refused under Prefer: handling=strict, else ignored).
SEARCH_PARAMS: Mapping[str, str] = {
    "_id": "token",
    "url": "uri",
    "name": "string",
    "status": "token",
    "version": "token",
    "code": "token",  # OperationDefinition.code, SearchParameter.code
}


class ArtifactService:
    def __init__(self, artifacts: Artifacts) -> None:
        self._by_type: dict[str, dict[str, JsonResource]] = {t: {} for t in ARTIFACT_TYPES}
        for resource in artifacts.resources():
            self._by_type[resource["resourceType"]][resource["id"]] = resource

    @property
    def types(self) -> tuple[str, ...]:
        return ARTIFACT_TYPES

    def read(self, resource_type: str, id: str) -> JsonResource:
        resource = self._by_type[resource_type].get(id)
        if resource is None:
            raise FhirError.of(
                404, "not-found", f"{resource_type}/{id} is not known", f"Không tìm thấy {resource_type}/{id}"
            )
        return resource

    def search(
        self, resource_type: str, params: Sequence[tuple[str, str]], base_url: str, *, strict: bool
    ) -> JsonResource:
        found = list(self._by_type[resource_type].values())
        used = []
        for name, value in params:
            if name not in SEARCH_PARAMS:
                if strict and not name.startswith("_format"):
                    raise FhirError.of(
                        400,
                        "not-supported",
                        f"Unknown search parameter {name} for {resource_type}",
                        f"Tham số tìm kiếm {name} không được hỗ trợ cho {resource_type}",
                    )
                continue
            used.append((name, value))
            field = "id" if name == "_id" else name
            wanted = set(value.split(","))
            if name == "url":
                wanted = {v.split("|", maxsplit=1)[0] for v in wanted}
            if name == "name":
                found = [
                    r
                    for r in found
                    if any(str(r.get(field, "")).lower().startswith(w.lower()) for w in wanted)
                ]
            else:
                found = [r for r in found if str(r.get(field, "")) in wanted]
        return {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(found),
            "link": [{"relation": "self", "url": _self_link(f"{base_url}/{resource_type}", used)}],
            "entry": [
                {
                    "fullUrl": f"{base_url}/{resource_type}/{r['id']}",
                    "resource": r,
                    "search": {"mode": "match"},
                }
                for r in sorted(found, key=lambda r: str(r["id"]))
            ],
        }


def _self_link(url: str, used: Sequence[tuple[str, str]]) -> str:
    return f"{url}?{urlencode(used)}" if used else url
