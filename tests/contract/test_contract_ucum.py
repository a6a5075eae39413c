"""Quantity search with UCUM unit conversion, on every backend (the memory backend is the oracle): rows
come from the real extractor and queries from the real parser, so the canonical values on both sides are
the ones production computes (search.ucum)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest

from fhir_server.definitions.registry import Definitions
from fhir_server.search.extract import Extractor
from fhir_server.search.parse import parse_search
from fhir_server.storage.base import Store
from tests.contract.conftest import put

VN = ZoneInfo("Asia/Ho_Chi_Minh")
UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"


def quantity(
    value: Any, code: str | None, system: str | None = UCUM, unit: str | None = None
) -> dict[str, Any]:
    found: dict[str, Any] = {"value": value, "unit": unit or code or ""}
    if code is not None:
        found["code"] = code
    if system is not None:
        found["system"] = system
    return found


def observation(id: str, value: dict[str, Any], loinc: str = "2345-7", **more: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": id,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": loinc}]},
        "valueQuantity": value,
        **more,
    }


OBSERVATIONS = [
    observation("mg5_4", quantity(5.4, "mg")),
    observation("ug5500", quantity(5500, "ug")),
    observation("g0_0055", quantity(0.0055, "g")),
    observation("mg5_5", quantity(5.5, "mg")),
    observation("kg1", quantity(1, "kg")),
    observation("mgdl90", quantity(90, "mg/dL"), loinc="2339-0"),
    observation("gl0_9", quantity(0.9, "g/L"), loinc="2339-0"),
    observation("mmoll5", quantity(5, "mmol/L"), loinc="15074-8"),
    observation("umoll5000", quantity(5000, "umol/L"), loinc="15074-8"),
    observation("cel37", quantity(37, "Cel"), loinc="8310-5"),
    observation("degf99", quantity(99.5, "[degF]"), loinc="8310-5"),
    observation("ml500", quantity(500, "mL")),
    observation("l0_4", quantity(0.4, "L")),
    observation("min90", quantity(90, "min")),
    observation("h1", quantity(1, "h")),
    observation("lb2", quantity(2, "[lb_av]")),
    observation("unit_only", quantity(5500, None, system=None, unit="ug")),
    observation("other_system", quantity(5500, "ug", system="http://example.org/units")),
    observation("not_ucum_atom", quantity(5500, "{tablet}x")),  # not convertible: as written only
    observation(
        "bp",
        quantity(1, "1"),
        loinc="85354-9",
        component=[
            {"code": {"coding": [{"system": LOINC, "code": "8480-6"}]}, "valueQuantity": quantity(16, "kPa")},
            {
                "code": {"coding": [{"system": LOINC, "code": "8462-4"}]},
                "valueQuantity": quantity(80, "mm[Hg]"),
            },
        ],
    ),
]

MASSES = ["mg5_4", "ug5500", "g0_0055", "mg5_5", "kg1", "lb2"]


@pytest.fixture
def seeded(store: Store, definitions: Definitions) -> Store:
    extractor = Extractor(definitions.search_params, VN)
    for resource in OBSERVATIONS:
        put(store, resource, extractor.extract(resource))
    return store


def found(store: Store, definitions: Definitions, query: str) -> list[str]:
    params = [tuple(part.split("=", 1)) for part in query.split("&")]
    request = parse_search(
        "Observation", params, definitions.search_params, strict=True, default_tz=VN
    ).request
    page = store.search(request, with_total=True)
    ids = [r.id for r in page.resources]
    assert page.total == len(ids)
    return sorted(ids)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # the example: 5500 ug and 0.0055 g are above 5.4 mg
        (f"value-quantity=gt5.4|{UCUM}|mg", ["g0_0055", "kg1", "lb2", "mg5_5", "ug5500"]),
        (f"value-quantity=5.5|{UCUM}|mg", ["g0_0055", "mg5_5", "ug5500"]),
        (f"value-quantity=5500|{UCUM}|ug", ["g0_0055", "mg5_5", "ug5500"]),
        (f"value-quantity=ge5.5|{UCUM}|mg", ["g0_0055", "kg1", "lb2", "mg5_5", "ug5500"]),
        (f"value-quantity=lt5.5|{UCUM}|mg", ["mg5_4"]),
        (f"value-quantity=le0.0055|{UCUM}|g", ["g0_0055", "mg5_4", "mg5_5", "ug5500"]),
        (f"value-quantity=ne5.5|{UCUM}|mg", ["kg1", "lb2", "mg5_4"]),
        (f"value-quantity=gt1|{UCUM}|[lb_av]", ["kg1", "lb2"]),
        (f"value-quantity=ap1|{UCUM}|kg", ["kg1", "lb2"]),  # 1 is [0.5, 1.5): 2 lb = 0.907 kg
        (f"value-quantity=ap0.9|{UCUM}|kg", ["lb2"]),  # ±10 %: [0.81, 0.99)
        (f"value-quantity=0.9|{UCUM}|g/L", ["gl0_9", "mgdl90"]),
        (f"value-quantity=gt80|{UCUM}|mg/dL", ["gl0_9", "mgdl90"]),
        (f"value-quantity=5|{UCUM}|mmol/L", ["mmoll5", "umoll5000"]),
        (f"value-quantity=gt4|{UCUM}|mmol/L", ["mmoll5", "umoll5000"]),
        (f"value-quantity=37|{UCUM}|Cel", ["cel37"]),
        (f"value-quantity=gt37|{UCUM}|Cel", ["degf99"]),  # 99.5 F = 37.5 C
        (f"value-quantity=ge310|{UCUM}|K", ["cel37", "degf99"]),
        (f"value-quantity=gt0.45|{UCUM}|L", ["ml500"]),
        (f"value-quantity=le400|{UCUM}|mL", ["l0_4"]),
        (f"value-quantity=ge60|{UCUM}|min", ["h1", "min90"]),
        (f"value-quantity=gt1|{UCUM}|h", ["min90"]),
        # a unit of another dimension matches nothing, even with the same number
        (f"value-quantity=5500|{UCUM}|mL", []),
        # a UCUM code outside the table: exact system|code, as written
        (f"value-quantity=5500|{UCUM}|{{tablet}}x", ["not_ucum_atom"]),
        # no system, or another system: as written, no conversion
        ("value-quantity=5500||ug", ["other_system", "ug5500", "unit_only"]),
        ("value-quantity=5500|http://example.org/units|ug", ["other_system"]),
        ("value-quantity=gt5000", ["not_ucum_atom", "other_system", "ug5500", "unit_only"]),
        # composites compare the quantity part canonically too: 16 kPa = 120 mm[Hg]
        (f"component-code-value-quantity={LOINC}|8480-6$gt110|{UCUM}|mm[Hg]", ["bp"]),
        (f"component-code-value-quantity={LOINC}|8480-6$gt130|{UCUM}|mm[Hg]", []),
        (f"component-code-value-quantity={LOINC}|8462-4$gt10|{UCUM}|kPa", ["bp"]),
        (f"component-value-quantity=120|{UCUM}|mm[Hg]", ["bp"]),
        (f"code-value-quantity={LOINC}|2339-0$lt1|{UCUM}|g/L", ["gl0_9", "mgdl90"]),
    ],
)
def test_ucum_quantities(seeded: Store, definitions: Definitions, query: str, expected: list[str]) -> None:
    assert found(seeded, definitions, query) == expected


def test_ucum_values_and_or(seeded: Store, definitions: Definitions) -> None:
    both = f"value-quantity=lt5.5|{UCUM}|mg,gt0.5|{UCUM}|L"
    assert found(seeded, definitions, both) == ["mg5_4"]
    anded = f"value-quantity=gt5|{UCUM}|mg&value-quantity=lt1|{UCUM}|g"
    assert found(seeded, definitions, anded) == ["g0_0055", "mg5_4", "mg5_5", "ug5500"]
    assert set(MASSES) >= set(found(seeded, definitions, anded))
