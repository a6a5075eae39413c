"""The audit trail's direct indexing of AuditEvents gives exactly the Extractor's rows (checked here, once,
over every kind of event the trail builds: never per event at run time)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from auth.scopes import ScopeSet
from auth.verify import Principal
from fhir_server.definitions.registry import Definitions
from fhir_server.search.extract import Extractor
from fhir_server.search.index import IndexValues
from fhir_server.services.audit import AuditRecord, audit_event
from fhir_server.services.audit_index import audit_index
from fhir_server.services.audit_requester import later_record, requester
from fhir_server.services.disclosure import Disclosure

WHEN = datetime(2026, 11, 27, 3, 4, 5, 678000, tzinfo=UTC)


def _principal(**claims: str) -> Principal:
    return Principal(
        subject="u-1",
        client_id="app",
        scopes=ScopeSet.parse("user/*.rs"),
        issuer="http://x",
        token_id=None,
        expires_at=0,
        **claims,  # type: ignore[arg-type]
    )


def _touched(*patients: str) -> Disclosure:
    noted = Disclosure()
    for patient in patients:
        noted.note_resource({"resourceType": "Immunization", "patient": {"reference": f"Patient/{patient}"}})
    noted.form = "vaccine-code=08"
    return noted


NURSE = _principal(
    role="health_worker",
    fhir_user="Practitioner/pr-1",
    organization="Organization/o-1",
    practitioner_role="PractitionerRole/r-1",
)
PARENT = _principal(role="parent", patient="c1", fhir_user="RelatedPerson/rp")
MANY = _touched(*(f"p{i}" for i in range(60)))
CREATED = "http://h/fhir/Immunization/9/_history/1"
RECORDS = [
    AuditRecord("GET", "Immunization/1", "", 200, NURSE, "10.0.0.7", disclosure=_touched("c1")),
    AuditRecord("GET", "Immunization", "patient=c1", 200, NURSE, "10.0.0.7", disclosure=_touched("c1", "c2")),
    AuditRecord("POST", "Immunization/_search", "", 200, NURSE, None, disclosure=MANY),
    AuditRecord("POST", "Immunization", "", 201, NURSE, "::1", location=CREATED),
    AuditRecord("GET", "Patient/c1/$everything", "", 200, PARENT, "1.2.3.4"),
    AuditRecord("GET", "Observation", "", 403, _principal(role="system"), "1.2.3.4", failure="refused"),
    AuditRecord("GET", "Immunization/2", "", 401, None, "1.2.3.4", failure="no access token"),
    AuditRecord("POST", "/auth/token", "", 401, None, "1.2.3.4", login=True),
    AuditRecord("POST", "", "", 200, NURSE, "1.2.3.4", disclosure=_touched("c3")),
    # a finished $export job (bulk.export_service): its work entity, 60 patients counted, 50 named
    later_record(
        requester(NURSE, "GET", "Group/g1/$export", "_type=Immunization", "10.0.0.7"),
        ("$export job 1f", "completed: 90 resources in 1 file(s); 60 patients"),
        [f"p{i}" for i in range(50)],
        60,
    ),
]


def _rows(index: IndexValues) -> list[set[object]]:
    return [set(kind) for kind in (index.strings, index.tokens, index.dates, index.references, index.uris)]


@pytest.mark.parametrize("record", RECORDS)
def test_direct_rows_equal_the_extractors(definitions: Definitions, record: AuditRecord) -> None:
    extractor = Extractor(definitions.search_params, ZoneInfo("Asia/Ho_Chi_Minh"))
    event = audit_event(record, WHEN, "fhir-server", "a-1")
    expected = extractor.extract(event)
    assert expected.tokens and expected.dates  # the comparison is not between two empty indexes
    assert _rows(audit_index(event, extractor)) == _rows(expected)
    assert not expected.numbers and not expected.quantities and not expected.composites
