"""Each child's stored ImmunizationRecommendation, kept current (issue 6 item 5).

Listens to ResourceService commits: when an Immunization is written or deleted (alone or in a transaction
Bundle), the children it names (now and in its previous version) get their recommendation recomputed at
today's date and stored at `rec-<patient id>` as a new version, so `ImmunizationRecommendation?patient=...`
is always current and due lists can be searched (`date`, `status`, `vaccine-type`, `target-disease`).
A Patient write refreshes that child too (a newborn registered without doses is due for the birth doses; a
corrected birth date moves every date); deleting a Patient deletes their recommendation.
A failed forecast never fails the write: it is logged (no personal data) and the old recommendation stays.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import date

from fhir_server.model.json import loads
from fhir_server.model.outcome import FhirError
from fhir_server.search.extract import Extractor
from fhir_server.services.forecasts import ForecastService, recommendation_id
from fhir_server.storage.base import Store, StoredResource
from fhir_server.types import JsonResource

log = logging.getLogger("fhir_server.recommendations")


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
        for patient_id in patients:
            self.refresh_quietly(patient_id)
        gone = [s.id for s in written if s.resource_type == "Patient" and s.deleted]
        if gone:
            try:
                with self._store.unit_of_work() as uow:
                    for patient_id in gone:
                        uow.delete("ImmunizationRecommendation", recommendation_id(patient_id))
            except Exception as exc:
                log.warning("recommendation delete failed: %s", type(exc).__name__)

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
        result = self._forecasts.for_stored(patient_id, today or self._today())
        recommendation = result.recommendation
        index = self._extractor.extract(recommendation)
        with self._store.unit_of_work() as uow:
            return uow.write(recommendation, index, method="PUT")

    def refresh_many(self, patient_ids: Sequence[str], today: date) -> tuple[int, int]:
        """Bulk (`fhir-server forecast refresh`): forecast each child, then store all in one unit of work.
        Returns (refreshed, failed); a child whose forecast fails keeps the old recommendation."""
        written: list[JsonResource] = []
        failed = 0
        for patient_id in patient_ids:
            try:
                written.append(self._forecasts.for_stored(patient_id, today).recommendation)
            except Exception as exc:
                failed += 1
                log.warning("recommendation refresh failed: %s", type(exc).__name__)
        indexed = [(r, self._extractor.extract(r)) for r in written]
        with self._store.unit_of_work() as uow:
            for resource, index in indexed:
                uow.write(resource, index, method="PUT")
        return len(written), failed

    def _patients_of(self, written: Iterable[StoredResource]) -> set[str]:
        patients: set[str] = set()
        for stored in written:
            if stored.resource_type == "Patient" and not stored.deleted:
                patients.add(stored.id)
            if stored.resource_type != "Immunization":
                continue
            bodies = [stored.body] if stored.body else []
            if stored.version > 1 or stored.deleted:  # the child it belonged to before also changes
                previous = self._store.vread("Immunization", stored.id, stored.version - 1)
                if previous is not None and previous.body:
                    bodies.append(previous.body)
            for body in bodies:
                patient_id = patient_id_of(loads(body))
                if patient_id:
                    patients.add(patient_id)
        return patients


def patient_id_of(immunization: dict[str, object]) -> str | None:
    """`Patient/123` or `https://host/fhir/Patient/123` (a local absolute reference) -> `123`."""
    patient = immunization.get("patient")
    reference = patient.get("reference") if isinstance(patient, dict) else None
    if not isinstance(reference, str):
        return None
    parts = reference.rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2] == "Patient":
        return parts[-1]
    return None
