"""The generator: facilities first, then for each child its Patient, mother and Immunizations.

Every child draws from its own `random.Random` seeded with (seed, child number), so a population of
N children is a prefix of a population of N + 1 and nothing depends on the clock.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

from bench.population import names, resources
from bench.population.facilities import Facilities, build_facilities
from bench.population.geography import BY_CODE, COMMUNES_PER_PROVINCE, FACILITY_PROVINCES, PROVINCES
from bench.population.history import simulate
from fhir_server.types import JsonResource

REFERENCE_DATE = date(2026, 11, 1)
MAX_AGE_DAYS = 8 * 365  # birth cohorts of the last eight years (Td at 7 years included)
FEMALE_AT_BIRTH = 0.472  # Vietnam's sex ratio at birth is about 112 boys per 100 girls


class _Population:
    def __init__(self, seed: int, reference_date: date, province: str | None, communes: int | None) -> None:
        self.seed = seed
        self.reference_date = reference_date
        rng = random.Random(f"{seed}:facilities")
        if province is None and communes is None:
            self.facilities: Facilities = build_facilities(rng)
        else:
            provinces = ((province, 1.0),) if province else FACILITY_PROVINCES
            self.facilities = build_facilities(rng, provinces, communes or COMMUNES_PER_PROVINCE)
        self.cccd = names.CccdIssuer()
        self.certificates: dict[tuple[str, int], int] = {}  # (commune code, year) -> last number

    def child(self, n: int) -> Iterator[JsonResource]:
        rng = random.Random(f"{self.seed}:child:{n}")
        fac = self.facilities
        station = rng.choices(fac.stations, weights=fac.station_weights)[0]
        province = station.province
        female = rng.random() < FEMALE_AT_BIRTH
        birth = self.reference_date - timedelta(days=rng.randrange(1, MAX_AGE_DAYS + 1))
        birth_province = province if rng.random() < 0.97 else rng.choice(PROVINCES)
        middle, given = names.middle_and_given(rng, "girl" if female else "boy")
        child_name = resources.human_name(names.family_name(rng, province.region), middle, given)
        key = (station.commune_code, birth.year)
        self.certificates[key] = self.certificates.get(key, 0) + 1
        certificate = f"{station.commune_code}-{birth.year}-{self.certificates[key]:05d}"
        address = resources.home_address(station, rng.randrange(1, 16))
        patient_id = f"pat-{n:06d}"
        cccd = self.cccd.issue(rng, birth_province.code, birth, female)
        yield resources.patient(
            patient_id,
            name=child_name,
            female=female,
            birth=birth,
            cccd=cccd,
            birth_certificate=certificate,
            address=address,
            station=station,
        )

        mother_birth = resources.mother_birth_date(birth, rng.triangular(18, 42, 27))
        mother_province = province if rng.random() < 0.75 else rng.choice(PROVINCES)
        m_middle, m_given = names.middle_and_given(rng, "mother")
        m_name = resources.human_name(names.family_name(rng, mother_province.region), m_middle, m_given)
        m_cccd = self.cccd.issue(rng, mother_province.code, mother_birth, True)
        phone = names.mobile_phone(rng)
        yield resources.mother(
            f"rp-{n:06d}",
            patient_id=patient_id,
            name=m_name,
            birth=mother_birth,
            cccd=m_cccd,
            phone=phone,
            address=address,
        )

        doses = simulate(rng, birth, province.code, station.session_days, self.reference_date)
        for k, dose in enumerate(doses, start=1):
            rid = f"imm-{n:06d}-{k:02d}"
            yield resources.immunization(
                rid,
                patient_id=patient_id,
                dose=dose,
                facilities=fac,
                station=station,
                lot_choice=rng.randrange(2),
            )


def generate(
    patients: int,
    seed: int = 42,
    reference_date: date = REFERENCE_DATE,
    *,
    province: str | None = None,
    communes: int | None = None,
) -> Iterator[JsonResource]:
    """Organizations and Locations, then per child: Patient, mother (RelatedPerson), Immunizations.

    Lazy: a consumer may stop early. A referenced resource always comes before the one referencing it.
    `province` (a code, e.g. "79"): every child lives in that one province; `communes`: commune stations
    per province (default 2). Either changes the facilities, so the population differs from the default.
    """
    if province is not None and province not in BY_CODE:
        raise ValueError(f"unknown province code {province!r}")
    population = _Population(seed, reference_date, province, communes)
    yield from population.facilities.resources
    for n in range(1, patients + 1):
        yield from population.child(n)
