"""`GET [base]/Patient/[id]/$everything` (conformance/operations/OperationDefinition-Patient-everything.json):
the patient's compartment — the Patient and every resource the Patient CompartmentDefinition puts in it
— as one `searchset` Bundle, paged.

Access is the caller's own: the Patient must be readable (403 when the scopes do not reach Patient, 404
outside a `patient/` token's compartment), and each compartment type is searched only if the scopes allow
it, narrowed as any search is (types the scopes do not reach are left out, not refused: "everything the
caller may see"). Paging and counting are system search's (services.system_search): types in name
order, offsets across them. Supported: `_type`, `_since` (and `_lastUpdated`), `_count`, `_offset`;
`start`/`end` (clinical dates) and the referenced non-compartment resources (Practitioner,
Organization, Location) are not returned.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Final

from auth.scopes import Interaction
from fhir_server.definitions.registry import SearchParamRegistry
from fhir_server.model.outcome import FhirError
from fhir_server.search.request import Criterion, SearchRequest, TokenQuery
from fhir_server.services.access import Access
from fhir_server.services.compartments import Compartments
from fhir_server.services.outcomes import not_found
from fhir_server.services.system_search import SystemSearchLimits, system_search
from fhir_server.storage.base import Store
from fhir_server.types import JsonResource

_PATIENT: Final = "Patient"
_KNOWN: Final = frozenset({"_type", "_since", "_lastUpdated", "_count", "_offset", "_format", "_pretty"})


def patient_everything(
    store: Store,
    registry: SearchParamRegistry,
    compartments: Compartments,
    patient_id: str,
    params: Sequence[tuple[str, str]],
    *,
    base_url: str,
    link: Callable[[Sequence[tuple[str, str]]], str],
    limits: SystemSearchLimits,
    access: Access,
) -> JsonResource:
    access.rule(_PATIENT, Interaction.READ)  # 403 when the scopes do not reach Patient at all
    current = store.read(_PATIENT, patient_id)
    if current is None or current.deleted:
        raise not_found(_PATIENT, patient_id)
    access.disclose((current,))
    access.check_read(current)  # 404 outside what the caller may see
    _check(params, limits.strict)
    types = [t for t in _types(params, registry, compartments) if _searchable(access, t)]
    if not types:
        return {"resourceType": "Bundle", "type": "searchset", "total": 0}

    def narrow(request: SearchRequest) -> SearchRequest:
        members = compartments.membership(_PATIENT, patient_id, request.resource_type)
        if request.resource_type == _PATIENT:  # itself, and the patients it links
            members = (Criterion("_id", "token", None, (TokenQuery(None, patient_id),)), *members)
        confined = replace(request, alternatives=(*request.alternatives, members))
        return access.narrow(confined)

    search = [("_type", ",".join(types))]
    for name, raw in params:
        if name == "_since":
            search.append(("_lastUpdated", f"ge{raw}"))
        elif name in ("_lastUpdated", "_count", "_offset"):
            search.append((name, raw))
    return system_search(
        store,
        registry,
        search,
        base_url=base_url,
        link=link,
        limits=limits,
        narrow=narrow,
        seen=access.disclose,
    )


def _check(params: Sequence[tuple[str, str]], strict: bool) -> None:
    unknown = [name for name, _ in params if name not in _KNOWN]
    if unknown and strict:
        raise FhirError.of(
            400,
            "not-supported",
            f"$everything does not support {', '.join(unknown)}; it takes _type, _since, _count and _offset",
            f"$everything không hỗ trợ {', '.join(unknown)}; chỉ nhận _type, _since, _count và _offset",
            unknown[0],
        )


def _types(
    params: Sequence[tuple[str, str]], registry: SearchParamRegistry, compartments: Compartments
) -> list[str]:
    """The compartment's types this server indexes, or those of `_type` (each must be in it)."""
    every = sorted(t for t in registry.by_type if t == _PATIENT or compartments.params(_PATIENT, t))
    asked = [t.strip() for name, raw in params if name == "_type" for t in raw.split(",") if t.strip()]
    outside = [t for t in asked if t not in every]
    if outside:
        raise FhirError.of(
            400,
            "invalid",
            f"Not in the Patient compartment: {', '.join(outside)}",
            f"Không thuộc ngăn Patient: {', '.join(outside)}",
            "_type",
        )
    return sorted(set(asked)) if asked else every


def _searchable(access: Access, resource_type: str) -> bool:
    try:
        access.rule(resource_type, Interaction.SEARCH)
    except FhirError:
        return False
    return True
