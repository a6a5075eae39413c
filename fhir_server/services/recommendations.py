"""Each child's stored ImmunizationRecommendation, kept current (issue 6 item 5).

Listens to ResourceService commits: when an Immunization is written or deleted (alone or in a transaction
Bundle), the children it names (now and in its previous version) get their recommendation recomputed at
today's date and stored at `rec-<patient id>` as a new version, so `ImmunizationRecommendation?patient=...`
is always current and due lists can be searched (`date`, `status`, `vaccine-type`, `target-disease`).
A Condition, Observation or AllergyIntolerance write refreshes the child it is about (CDSi observations:
pregnancy, contraindications, evidence of immunity).
A Patient write refreshes that child too (a newborn registered without doses is due for the birth doses; a
corrected birth date moves every date); deleting a Patient deletes their recommendation.
A recommendation whose content did not change (its assessment date aside) is not written again.
A failed forecast never fails the write: it is logged (no personal data) and the old recommendation stays.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import date

from fhir_server.model.json import dumps, loads
from fhir_server.model.outcome import FhirError
from fhir_server.search.extract import Extractor
from fhir_server.services.forecasts import (
    CLINICAL_TYPES,
    ForecastResult,
    ForecastService,
    recommendation_id,
    subject_id_of,
)
from fhir_server.storage.base import Store, StoredResource
from fhir_server.types import JsonResource

log = logging.getLogger("fhir_server.recommendations")


# The resource types whose writes change a child's forecast, besides Patient
_ABOUT_A_CHILD = frozenset({"Immunization", *CLINICAL_TYPES})


class RecommendationRefresher:
    def __init__(
        self, store: Store, forecasts: ForecastService, extractor: Extractor, today: Callable[[], date]
    ) -> None:
        self._store = store
        self._forecasts = forecasts
        self._extractor = extractor
        self._today = today

    def after_commit(self, written: Sequence[StoredResource]) -> None:
        """The ResourceService listener: one refresh per affected child, after the write committed."""
        patients = sorted(self._patients_of(written))
        if len(patients) == 1:
            self.refresh_quietly(patients[0])
        elif patients:  # a transaction Bundle: the children's histories in one read, one write
            try:
                self.refresh_many(patients, self._today())
            except Exception as exc:
                log.warning("recommendation refresh failed: %s", type(exc).__name__)
        gone = [s.id for s in written if s.resource_type == "Patient" and s.deleted]
        if gone:
            try:
                with self._store.unit_of_work() as uow:
                    for patient_id in gone:
                        uow.delete("ImmunizationRecommendation", recommendation_id(patient_id))
            except Exception as exc:
                log.warning("recommendation delete failed: %s", type(exc).__name__)

    def after_import(self, written: Sequence[StoredResource]) -> tuple[int, int]:
        """`fhir-server import`, after each committed batch: the children its Patients, doses and clinical
        facts are about (and were about, for a dose moved to another child), refreshed together. Returns
        (refreshed, failed); a failure never stops the import (its children count as failed)."""
        patients = sorted(self._patients_of(written))
        if not patients:
            return 0, 0
        try:
            return self.refresh_many(patients, self._today())
        except Exception as exc:
            log.warning("recommendation refresh failed: %s", type(exc).__name__)
            return 0, len(patients)

    def refresh_quietly(self, patient_id: str) -> bool:
        try:
            self.refresh(patient_id)
        except FhirError as error:
            if error.status not in (404, 410):  # a dose for a patient not (or no longer) here: nothing to do
                log.warning("recommendation refresh failed: %s %s", error.status, error.issues[0].code)
            return False
        except Exception as exc:  # the write committed; keep the old recommendation
            log.warning("recommendation refresh failed: %s", type(exc).__name__)
            return False
        return True

    def refresh(self, patient_id: str, today: date | None = None) -> StoredResource:
        """Recompute one child's recommendation; the stored version when its content is unchanged."""
        result = self._forecasts.for_stored(patient_id, today or self._today())
        recommendation = result.recommendation
        current = self._store.read("ImmunizationRecommendation", recommendation["id"])
        if current is not None and _same(current, recommendation):
            return current
        index = self._extractor.extract(recommendation)
        with self._store.unit_of_work() as uow:
            return uow.write(recommendation, index, method="PUT")

    def refresh_many(self, patient_ids: Sequence[str], today: date) -> tuple[int, int]:
        """Bulk (`fhir-server forecast refresh`, transaction Bundles): the children's histories read in one
        search per resource type, each child forecast, the changed recommendations stored in one unit of
        work. Returns (refreshed, failed): a child not stored or whose forecast fails is failed and keeps
        the old recommendation; an unchanged recommendation counts as refreshed without a new version."""
        histories = self._forecasts.stored_histories(patient_ids)
        failed = len(patient_ids) - len(histories)
        results: list[ForecastResult] = []
        for patient_id, history in histories.items():
            try:
                results.append(self._forecasts.for_history(patient_id, history, today))
            except Exception as exc:
                failed += 1
                log.warning("recommendation refresh failed: %s", type(exc).__name__)
        changed = [r.recommendation for r in results if not self._unchanged(r.recommendation)]
        indexed = [(r, self._extractor.extract(r)) for r in changed]
        if indexed:
            with self._store.unit_of_work() as uow:
                for resource, index in indexed:
                    uow.write(resource, index, method="PUT")
        return len(results), failed

    def _unchanged(self, recommendation: JsonResource) -> bool:
        current = self._store.read("ImmunizationRecommendation", recommendation["id"])
        return current is not None and _same(current, recommendation)

    def _patients_of(self, written: Iterable[StoredResource]) -> set[str]:
        patients: set[str] = set()
        for stored in written:
            if stored.resource_type == "Patient" and not stored.deleted:
                patients.add(stored.id)
            if stored.resource_type not in _ABOUT_A_CHILD:
                continue
            bodies = [stored.body] if stored.body else []
            if stored.version > 1 or stored.deleted:  # the child it belonged to before also changes
                previous = self._store.vread(stored.resource_type, stored.id, stored.version - 1)
                if previous is not None and previous.body:
                    bodies.append(previous.body)
            for body in bodies:
                patient_id = subject_id_of(loads(body))
                if patient_id:
                    patients.add(patient_id)
        return patients


def _same(stored: StoredResource, recommendation: JsonResource) -> bool:
    """The stored version says the same as a new forecast, meta and assessment date aside: a recommendation
    is not written again when only its `date` would change, so a daily `forecast refresh` writes only the
    children whose statuses or dates moved (due/overdue are part of the content; `date` stays the day this
    content was first computed). Compared as bytes: the store writes `dumps(resource)` with `meta` appended
    last (storage/versioning.py `stamp`), and parsing the stored body back cost as much as the forecast's
    write. A body written in another key order only counts as changed (one write too many, never one too
    few)."""
    if stored.deleted or not stored.body:
        return False
    at = stored.body.find(b',"date":"')  # the top-level one: `patient` before it holds no date
    if at < 0:
        return False
    candidate = {**recommendation, "date": stored.body[at + 9 : at + 19].decode()}  # same key order
    return stored.body.startswith(dumps(candidate)[:-1] + b',"meta":')
