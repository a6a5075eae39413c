"""The care date of each Patient-compartment type, for `$everything?start=&end=` (services.everything).

R4 says `start`/`end` relate to care dates, not record currency dates, and names no element per type.
The table starts from R4's shared `clinical-date` SearchParameter (the `date` of AllergyIntolerance,
CarePlan, ..., Immunization, Observation, Procedure, ...) and adds, for the other compartment types, the
date SearchParameter that says when the care happened (Condition onset, MedicationAdministration
effective, Specimen collected, ...). Types with no care date (Patient, AuditEvent, Provenance, financial
resources, ...) are absent: the range does not apply to them, so they are always returned, as are
resources whose care-date element is empty.

A range [start, end] keeps a resource when one of its care dates overlaps it, or when it has none
(`:missing=true`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from types import MappingProxyType
from typing import Final

from fhir_server.definitions.registry import SearchParamRegistry
from fhir_server.search.parse import parse_search
from fhir_server.search.request import Criterion, DateQuery

_CLINICAL_DATE: Final = (
    "AllergyIntolerance",
    "CarePlan",
    "CareTeam",
    "ClinicalImpression",
    "Composition",
    "Consent",
    "DiagnosticReport",
    "Encounter",
    "EpisodeOfCare",
    "FamilyMemberHistory",
    "Flag",
    "Immunization",
    "List",
    "Observation",
    "Procedure",
    "RiskAssessment",
    "SupplyRequest",
)

CARE_DATES: Final[Mapping[str, str]] = MappingProxyType(
    {
        **dict.fromkeys(_CLINICAL_DATE, "date"),
        "AdverseEvent": "date",  # when the event occurred
        "Appointment": "date",  # its start
        "ChargeItem": "occurrence",
        "Communication": "sent",
        "CommunicationRequest": "occurrence",
        "Condition": "onset-date",
        "DetectedIssue": "identified",
        "DeviceRequest": "event-date",
        "DocumentReference": "period",  # the service it documents, not the document's own date
        "Goal": "start-date",
        "ImagingStudy": "started",
        "ImmunizationEvaluation": "date",
        "ImmunizationRecommendation": "date",  # the assessment the forecast was made for
        "Media": "created",
        "MedicationAdministration": "effective-time",
        "MedicationDispense": "whenhandedover",
        "MedicationRequest": "authoredon",
        "MedicationStatement": "effective",
        "NutritionOrder": "datetime",
        "QuestionnaireResponse": "authored",
        "RequestGroup": "authored",
        "ResearchSubject": "date",
        "ServiceRequest": "occurrence",
        "Specimen": "collected",
        "VisionPrescription": "datewritten",
    }
)


def care_date_groups(
    resource_type: str,
    start: tuple[int, int] | None,
    end: tuple[int, int] | None,
    registry: SearchParamRegistry,
    default_tz: tzinfo,
) -> tuple[tuple[Criterion, ...], ...]:
    """`SearchRequest.alternatives` groups keeping the `resource_type` resources whose care date
    overlaps [start, end] (each bound a date's [low, high) in µs, or None when open).

    Overlap is "ends after start's low AND begins before end's high": `gt` compares the stored range's
    upper end only and `lt` its lower end only, so each bound is a one-microsecond query value at that
    instant (what `gt2023-12-31T23:59:59.999999` would be). `ge`/`le` would not do: by the FHIR prefix
    table `ge2024` misses an encounter from 2023-12-20 to 2024-01-05. Each bound is one group "bound
    holds OR no care date"; ANDed, they give "both hold OR no care date", as a resource without the date
    satisfies neither bound. () when the type has no care date."""
    code = CARE_DATES.get(resource_type)
    if code is None or registry.get(resource_type, code) is None:
        return ()
    # Through the search parser, so the stored code (shared expressions are stored once) is a search's.
    parsed = parse_search(
        resource_type, [(f"{code}:missing", "true")], registry, strict=True, default_tz=default_tz
    )
    missing = parsed.request.criteria[0]
    bounds: list[DateQuery] = []
    if start is not None:
        bounds.append(DateQuery("gt", start[0] - 1, start[0]))
    if end is not None:
        bounds.append(DateQuery("lt", end[1], end[1] + 1))
    return tuple((Criterion(missing.param, "date", None, (bound,)), missing) for bound in bounds)
