"""The ImplementationGuide resource that lists every national artifact, built from what was loaded."""

from __future__ import annotations

from collections.abc import Iterable

from fhir_server.definitions.profiles import Profile
from fhir_server.definitions.terminology import Terminology
from fhir_server.types import JsonResource

GUIDE_URL = "https://fhir.vn/ImplementationGuide/vn-immunization"


def implementation_guide(
    profiles: Iterable[Profile],
    terminology: Terminology,
    operations: Iterable[JsonResource],
    search_parameters: Iterable[JsonResource] = (),
) -> JsonResource:
    artifacts = [
        *(p.resource for p in profiles),
        *terminology.resources(),
        *operations,
        *search_parameters,
    ]
    return {
        "resourceType": "ImplementationGuide",
        "id": "vn-immunization",
        "url": GUIDE_URL,
        "version": "0.1.0",
        "name": "VietnamImmunizationRegistry",
        "title": "Vietnam national immunization registry",
        "status": "draft",
        "experimental": True,
        "publisher": "vn-immunization-registry project",
        "description": "Profiles, terminology and operations of the national immunization registry; "
        "the readable guide is docs/implementation-guide.md.",
        "packageId": "vn.fhir.immunization",
        "license": "Apache-2.0",
        "fhirVersion": ["4.0.1"],
        "definition": {
            "resource": [
                {
                    "reference": {"reference": f"{a['resourceType']}/{a['id']}"},
                    "name": a.get("title") or a.get("name") or a["id"],
                    "exampleBoolean": False,
                }
                for a in artifacts
            ]
        },
    }
