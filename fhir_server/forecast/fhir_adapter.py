"""FHIR <-> engine: Patient and Immunization resources in, ImmunizationEvaluation and
ImmunizationRecommendation out (ImmDS `$immds-forecast`, DESIGN.md §4). Pure: plain dicts, no I/O, no clock.

Codes (docs/forecast.md "FHIR face"):
- forecastStatus: HL7's `immunization-recommendation-status` (due, overdue, complete, immune, contraindicated)
  where it has the concept, plus the ImmDS IG's ForecastStatus code (notComplete, complete, agedOut, ...)
  always, so no local code is needed.
- dateCriterion: LOINC 30981-5 earliest, 30980-7 recommended (due), 59777-3 latest, 59778-1 past due.
- doseStatusReason: our reason catalogue (`forecast/reasons.py`) with the English display and a Vietnamese
  translation extension.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from fhir_server.forecast.model import (
    AdministeredDose,
    Assessment,
    DoseEvaluation,
    Patient,
    PatientObservation,
    Sex,
    VaccineGroupResult,
)
from fhir_server.forecast.reasons import Reason

JsonResource = dict[str, Any]

CVX = "http://hl7.org/fhir/sid/cvx"
LOINC = "http://loinc.org"
RECOMMENDATION_STATUS = "http://terminology.hl7.org/CodeSystem/immunization-recommendation-status"
IMMDS_STATUS = "http://hl7.org/fhir/us/immds/CodeSystem/ForecastStatus"
DOSE_STATUS = "http://terminology.hl7.org/CodeSystem/immunization-evaluation-dose-status"
REASON_SYSTEM = "https://fhir.vn/CodeSystem/forecast-reason"
VACCINE_GROUP_SYSTEM = "https://fhir.vn/CodeSystem/vaccine-group"
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
DATE_CRITERIA = (
    ("earliest", "30981-5", "Earliest date to give"),
    ("recommended", "30980-7", "Date vaccine due"),
    ("latest", "59777-3", "Latest date to give immunization"),
    ("past_due", "59778-1", "Date when overdue for immunization"),
)
_IMMDS = {
    "not-complete": ("notComplete", "Not Complete"),
    "complete": ("complete", "Complete"),
    "immune": ("immune", "Immune"),
    "contraindicated": ("contraindicated", "Contraindicated"),
    "aged-out": ("agedOut", "Aged Out"),
    "not-recommended": ("notRecommended", "Not Recommended"),
}
_HL7 = {"due": "Due", "overdue": "Overdue", "complete": "Complete", "immune": "Immune"}
_HL7 |= {"contraindicated": "Contraindicated"}


@dataclass(frozen=True, slots=True)
class DoseInput:
    """An Immunization turned into an engine dose, or the reason it was left out (`dose` None)."""

    key: str  # the reference the evaluation points to, e.g. "Immunization/123" or "immunization[2]"
    dose: AdministeredDose | None
    problem: Reason | None = None


def patient_of(
    resource: Mapping[str, Any], observations: Sequence[PatientObservation] = ()
) -> Patient | None:
    """The engine's patient; None without a usable birthDate (a full date is needed)."""
    birth = _day(resource.get("birthDate"))
    if birth is None:
        return None
    gender = resource.get("gender")
    sex: Sex = "female" if gender == "female" else "male" if gender == "male" else "unknown"
    return Patient(birth, sex, tuple(observations))


# Statuses under which a clinical fact does not hold (refuted, resolved, entered in error, cancelled)
_NOT_HOLDING = frozenset(
    {"refuted", "entered-in-error", "inactive", "resolved", "remission", "cancelled", "unconfirmed"}
)


def observations_of(
    clinical: Iterable[tuple[str, Mapping[str, Any]]],
    lookup: Callable[[str, str], tuple[str, ...]],
) -> tuple[PatientObservation, ...]:
    """CDSi observations (indications, contraindications, evidence of immunity) of a child's Conditions,
    Observations and AllergyIntolerances: every coding of `code`, `valueCodeableConcept` and
    `reaction.substance` that the schedule maps (`lookup(system, code)`: SNOMED, CVX, ICD-10, CDC's
    PHIN VS). Facts refuted, resolved, entered in error or cancelled do not count. Dated by onset, else
    effective, else recorded date (the engine uses the date for observation-based intervals)."""
    found: dict[str, date | None] = {}
    for _key, resource in clinical:
        if not _holds(resource):
            continue
        when = _fact_date(resource)
        for system, code in _codings(resource):
            for observation in lookup(system, code):
                earlier = found.get(observation)
                found[observation] = when if earlier is None or (when and when < earlier) else earlier
    return tuple(PatientObservation(code, day) for code, day in sorted(found.items()))


def _holds(resource: Mapping[str, Any]) -> bool:
    if resource.get("status") in _NOT_HOLDING:  # Observation.status
        return False
    for element in ("clinicalStatus", "verificationStatus"):  # Condition, AllergyIntolerance
        concept = resource.get(element)
        codes = {c.get("code") for c in concept.get("coding", ())} if isinstance(concept, dict) else set()
        if codes & _NOT_HOLDING:
            return False
    return True


def _codings(resource: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    concepts = [resource.get("code"), resource.get("valueCodeableConcept")]
    for reaction in resource.get("reaction") or ():
        if isinstance(reaction, dict):
            concepts.append(reaction.get("substance"))
    for concept in concepts:
        if isinstance(concept, dict):
            for coding in concept.get("coding") or ():
                if isinstance(coding, dict) and coding.get("code"):
                    yield str(coding.get("system", "")), str(coding["code"])


def _fact_date(resource: Mapping[str, Any]) -> date | None:
    for element in ("onsetDateTime", "effectiveDateTime", "recordedDate", "issued"):
        day = _day(resource.get(element))
        if day is not None:
            return day
    return None


def doses_of(
    immunizations: Iterable[tuple[str, Mapping[str, Any]]], known: Collection[str] = ()
) -> Iterator[DoseInput]:
    """(reference, Immunization) -> engine doses. Only `completed` doses count; a dose without a full
    occurrence date or a vaccine code is left out with its reason. `known`: the schedule's codes."""
    for key, resource in immunizations:
        if resource.get("status", "completed") != "completed":
            continue  # entered-in-error and not-done never count
        day = _day(resource.get("occurrenceDateTime"))
        if day is None:
            yield DoseInput(key, None, _NO_DATE)
            continue
        code = _vaccine_code(resource.get("vaccineCode") or {}, known)
        if code is None:
            yield DoseInput(key, None, _NO_CODE)
            continue
        subpotent = bool(resource.get("isSubpotent"))
        yield DoseInput(key, AdministeredDose(key, day, code, substandard=subpotent))


def _vaccine_code(concept: Mapping[str, Any], known: Collection[str]) -> str | None:
    """A national product code the schedule knows (its ages are the product's), else CVX, else any code
    (the engine then warns that it is unknown)."""
    codings = [c for c in concept.get("coding", ()) if c.get("code")]
    national = [c["code"] for c in codings if c.get("system") != CVX and c["code"] in known]
    cvx = [c["code"] for c in codings if c.get("system") == CVX]
    chosen = national or cvx or [c["code"] for c in codings]
    return str(chosen[0]) if chosen else None


def _day(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def evaluations(
    assessment: Assessment, patient_ref: str, references: Mapping[str, str]
) -> list[JsonResource]:
    """One ImmunizationEvaluation per dose and target disease (antigen) of every best series."""
    out: list[JsonResource] = []
    seen: set[tuple[str, str, str]] = set()
    for group in assessment.vaccine_groups:
        for series in group.antigens:
            for evaluation in series.evaluations:
                key = (evaluation.key, series.target_disease, series.series)
                if key in seen:
                    continue
                seen.add(key)
                out.append(
                    _evaluation(evaluation, series.target_disease, patient_ref, references, assessment)
                )
    return out


def _evaluation(
    evaluation: DoseEvaluation,
    disease: str,
    patient_ref: str,
    references: Mapping[str, str],
    assessment: Assessment,
) -> JsonResource:
    valid = evaluation.status == "valid"
    resource: JsonResource = {
        "resourceType": "ImmunizationEvaluation",
        "status": "completed",
        "patient": {"reference": patient_ref},
        "date": assessment.assessment_date.isoformat(),
        "authority": {"display": f"CDSi engine, schedule {assessment.schedule}"},
        "targetDisease": {"text": disease},
        "immunizationEvent": _reference(evaluation.key, references),
        "doseStatus": {
            "coding": [
                {
                    "system": DOSE_STATUS,
                    "code": "valid" if valid else "notvalid",
                    "display": "Valid" if valid else "Not valid",
                }
            ]
        },
        "series": evaluation.series,
    }
    if evaluation.reasons:
        resource["doseStatusReason"] = [reason_concept(r) for r in evaluation.reasons]
    if evaluation.target_dose is not None:
        resource["doseNumberPositiveInt"] = evaluation.target_dose
    if evaluation.series_doses:
        resource["seriesDosesPositiveInt"] = evaluation.series_doses
    return resource


def reason_concept(reason: Reason) -> JsonResource:
    return {
        "coding": [
            {
                "system": REASON_SYSTEM,
                "code": reason.code,
                "display": reason.en,
                "_display": {"extension": [_translation(reason.vi)]},
            }
        ],
        "text": f"{reason.en} / {reason.vi}",
    }


def _translation(text: str) -> JsonResource:
    return {
        "url": TRANSLATION,
        "extension": [{"url": "lang", "valueCode": "vi"}, {"url": "content", "valueString": text}],
    }


def recommendation(
    assessment: Assessment,
    patient_ref: str,
    references: Mapping[str, str],
    *,
    national_systems: Mapping[str, str],
    programme_notes: Mapping[str, str],
    resource_id: str | None = None,
) -> JsonResource:
    """The one ImmunizationRecommendation: an entry per vaccine group forecast (standard and risk)."""
    entries = [
        _entry(
            group,
            assessment.assessment_date,
            references,
            national_systems,
            programme_notes.get(group.vaccine_group),
        )
        for group in assessment.vaccine_groups
    ]
    resource: JsonResource = {"resourceType": "ImmunizationRecommendation"}
    if resource_id:
        resource["id"] = resource_id
    resource |= {
        "patient": {"reference": patient_ref},
        "date": assessment.assessment_date.isoformat(),
        "authority": {"display": f"CDSi engine, schedule {assessment.schedule}"},
        "recommendation": entries or [_empty()],
    }
    return resource


def status_code(group: VaccineGroupResult, today: date) -> str:
    """due / overdue / upcoming (not yet due: ImmDS notComplete) or the engine's final status."""
    forecast = group.forecast
    if forecast.status != "not-complete":
        return forecast.status
    if forecast.past_due is not None and today >= forecast.past_due:
        return "overdue"
    due_from = forecast.recommended or forecast.earliest
    if due_from is not None and today >= due_from:
        return "due"
    return "not-complete"


def _forecast_status(group: VaccineGroupResult, today: date) -> JsonResource:
    code = status_code(group, today)
    immds, immds_display = _IMMDS[group.forecast.status]
    codings = []
    if code in _HL7:
        codings.append({"system": RECOMMENDATION_STATUS, "code": code, "display": _HL7[code]})
    codings.append({"system": IMMDS_STATUS, "code": immds, "display": immds_display})
    return {"coding": codings, "text": code}


def _entry(
    group: VaccineGroupResult,
    today: date,
    references: Mapping[str, str],
    national_systems: Mapping[str, str],
    programme: str | None,
) -> JsonResource:
    forecast = group.forecast
    entry: JsonResource = {}
    vaccines = _vaccine_codes(forecast.vaccines, national_systems)
    if vaccines:
        entry["vaccineCode"] = vaccines
    entry["targetDisease"] = {
        "coding": [{"system": VACCINE_GROUP_SYSTEM, "code": group.vaccine_group}],
        "text": group.vaccine_group,
    }
    entry["forecastStatus"] = _forecast_status(group, today)
    if forecast.reasons:
        entry["forecastReason"] = [reason_concept(r) for r in forecast.reasons]
    criteria = [
        {"code": {"coding": [{"system": LOINC, "code": loinc, "display": display}]}, "value": day.isoformat()}
        for field, loinc, display in DATE_CRITERIA
        if (day := getattr(forecast, field)) is not None
    ]
    if criteria:
        entry["dateCriterion"] = criteria
    description = ", ".join(t for t in (group.kind != "standard" and f"{group.kind} series", programme) if t)
    if description:
        entry["description"] = description
    series = _series_name(group)
    if series:
        entry["series"] = series
    if forecast.dose_number is not None:
        entry["doseNumberPositiveInt"] = forecast.dose_number
    doses = max((s.series_doses for s in group.antigens), default=0)
    if doses:
        entry["seriesDosesPositiveInt"] = doses
    supporting = [_reference(e.key, references) for e in group.evaluations if e.status == "valid"]
    if supporting:
        entry["supportingImmunization"] = supporting
    return entry


def _reference(key: str, references: Mapping[str, str]) -> JsonResource:
    """A stored dose by reference; a dose sent without id by where it was in the request."""
    reference = references.get(key)
    return {"reference": reference} if reference else {"display": key}


def _series_name(group: VaccineGroupResult) -> str:
    return " + ".join(dict.fromkeys(s.series for s in group.antigens))


def _vaccine_codes(codes: Sequence[str], national_systems: Mapping[str, str]) -> list[JsonResource]:
    return [
        {"coding": [{"system": national_systems.get(code, CVX), "code": cvx_code(code)}]} for code in codes
    ]


def cvx_code(code: str) -> str:
    """The engine compares CVX codes without leading zeros (`08` = `8`); CVX writes them with two digits
    at least (`03` MMR, `08` HepB), as clients send them."""
    return code.zfill(2) if code.isdigit() else code


def _empty() -> JsonResource:
    """R4 needs at least one recommendation: a schedule with nothing to forecast says so."""
    return {
        "targetDisease": {"text": "none"},
        "forecastStatus": {"coding": [{"system": IMMDS_STATUS, "code": "notRecommended"}]},
    }


_NO_DATE = Reason(
    "no-occurrence-date",
    "No date administered",
    "The dose has no full date of administration; it was left out.",
    "Mũi tiêm không có ngày tiêm đầy đủ; mũi tiêm không được đưa vào đánh giá.",
)
_NO_CODE = Reason(
    "no-vaccine-code",
    "No vaccine code",
    "The dose has no vaccine code; it was left out.",
    "Mũi tiêm không có mã vắc xin; mũi tiêm không được đưa vào đánh giá.",
)
