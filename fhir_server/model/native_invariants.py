"""Native implementations of the invariants of the national profiles: the identifier rules
(vn-pat-/vn-rp-cccd-1..5, -bhyt-1), the new-record rules of Immunization (vn-imm-1..7) and the small
element rules of Patient, RelatedPerson, Organization and Location (`OTHER`). The FHIRPath in profiles/ stays
the definition; fhirpathpy takes ~0.05-4 ms per expression (a Patient write spent ~70 % of its profile check
there), so these are evaluated in Python instead, and tests/unit/model/test_native_invariants.py checks that
both give the same verdict on the synthetic population and on crafted cases. An invariant without a native
twin here is still evaluated with fhirpathpy."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

from fhir_server.types import JsonResource

CCCD = "https://fhir.vn/sid/cccd"
BHYT = "https://fhir.vn/sid/bhyt"
_TWELVE = re.compile(r"[0-9]{12}")
_BHYT = re.compile(r"([A-Z]{2}[1-5][0-9]{2})?[0-9]{10}")
_PHONE = re.compile(r"([+]84|0)[0-9]{9,10}")

Native = Callable[[JsonResource], bool]


def _values(resource: JsonResource, system: str) -> list[Any]:
    """The `value` of each identifier with `system` (None where it has none)."""
    ids = resource.get("identifier")
    if not isinstance(ids, list):
        return []
    return [i.get("value") for i in ids if isinstance(i, dict) and i.get("system") == system]


def _all_twelve(values: list[Any], test: Callable[[str], bool]) -> bool:
    # FHIRPath `all(value.matches(12 digits) implies test)`: a value of another form passes, an identifier
    # without a value fails (its `matches` is empty, and so is the `implies`).
    return all(isinstance(v, str) and (not _TWELVE.fullmatch(v) or test(v)) for v in values)


VN_VACCINE = "https://fhir.vn/CodeSystem/vn-vaccine"


def _present(resource: JsonResource, name: str) -> bool:
    return name in resource  # the schema layer has refused empty values, nulls and empty arrays


def _new_record(resource: JsonResource) -> bool:
    return resource.get("status") == "completed" and resource.get("primarySource") is True


def _organization_performer(r: JsonResource) -> bool:
    return any(
        isinstance(p, dict)
        and isinstance(p.get("actor"), dict)
        and str(p["actor"].get("reference", "")).startswith("Organization/")
        for p in r.get("performer", ())
    )


def _product_code(r: JsonResource) -> bool:
    codings = r.get("vaccineCode", {}).get("coding", ())
    return any(isinstance(c, dict) and c.get("system") == VN_VACCINE for c in codings)


IMMUNIZATION: Mapping[str, Native] = {
    "vn-imm-1": lambda r: not _new_record(r) or _organization_performer(r),
    "vn-imm-2": lambda r: not _new_record(r) or _present(r, "location"),
    "vn-imm-3": lambda r: not _new_record(r) or _present(r, "lotNumber"),
    "vn-imm-4": lambda r: not _new_record(r) or _present(r, "expirationDate"),
    "vn-imm-5": lambda r: not _new_record(r) or _present(r, "manufacturer") or _product_code(r),
    "vn-imm-6": lambda r: not _new_record(r) or _present(r, "fundingSource"),
    "vn-imm-7": lambda r: r.get("status") != "completed" or _present(r, "protocolApplied"),
}


def _list(resource: JsonResource, name: str) -> list[Any]:
    value = resource.get(name)
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return [value] if isinstance(value, dict) else []


def _official_names_complete(r: JsonResource) -> bool:
    return all("family" in n and "given" in n for n in _list(r, "name") if n.get("use") == "official")


def _home_addresses_name_province(r: JsonResource) -> bool:
    return all("state" in a for a in _list(r, "address") if a.get("use") == "home")


def _phones(r: JsonResource) -> list[Any]:
    return [t.get("value") for t in _list(r, "telecom") if t.get("system") == "phone"]


def _govt_or_part_of(r: JsonResource) -> bool:
    codings = (c for t in _list(r, "type") for c in t.get("coding", ()) if isinstance(c, dict))
    return "partOf" in r or any(c.get("code") == "govt" for c in codings)


OTHER: Mapping[str, Native] = {
    "vn-pat-name": _official_names_complete,
    "vn-pat-addr": _home_addresses_name_province,
    "vn-rp-phone": lambda r: bool(_phones(r)),
    "vn-rp-phone-2": lambda r: all(isinstance(v, str) and _PHONE.fullmatch(v) for v in _phones(r)),
    "vn-org-1": _govt_or_part_of,
    "vn-org-2": lambda r: all("state" in a for a in _list(r, "address")),
    "vn-loc-1": lambda r: any("state" in a for a in _list(r, "address")),
}


def native_invariants(province_codes: Collection[str]) -> Mapping[str, Native]:
    """Invariant key suffix (after `vn-pat-` / `vn-rp-`) -> a check returning True when it holds."""
    provinces = frozenset(f"0{code}" for code in province_codes)

    def format_ok(r: JsonResource) -> bool:
        return all(isinstance(v, str) and _TWELVE.fullmatch(v) for v in _values(r, CCCD))

    def at_most_one(r: JsonResource) -> bool:
        return len(_values(r, CCCD)) <= 1

    def province_ok(r: JsonResource) -> bool:
        return _all_twelve(_values(r, CCCD), lambda v: v[:3] in provinces)

    def century_sex_ok(r: JsonResource) -> bool:
        values, birth, gender = _values(r, CCCD), r.get("birthDate"), r.get("gender")
        if not values or not isinstance(birth, str):
            return True

        def ok(v: str) -> bool:
            digit = int(v[3])
            if digit // 2 != int(birth[:2]) - 19:
                return False
            return gender not in ("male", "female") or digit % 2 == (1 if gender == "female" else 0)

        return _all_twelve(values, ok)

    def year_ok(r: JsonResource) -> bool:
        values, birth = _values(r, CCCD), r.get("birthDate")
        if not values or not isinstance(birth, str):
            return True
        return _all_twelve(values, lambda v: v[4:6] == birth[2:4])

    def bhyt_ok(r: JsonResource) -> bool:
        return all(isinstance(v, str) and _BHYT.fullmatch(v) for v in _values(r, BHYT))

    return {
        "cccd-1": format_ok,
        "cccd-2": at_most_one,
        "cccd-3": province_ok,
        "cccd-4": century_sex_ok,
        "cccd-5": year_ok,
        "bhyt-1": bhyt_ok,
    }
