"""Vietnam's schedule as CDSi antigen series: the EPI rows and the common service (paid) vaccines.

Facts: ../shared/testdata/vn-epi-schedule.md (§2 EPI, §3 service labels, §4 WHO). Every dose names its source;
schedules/vn/README.md lists the rows with their legal instrument and the decisions taken where the
circulars say nothing (minimum ages and intervals, past-due dates, grace period).
Conventions: ages are completed ages; "1 month" between EPI doses is read as 4 weeks minimum (WHO) with the
circular's month as the recommended interval; past due = one month after the recommended age for EPI doses
and none for service vaccines (no overdue status for a paid vaccine).
"""

from __future__ import annotations

from vn_model import (
    Age,
    AllowableInterval,
    Antigen,
    Condition,
    Contraindication,
    Dose,
    Indication,
    Interval,
    Series,
    Skip,
    SkipSet,
    Use,
    containing,
)

TT38_END = "20240731"  # Circular 38/2017/TT-BYT in force until 31/07/2024
TT10_START = "20240801"  # Circular 10/2024/TT-BYT in force from 01/08/2024
TT52_START = "20260215"  # Circular 52/2025/TT-BYT in force from 15/02/2026

INT_4W = Interval(min="4 weeks", rec="1 month")
INFANT = (
    Age(min="6 weeks", rec="2 months", late="3 months"),
    Age(min="10 weeks", rec="3 months", late="4 months"),
    Age(min="14 weeks", rec="4 months", late="5 months"),
)
SIX_WEEKS = "6 weeks - 4 days"


def introduced(cessation: str, start: str, what: str) -> Skip:
    """A dose that did not exist before a circular: not forecast while the older circular was in force.

    Expressed as a Forecast-context skip whose set is relevant only until `cessation` (RELEVANT-2 uses the
    assessment date); doses given earlier are still evaluated normally.
    """
    return Skip(
        "Forecast",
        (
            SkipSet(
                f"{what} is not in the schedule in force before {start[:4]}-{start[4:6]}-{start[6:]}",
                (Condition("Age", begin_age="0 days"),),
                cessation=cessation,
            ),
        ),
    )


# ---------------------------------------------------------------- HepB
_HEPB_ALLOW = containing("HepB")
_PENTA_PREF = (
    Use("198", "6 weeks", "5 years", forecast=True, volume="0.5"),
    Use("146", "6 weeks", "5 years"),
)
HEPB = Antigen(
    "HepB",
    (
        Series(
            "HepB birth dose + 3 doses (EPI)",
            "HepB",
            "HepB",
            (
                Dose(
                    (Age(min="0 days", rec="0 days", late="2 days"),),
                    (Use("08", "0 days", forecast=True, volume="0.5"),),
                    tuple(Use(u.code, "0 days") for u in _HEPB_ALLOW),
                    skips=(
                        Skip(
                            "Both",
                            (
                                SkipSet(
                                    "The birth dose is not required once the child is 6 weeks old: the "
                                    "primary doses start (WHO minimum age of the first primary dose)",
                                    (Condition("Age", begin_age="6 weeks"),),
                                ),
                            ),
                        ),
                    ),
                    source="TT10/2024 row 1; TT52/2025 p.1; TT13/2026 Art.26(1) (within 24 h of birth)",
                ),
                Dose(
                    (INFANT[0],),
                    _PENTA_PREF,
                    containing("HepB", begin=SIX_WEEKS),
                    (INT_4W,),
                    source="TT10/2024 (5-in-1 at 2 months); WHO min 6 weeks",
                ),
                Dose(
                    (INFANT[1],),
                    _PENTA_PREF,
                    containing("HepB", begin=SIX_WEEKS),
                    (INT_4W,),
                    source="TT10/2024 (3 months, >= 1 month after dose 1)",
                ),
                Dose(
                    (INFANT[2],),
                    _PENTA_PREF,
                    containing("HepB", begin=SIX_WEEKS),
                    (INT_4W,),
                    source="TT10/2024 (4 months, >= 1 month after dose 2)",
                ),
            ),
            guidance=("Give the birth dose within 24 hours of birth (Circular 13/2026 Art. 26(1)).",),
        ),
    ),
)

# ---------------------------------------------------------------- BCG
TUBERCULOSIS = Antigen(
    "Tuberculosis",
    (
        Series(
            "BCG 1 dose (EPI)",
            "Tuberculosis",
            "BCG",
            (
                Dose(
                    (Age(min="0 days", rec="0 days", late="1 month + 1 day"),),
                    (Use("19", "0 days", forecast=True, volume="0.1"),),
                    (Use("19", "0 days"),),
                    source="TT10/2024 row 2 (within 1 month of birth)",
                ),
            ),
        ),
    ),
)


# ---------------------------------------------------------------- diphtheria, tetanus, pertussis
def _reduced(antigen: str) -> tuple[str, ...]:
    """Reduced-antigen adult products (Td, Tdap): not for the infant doses."""
    return tuple(
        c for c in ("09", "113", "115", "138", "139", "196") if c in {u.code for u in containing(antigen)}
    )


def _dtp_doses(antigen: str, *, booster_7y: bool) -> tuple[Dose, ...]:
    # Reduced-antigen Td/Tdap count from 7 years (catch-up of an older child or adult), never for infants.
    reduced = _reduced(antigen)
    infant_allow = (
        *containing(antigen, exclude=reduced, begin=SIX_WEEKS),
        *(Use(c, "7 years - 4 days") for c in reduced),
    )
    adult = Use("09" if antigen != "Pertussis" else "115", "7 years", forecast=True, volume="0.5")
    infant_pref = (*_PENTA_PREF, Use("170", "6 weeks", "5 years"), adult)
    doses = [
        Dose(
            (INFANT[0],), infant_pref, infant_allow, source="TT10/2024 (5-in-1 at 2 months); WHO min 6 weeks"
        ),
        Dose((INFANT[1],), infant_pref, infant_allow, (INT_4W,), source="TT10/2024 (3 months, >= 1 month)"),
        Dose((INFANT[2],), infant_pref, infant_allow, (INT_4W,), source="TT10/2024 (4 months, >= 1 month)"),
        Dose(
            (Age(min="12 months", rec="18 months", late="19 months"),),
            (
                Use("01", "12 months", "7 years", forecast=True, volume="0.5"),
                Use("146", "12 months", "5 years"),
                Use("170", "12 months", "5 years"),
                adult,
            ),
            (
                *containing(antigen, exclude=reduced, begin="12 months - 4 days"),
                *(Use(c, "7 years - 4 days") for c in reduced),
            ),
            (Interval(min="6 months", rec="6 months"),),
            source="TT10/2024; TT52/2025 pp.2-4 (booster at 18 months); "
            "WHO: 12-23 months, >= 6 months after dose 3",
        ),
    ]
    if booster_7y:
        doses.append(
            Dose(
                (Age(min="4 years", rec="7 years", late="8 years"),),
                (
                    Use("09", "7 years", forecast=True, volume="0.5"),
                    Use("130", "4 years", "7 years"),
                    Use("115", "4 years"),
                ),
                containing(antigen, begin="4 years - 4 days"),
                (Interval(min="6 months", rec="4 years"),),
                skips=(introduced(TT38_END, TT10_START, "The Td booster at 7 years"),),
                source="TT10/2024 and TT52/2025 tables (Td at 7 years); "
                "WHO: 4-7 years, >= 4 years after booster 1",
            )
        )
    return tuple(doses)


_DTP_GUIDANCE = (
    "EPI: 5-in-1 (DTwP-HepB-Hib) at 2, 3, 4 months, DTP at 18 months, Td at 7 years (Circular 10/2024).",
)


def _pregnancy_tetanus() -> Series:
    allow = containing("Tetanus", begin=SIX_WEEKS)
    pref = (Use("09", "7 years", forecast=True, volume="0.5"), Use("35", "7 years"))
    src = "TT10/2024 'phụ nữ có thai'; EPI guidance; WHO Table 2 (Td in pregnancy)"
    return Series(
        "Tetanus in pregnancy 5-dose (TT/Td, EPI)",
        "Tetanus",
        "DTaP/Tdap/Td",
        (
            Dose((Age(min="6 weeks"),), pref, allow, source=src),
            Dose((Age(),), pref, allow, (Interval(min="4 weeks", rec="4 weeks"),), source=src),
            Dose((Age(),), pref, allow, (Interval(min="6 months", rec="6 months"),), source=src),
            Dose((Age(),), pref, allow, (Interval(min="1 year", rec="1 year"),), source=src),
            Dose((Age(),), pref, allow, (Interval(min="1 year", rec="1 year"),), source=src),
        ),
        guidance=(
            "Dose 2 at least 1 month before the expected delivery; doses 3-5 may wait for the next "
            "pregnancy. "
            "Childhood doses count (Circular 10/2024; EPI guidance).",
        ),
        series_type="Risk",
        genders=("Female",),
        default=False,
        group_name="Pregnancy",
        group="2",
        indications=(Indication("007", "Pregnant", "Administer to persons who are pregnant."),),
    )


DIPHTHERIA = Antigen(
    "Diphtheria",
    (
        Series(
            "DTP 5-dose (EPI)",
            "Diphtheria",
            "DTaP/Tdap/Td",
            _dtp_doses("Diphtheria", booster_7y=True),
            guidance=_DTP_GUIDANCE,
        ),
    ),
)
TETANUS = Antigen(
    "Tetanus",
    (
        Series(
            "DTP 5-dose (EPI)",
            "Tetanus",
            "DTaP/Tdap/Td",
            _dtp_doses("Tetanus", booster_7y=True),
            guidance=_DTP_GUIDANCE,
        ),
        _pregnancy_tetanus(),
    ),
)
PERTUSSIS = Antigen(
    "Pertussis",
    (
        Series(
            "DTP 4-dose (EPI)",
            "Pertussis",
            "DTaP/Tdap/Td",
            _dtp_doses("Pertussis", booster_7y=False),
            guidance=_DTP_GUIDANCE,
        ),
    ),
)

# ---------------------------------------------------------------- Hib
_HIB_PREF = (*_PENTA_PREF, Use("170", "6 weeks", "5 years"))
_HIB_ALLOW = containing("Hib", begin=SIX_WEEKS)
# WHO: from 12 months one dose is enough (unvaccinated child) or completes an infant start (booster).
_HIB_AFTER_ONE_YEAR = Skip(
    "Both",
    (
        SkipSet(
            "Not required once a valid Hib dose was given at 12 months of age or later (WHO catch-up)",
            (
                Condition(
                    "Vaccine Count by Age",
                    begin_age="12 months",
                    dose_count="0",
                    dose_type="Valid",
                    dose_count_logic="greater than",
                    vaccine_types=tuple(u.code for u in _HIB_ALLOW),
                ),
            ),
        ),
    ),
)
HIB = Antigen(
    "Hib",
    (
        Series(
            "Hib 3-dose (EPI pentavalent)",
            "Hib",
            "Hib",
            (
                Dose(
                    (Age(min="6 weeks", rec="2 months", late="3 months", max="5 years"),),
                    _HIB_PREF,
                    _HIB_ALLOW,
                    source="TT10/2024 (5-in-1 at 2 months); WHO: not needed after 5 years",
                ),
                Dose(
                    (Age(min="10 weeks", rec="3 months", late="4 months", max="5 years"),),
                    _HIB_PREF,
                    _HIB_ALLOW,
                    (INT_4W,),
                    skips=(_HIB_AFTER_ONE_YEAR,),
                    source="TT10/2024 (3 months)",
                ),
                Dose(
                    (Age(min="14 weeks", rec="4 months", late="5 months", max="5 years"),),
                    _HIB_PREF,
                    _HIB_ALLOW,
                    (INT_4W,),
                    skips=(_HIB_AFTER_ONE_YEAR,),
                    source="TT10/2024 (4 months)",
                ),
            ),
        ),
    ),
)

# ---------------------------------------------------------------- Polio
_IPV_CONTAINING = ("10", "110", "120", "130", "132", "146", "170", "195", "324")
_POLIO_ALLOW = containing("Polio", begin=SIX_WEEKS)
_IPV_ALLOW = tuple(Use(c, "14 weeks - 4 days") for c in _IPV_CONTAINING)
_BOPV_PREF = (Use("178", "6 weeks", forecast=True, volume="0.1"),)
_IPV_PREF = (
    Use("10", "14 weeks", forecast=True, volume="0.5"),
    Use("146", "14 weeks", "5 years"),
    Use("170", "14 weeks", "5 years"),
)
_HEXA_PREF = (
    Use("146", "6 weeks", "5 years", forecast=True, volume="0.5"),
    Use("170", "6 weeks", "5 years"),
    Use("10", "6 weeks"),
)
POLIO = Antigen(
    "Polio",
    (
        Series(
            "Polio bOPV x3 + IPV x2 (EPI)",
            "Polio",
            "Polio",
            (
                Dose(
                    (INFANT[0],), _BOPV_PREF, _POLIO_ALLOW, source="TT10/2024 (bOPV from 2 months, 3 doses)"
                ),
                Dose((INFANT[1],), _BOPV_PREF, _POLIO_ALLOW, (INT_4W,), source="TT10/2024 (>= 1 month)"),
                Dose((INFANT[2],), _BOPV_PREF, _POLIO_ALLOW, (INT_4W,), source="TT10/2024 (>= 1 month)"),
                Dose(
                    (Age(min="14 weeks", rec="5 months", late="6 months"),),
                    _IPV_PREF,
                    _IPV_ALLOW,
                    source="TT10/2024; QĐ 2144/QĐ-BYT (2016): IPV at 5 months; WHO min 14 weeks",
                ),
                Dose(
                    (Age(min="9 months", rec="9 months", late="10 months"),),
                    _IPV_PREF,
                    tuple(Use(c, "9 months - 4 days") for c in _IPV_CONTAINING),
                    (Interval(min="4 months", rec="4 months"),),
                    skips=(introduced(TT38_END, TT10_START, "The second IPV dose at 9 months"),),
                    source="TT10/2024 table (IPV at 9 months); WHO: >= 4 months after IPV1",
                ),
            ),
            guidance=("bOPV protects against types 1 and 3 only: doses 4 and 5 must contain IPV.",),
        ),
        Series(
            "Polio IPV-containing 4-dose (service hexavalent/Pentaxim)",
            "Polio",
            "Polio",
            (
                Dose(
                    (INFANT[0],),
                    _HEXA_PREF,
                    tuple(Use(c, SIX_WEEKS) for c in _IPV_CONTAINING),
                    source="Infanrix Hexa/Hexaxim/Pentaxim labels (2, 3, 4 months; min 6 weeks)",
                ),
                Dose(
                    (INFANT[1],),
                    _HEXA_PREF,
                    tuple(Use(c, SIX_WEEKS) for c in _IPV_CONTAINING),
                    (INT_4W,),
                    source="labels (4 weeks)",
                ),
                Dose(
                    (INFANT[2],),
                    _HEXA_PREF,
                    tuple(Use(c, SIX_WEEKS) for c in _IPV_CONTAINING),
                    (INT_4W,),
                    source="labels (4 weeks)",
                ),
                Dose(
                    (Age(min="12 months", rec="16 months", late="19 months"),),
                    _HEXA_PREF,
                    tuple(Use(c, "12 months - 4 days") for c in _IPV_CONTAINING),
                    (Interval(min="6 months", rec="6 months"),),
                    source="labels: booster 16-18 months, >= 6 months after dose 3 (Long Châu schedule)",
                ),
            ),
            default=False,
            preference="2",
        ),
    ),
)

# ---------------------------------------------------------------- Rotavirus
_ROTA_ALLOW = containing("Rotavirus", begin=SIX_WEEKS)
_ROTA_PREF = (
    Use("119", "6 weeks", "6 months + 1 day", forecast=True, volume="2.0"),
    Use("116", "6 weeks", "32 weeks + 1 day", volume="2.0"),
)
_MONOVALENT = ("119", "VN-ROTAVIN-M1", "VN-ROTARIX")
_NOT_MONOVALENT = ("74", "116", "122", "VN-ROTATEQ")
_ROTA_MAX = "8 months + 1 day"
ROTAVIRUS = Antigen(
    "Rotavirus",
    (
        Series(
            "Rotavirus 2-dose monovalent / 3-dose pentavalent (EPI Rotavin-M1; service Rotarix, RotaTeq)",
            "Rotavirus",
            "Rotavirus",
            (
                Dose(
                    (Age(min="6 weeks", rec="2 months", late="3 months", max=_ROTA_MAX),),
                    _ROTA_PREF,
                    _ROTA_ALLOW,
                    source="TT10/2024 (disease 11, EPI from 01/08/2024); Rotavin-M1, Rotarix, RotaTeq labels",
                ),
                Dose(
                    (Age(min="10 weeks", rec="3 months", late="4 months", max=_ROTA_MAX),),
                    _ROTA_PREF,
                    _ROTA_ALLOW,
                    (INT_4W,),
                    source="HCDC illustration (2 doses, 2 and 3 months); labels (4 weeks)",
                ),
                Dose(
                    (Age(min="14 weeks", rec="4 months", late="5 months", max=_ROTA_MAX),),
                    (Use("116", "6 weeks", "32 weeks + 1 day", forecast=True, volume="2.0"),),
                    _ROTA_ALLOW,
                    (INT_4W,),
                    skips=(
                        Skip(
                            "Both",
                            (
                                SkipSet(
                                    "A third dose is needed only after a pentavalent/tetravalent/unknown "
                                    "rotavirus "
                                    "vaccine: not required after two monovalent doses (Rotavin-M1, Rotarix)",
                                    (
                                        Condition(
                                            "Vaccine Count by Age",
                                            begin_age="0 days",
                                            dose_count="1",
                                            dose_type="Valid",
                                            dose_count_logic="greater than",
                                            vaccine_types=_MONOVALENT,
                                        ),
                                        Condition(
                                            "Vaccine Count by Age",
                                            begin_age="0 days",
                                            dose_count="0",
                                            dose_type="Total",
                                            dose_count_logic="equal to",
                                            vaccine_types=_NOT_MONOVALENT,
                                        ),
                                    ),
                                    logic="AND",
                                ),
                            ),
                        ),
                    ),
                    source="RotaTeq label (3 doses, finish by 32 weeks)",
                ),
            ),
            guidance=(
                "Rotavin-M1 and Rotarix: 2 doses; RotaTeq: 3 doses. Finish the course before 8 months.",
            ),
        ),
    ),
)

# ---------------------------------------------------------------- Pneumococcal
_PCV = ("100", "133", "152", "177", "215", "216", "109")
_PCV_PREF = tuple(Use(c, "6 weeks", "5 years", forecast=True, volume="0.5") for c in ("133", "177", "215"))
PNEUMOCOCCAL = Antigen(
    "Pneumococcal",
    (
        Series(
            "PCV 2p+1 (EPI, Circular 52/2025)",
            "Pneumococcal",
            "Pneumococcal",
            (
                Dose(
                    (Age(min="6 weeks", rec="2 months", late="3 months", max="5 years"),),
                    _PCV_PREF,
                    tuple(Use(c, SIX_WEEKS) for c in _PCV),
                    source="TT52/2025 (PCV at 2 months); WHO min 6 weeks",
                ),
                Dose(
                    (Age(min="14 weeks", rec="4 months", late="5 months", max="5 years"),),
                    _PCV_PREF,
                    tuple(Use(c, SIX_WEEKS) for c in _PCV),
                    (Interval(min="8 weeks", rec="2 months"),),
                    source="TT52/2025 (4 months, 2 months apart, per secondary source); WHO 2p: 8 weeks",
                ),
                Dose(
                    (Age(min="9 months", rec="9 months", late="19 months", max="5 years"),),
                    _PCV_PREF,
                    tuple(Use(c, "9 months - 4 days") for c in _PCV),
                    (Interval(min="8 weeks", rec="6 months"),),
                    source="TO VERIFY: booster age not read in any source; WHO 2p+1 booster 9-18 months",
                ),
            ),
        ),
        Series(
            "PCV 3p+1 (service labels: Synflorix, Prevenar 13, Vaxneuvance)",
            "Pneumococcal",
            "Pneumococcal",
            (
                Dose(
                    (Age(min="6 weeks", rec="2 months", max="5 years"),),
                    _PCV_PREF,
                    tuple(Use(c, SIX_WEEKS) for c in _PCV),
                    source="labels (2 months, min 6 weeks)",
                ),
                Dose(
                    (Age(min="10 weeks", rec="3 months", max="5 years"),),
                    _PCV_PREF,
                    tuple(Use(c, SIX_WEEKS) for c in _PCV),
                    (INT_4W,),
                    source="labels (4 weeks)",
                ),
                Dose(
                    (Age(min="14 weeks", rec="4 months", max="5 years"),),
                    _PCV_PREF,
                    tuple(Use(c, SIX_WEEKS) for c in _PCV),
                    (INT_4W,),
                    source="labels (4 weeks)",
                ),
                Dose(
                    (Age(min="12 months", rec="12 months", max="5 years"),),
                    _PCV_PREF,
                    tuple(Use(c, "12 months - 4 days") for c in _PCV),
                    (Interval(min="8 weeks", rec="6 months"),),
                    source="labels: booster 12-15 months, >= 8 weeks (ideally 6 months) after the "
                    "primary series",
                ),
            ),
            default=False,
            preference="2",
        ),
    ),
)

# ---------------------------------------------------------------- Measles, rubella, mumps
_PREGNANT_LIVE = Contraindication("007", "Pregnant", "Do not vaccinate with a live vaccine during pregnancy.")
MEASLES = Antigen(
    "Measles",
    (
        Series(
            "Measles 2-dose (EPI: measles 9 months, MR 18 months)",
            "Measles",
            "Measles",
            (
                Dose(
                    (Age(min="9 months", rec="9 months", late="10 months"),),
                    (
                        Use("05", "9 months", forecast=True, volume="0.5"),
                        Use("04", "9 months"),
                        Use("03", "9 months"),
                    ),
                    containing("Measles", begin="9 months - 4 days"),
                    source="TT10/2024; TT52/2025 p.7 (measles at 9 months)",
                ),
                Dose(
                    (Age(min="9 months", rec="18 months", late="19 months"),),
                    (Use("04", "9 months", forecast=True, volume="0.5"), Use("03", "9 months")),
                    containing("Measles", begin="9 months - 4 days"),
                    (Interval(min="4 weeks", rec="9 months"),),
                    source="TT10/2024; TT52/2025 (MR at 18 months); WHO MCV2 >= 4 weeks after MCV1",
                ),
            ),
            guidance=("Doses given before 9 months (outbreak doses) do not count.",),
        ),
    ),
    (_PREGNANT_LIVE,),
)
RUBELLA = Antigen(
    "Rubella",
    (
        Series(
            "Rubella 1 dose (EPI: MR 18 months)",
            "Rubella",
            "Rubella",
            (
                Dose(
                    (Age(min="9 months", rec="18 months", late="19 months"),),
                    (Use("04", "9 months", forecast=True, volume="0.5"), Use("03", "9 months")),
                    containing("Rubella", begin="9 months - 4 days"),
                    source="TT10/2024; TT52/2025 (MR at 18 months); WHO: 1 rubella dose",
                ),
            ),
        ),
    ),
    (_PREGNANT_LIVE,),
)
MUMPS = Antigen(
    "Mumps",
    (
        Series(
            "Mumps 2-dose (service MMR)",
            "Mumps",
            "Mumps",
            (
                Dose(
                    (Age(min="12 months", rec="12 months"),),
                    (Use("03", "12 months", forecast=True, volume="0.5"),),
                    containing("Mumps", begin="12 months - 4 days"),
                    source="M-M-R II / Priorix labels",
                ),
                Dose(
                    (Age(rec="4 years"),),
                    (Use("03", "12 months", forecast=True, volume="0.5"),),
                    containing("Mumps", begin="12 months - 4 days"),
                    (Interval(min="4 weeks"),),
                    source="labels: 2nd dose at 4-6 years, >= 4 weeks",
                ),
            ),
        ),
    ),
    (_PREGNANT_LIVE,),
)

# ---------------------------------------------------------------- Japanese encephalitis
_JE_INACTIVATED = (
    Use("39", "12 months - 4 days"),
    Use("129", "12 months - 4 days"),
    Use("134", "12 months - 4 days"),
)
JAPANESE_ENCEPHALITIS = Antigen(
    "Japanese Encephalitis",
    (
        Series(
            "JE inactivated 3-dose (EPI Jevax)",
            "Japanese Encephalitis",
            "Japanese Encephalitis",
            (
                Dose(
                    (Age(min="12 months", rec="12 months", late="13 months"),),
                    (Use("39", "12 months", forecast=True, volume="0.5"),),
                    _JE_INACTIVATED,
                    source="TT10/2024 ('mũi 1 khi đủ 12 tháng')",
                ),
                Dose(
                    (Age(),),
                    (Use("39", "12 months", forecast=True, volume="0.5"),),
                    _JE_INACTIVATED,
                    (Interval(min="1 week", rec="1 week", late="2 weeks + 1 day"),),
                    source="TT10/2024; EPI schedule (1-2 weeks after dose 1)",
                ),
                Dose(
                    (Age(),),
                    (Use("39", "12 months", forecast=True, volume="0.5"),),
                    _JE_INACTIVATED,
                    (Interval(min="1 year", rec="1 year", late="1 year + 1 month"),),
                    source="EPI schedule (TT38/2017, 10/2024): 1 year after dose 2",
                ),
            ),
        ),
        Series(
            "JE live recombinant 2-dose (service Imojev)",
            "Japanese Encephalitis",
            "Japanese Encephalitis",
            (
                Dose(
                    (Age(min="9 months", rec="9 months"),),
                    (Use("VN-IMOJEV", "9 months", forecast=True, volume="0.5"),),
                    (Use("VN-IMOJEV", "9 months - 4 days"),),
                    source="Imojev label (from 9 months)",
                ),
                Dose(
                    (Age(),),
                    (Use("VN-IMOJEV", "9 months", forecast=True, volume="0.5"),),
                    (Use("VN-IMOJEV", "9 months - 4 days"),),
                    (Interval(min="12 months", rec="12 months"),),
                    source="Imojev label: booster 12-24 months later (children)",
                ),
            ),
            default=False,
            preference="2",
        ),
    ),
    (
        Contraindication(
            "007", "Pregnant", "Do not vaccinate with Imojev (live) during pregnancy.", ("VN-IMOJEV",)
        ),
    ),
)

# ---------------------------------------------------------------- HPV
_HPV_ALLOW = containing("HPV", begin="9 years - 4 days")
_HPV_PREF = (Use("165", "9 years", "46 years", forecast=True, volume="0.5"), Use("62", "9 years", "46 years"))
_HPV_SRC = (
    "TT13/2026 Art.3 (HPV in the EPI list); QĐ 2780/QĐ-BYT (girls aged 11, 2026 pilot); Gardasil labels"
)
HPV = Antigen(
    "HPV",
    (
        Series(
            "HPV 2-dose (first dose before 15 years)",
            "HPV",
            "HPV",
            (
                Dose(
                    (Age(min="9 years", rec="11 years", max="46 years"),),
                    _HPV_PREF,
                    _HPV_ALLOW,
                    source=_HPV_SRC,
                ),
                Dose(
                    (Age(),),
                    _HPV_PREF,
                    _HPV_ALLOW,
                    (Interval(min="5 months", rec="6 months"),),
                    allowable_intervals=(AllowableInterval("5 months - 4 days", from_target="1"),),
                    source="labels: 9-14 years 0, 6-12 months (a dose >= 5 months after dose 1 counts even "
                    "after an extra dose given too soon)",
                ),
            ),
            max_age_to_start="15 years",
            guidance=("EPI 2026 pilot: girls aged 11 in Tuyên Quang, Quảng Ngãi, Đắk Lắk, Vĩnh Long.",),
        ),
        Series(
            "HPV 3-dose (first dose from 15 years)",
            "HPV",
            "HPV",
            (
                Dose(
                    (Age(min="9 years", rec="11 years", max="46 years"),),
                    _HPV_PREF,
                    _HPV_ALLOW,
                    source=_HPV_SRC,
                ),
                Dose(
                    (Age(),),
                    _HPV_PREF,
                    _HPV_ALLOW,
                    (Interval(min="4 weeks", rec="2 months"),),
                    source="labels: >= 15 years 0, 2, 6 months",
                ),
                Dose(
                    (Age(),),
                    _HPV_PREF,
                    _HPV_ALLOW,
                    (
                        Interval(min="12 weeks"),
                        Interval(min="5 months", rec="6 months", from_previous=False, from_target="1"),
                    ),
                    source="labels: 3-dose 4 weeks / 12 weeks, dose 3 >= 5 months after dose 1",
                ),
            ),
            default=False,
            preference="2",
            min_age_to_start="15 years",
        ),
    ),
)

# ---------------------------------------------------------------- service vaccines, one series each
VARICELLA = Antigen(
    "Varicella",
    (
        Series(
            "Varicella 2-dose (service)",
            "Varicella",
            "Varicella",
            (
                Dose(
                    (Age(min="9 months", rec="12 months"),),
                    (Use("21", "9 months", forecast=True, volume="0.5"),),
                    containing("Varicella", begin="9 months - 4 days"),
                    source="Varivax/Varilrix/Barycela labels (9-12 months)",
                ),
                Dose(
                    (Age(),),
                    (Use("21", "9 months", forecast=True, volume="0.5"),),
                    containing("Varicella", begin="9 months - 4 days"),
                    (Interval(min="4 weeks", rec="3 months"),),
                    source="labels: 3 months (< 13 y), 4 weeks (>= 13 y)",
                ),
            ),
        ),
    ),
    (_PREGNANT_LIVE,),
)

_FLU = ("15", "16", "88", "140", "141", "150", "158", "161", "171", "194", "200", "201", "202", "320", "331")
_FLU_ALLOW = tuple(Use(c, "6 months - 4 days") for c in _FLU)
_FLU_PREF = (Use("150", "6 months", forecast=True, volume="0.5"),)
INFLUENZA = Antigen(
    "Influenza",
    (
        Series(
            "Influenza yearly (service)",
            "Influenza",
            "Influenza",
            (
                Dose(
                    (Age(min="6 months", rec="6 months"),),
                    _FLU_PREF,
                    _FLU_ALLOW,
                    source="labels (from 6 months)",
                ),
                Dose(
                    (Age(),),
                    _FLU_PREF,
                    _FLU_ALLOW,
                    (Interval(min="4 weeks", rec="4 weeks"),),
                    skips=(
                        Skip(
                            "Both",
                            (
                                SkipSet(
                                    "A second dose in the first season only below 9 years",
                                    (Condition("Age", begin_age="9 years"),),
                                ),
                            ),
                        ),
                    ),
                    source="labels; WHO: 2 doses 4 weeks apart in the first season if < 9 years",
                ),
                Dose(
                    (Age(),),
                    _FLU_PREF,
                    _FLU_ALLOW,
                    (Interval(min="4 weeks", rec="1 year"),),
                    recurring=True,
                    source="labels: yearly (no season dates: Vietnam vaccinates all year)",
                ),
            ),
        ),
    ),
)

_HEPA_ALLOW = (
    *containing("HepA", begin="12 months - 4 days", exclude=("85",)),
    Use("85", "12 months - 4 days"),
)
HEPA = Antigen(
    "HepA",
    (
        Series(
            "HepA 2-dose (service)",
            "HepA",
            "HepA",
            (
                Dose(
                    (Age(min="12 months", rec="12 months"),),
                    (Use("31", "12 months", forecast=True, volume="0.5"),),
                    _HEPA_ALLOW,
                    source="Avaxim 80 / Havrix labels (from 12 months; Havax from 24 months)",
                ),
                Dose(
                    (Age(),),
                    (Use("31", "12 months", forecast=True, volume="0.5"),),
                    _HEPA_ALLOW,
                    (Interval(min="6 months", rec="6 months"),),
                    source="labels: 6-18 months after dose 1",
                ),
            ),
        ),
    ),
)

_MEN_ACWY = ("108", "114", "136", "147", "167", "203", "316", "328")
MENINGOCOCCAL = Antigen(
    "Meningococcal",
    (
        Series(
            "MenACWY conjugate (service: Menactra, MenQuadfi, Nimenrix)",
            "Meningococcal",
            "Meningococcal",
            (
                Dose(
                    (Age(min="6 weeks", rec="9 months"),),
                    (
                        Use("114", "9 months", "56 years", forecast=True, volume="0.5"),
                        Use("203", "12 months"),
                    ),
                    tuple(Use(c, SIX_WEEKS) for c in _MEN_ACWY),
                    source="Menactra label (9 months); Nimenrix from 6 weeks",
                ),
                Dose(
                    (Age(),),
                    (Use("114", "9 months", "56 years", forecast=True, volume="0.5"),),
                    tuple(Use(c, SIX_WEEKS) for c in _MEN_ACWY),
                    (Interval(min="12 weeks", rec="3 months"),),
                    skips=(
                        Skip(
                            "Forecast",
                            (
                                SkipSet(
                                    "A second dose only when the first was given at 9-23 months",
                                    (
                                        Condition(
                                            "Vaccine Count by Age",
                                            begin_age="2 years",
                                            dose_count="0",
                                            dose_type="Valid",
                                            dose_count_logic="greater than",
                                            vaccine_types=_MEN_ACWY,
                                        ),
                                    ),
                                ),
                            ),
                        ),
                    ),
                    source="Menactra label: 9-23 months 2 doses 3 months apart; >= 2 years 1 dose",
                ),
            ),
        ),
    ),
)

MENINGOCOCCAL_B = Antigen(
    "Meningococcal B",
    (
        Series(
            "MenB 2-dose (service: VA-Mengoc-BC, Bexsero)",
            "Meningococcal B",
            "Meningococcal B",
            (
                Dose(
                    (Age(min="2 months", rec="6 months"),),
                    (Use("VN-VA-MENGOC-BC", "6 months", forecast=True, volume="0.5"), Use("163", "2 months")),
                    (
                        Use("VN-VA-MENGOC-BC", "6 months - 4 days"),
                        *(Use(c, "2 months - 4 days") for c in ("162", "163", "164", "167", "316", "328")),
                    ),
                    source="VA-Mengoc-BC label (from 6 months); Bexsero label (from 2 months)",
                ),
                Dose(
                    (Age(),),
                    (Use("VN-VA-MENGOC-BC", "6 months", forecast=True, volume="0.5"), Use("163", "2 months")),
                    (
                        Use("VN-VA-MENGOC-BC", "6 months - 4 days"),
                        *(Use(c, "2 months - 4 days") for c in ("162", "163", "164", "167", "316", "328")),
                    ),
                    (Interval(min="6 weeks", rec="2 months"),),
                    source="VA-Mengoc-BC label: 6-8 weeks apart (min 42 days); Bexsero infants 2 months",
                ),
            ),
        ),
    ),
)

TYPHOID = Antigen(
    "Typhoid",
    (
        Series(
            "Typhoid 1 dose (service)",
            "Typhoid",
            "Typhoid",
            (
                Dose(
                    (Age(min="6 months", rec="2 years"),),
                    (Use("101", "2 years", forecast=True, volume="0.5"), Use("190", "6 months")),
                    (
                        Use("25", "6 years - 4 days"),
                        Use("41", "2 years - 4 days"),
                        Use("91", "2 years - 4 days"),
                        Use("101", "2 years - 4 days"),
                        Use("190", "6 months - 4 days"),
                    ),
                    source="Typhim Vi label (>= 2 years); typhoid conjugate from 6 months (WHO)",
                ),
            ),
            guidance=("Revaccinate every 3 years only when exposure continues (Typhim Vi label).",),
        ),
    ),
)

ANTIGENS: tuple[Antigen, ...] = (
    HEPB,
    TUBERCULOSIS,
    DIPHTHERIA,
    TETANUS,
    PERTUSSIS,
    HIB,
    POLIO,
    ROTAVIRUS,
    PNEUMOCOCCAL,
    MEASLES,
    RUBELLA,
    MUMPS,
    JAPANESE_ENCEPHALITIS,
    HPV,
    VARICELLA,
    INFLUENZA,
    HEPA,
    MENINGOCOCCAL,
    MENINGOCOCCAL_B,
    TYPHOID,
)

# Vaccine groups: (name, administerFullVaccineGroup, antigens); CDC's names where the antigens are CDC's.
VACCINE_GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("BCG", "No", ("Tuberculosis",)),
    ("DTaP/Tdap/Td", "No", ("Diphtheria", "Tetanus", "Pertussis")),
    ("HepA", "No", ("HepA",)),
    ("HepB", "No", ("HepB",)),
    ("Hib", "No", ("Hib",)),
    ("HPV", "No", ("HPV",)),
    ("Influenza", "No", ("Influenza",)),
    ("Japanese Encephalitis", "No", ("Japanese Encephalitis",)),
    ("Measles", "No", ("Measles",)),
    ("Meningococcal", "No", ("Meningococcal",)),
    ("Meningococcal B", "No", ("Meningococcal B",)),
    ("Mumps", "No", ("Mumps",)),
    ("Pneumococcal", "No", ("Pneumococcal",)),
    ("Polio", "No", ("Polio",)),
    ("Rotavirus", "No", ("Rotavirus",)),
    ("Rubella", "No", ("Rubella",)),
    ("Typhoid", "No", ("Typhoid",)),
    ("Varicella", "No", ("Varicella",)),
)

# What CDSi cannot carry (schedules/vn/README.md, "What the format cannot express"): which legal instrument
# was in force when, and which vaccine groups the EPI pays for, since when and where. -> programmes.json.
INSTRUMENTS: tuple[dict[str, str | None], ...] = (
    {
        "id": "TT38/2017",
        "title": "Circular 38/2017/TT-BYT",
        "valid_from": "2018-01-01",
        "valid_to": "2024-07-31",
        "note": "10 EPI diseases",
    },
    {
        "id": "TT10/2024",
        "title": "Circular 10/2024/TT-BYT",
        "valid_from": "2024-08-01",
        "valid_to": "2026-02-14",
        "note": "11 EPI diseases (adds rotavirus); Td at 7 years and IPV at 5 and 9 months in its table",
    },
    {
        "id": "TT52/2025",
        "title": "Circular 52/2025/TT-BYT",
        "valid_from": "2026-02-15",
        "valid_to": "2026-06-30",
        "note": "12 EPI diseases (adds pneumococcal); values identical to 10/2024 for shared antigens",
    },
    {
        "id": "TT13/2026",
        "title": "Circular 13/2026/TT-BYT",
        "valid_from": "2026-07-01",
        "valid_to": None,
        "note": "14 disease groups incl. HPV; no schedule table (Art. 5(4)): the 52/2025 values are kept",
    },
)

EPI_GROUPS: tuple[dict[str, object], ...] = (
    {"vaccine_group": "HepB", "since": "2018-01-01", "instrument": "TT38/2017"},
    {"vaccine_group": "BCG", "since": "2018-01-01", "instrument": "TT38/2017"},
    {
        "vaccine_group": "DTaP/Tdap/Td",
        "since": "2018-01-01",
        "instrument": "TT38/2017",
        "note": "Td at 7 years from 2024-08-01 (TT10/2024); tetanus series for pregnant women",
    },
    {"vaccine_group": "Hib", "since": "2018-01-01", "instrument": "TT38/2017"},
    {
        "vaccine_group": "Polio",
        "since": "2018-01-01",
        "instrument": "TT38/2017",
        "note": "EPI series only (bOPV x3 + IPV); IPV at 9 months from 2024-08-01 (TT10/2024)",
    },
    {"vaccine_group": "Measles", "since": "2018-01-01", "instrument": "TT38/2017"},
    {"vaccine_group": "Rubella", "since": "2018-01-01", "instrument": "TT38/2017"},
    {
        "vaccine_group": "Japanese Encephalitis",
        "since": "2018-01-01",
        "instrument": "TT38/2017",
        "note": "EPI series only (inactivated, Jevax); Imojev is a service vaccine",
    },
    {
        "vaccine_group": "Rotavirus",
        "since": "2024-08-01",
        "instrument": "TT10/2024",
        "rollout": "phased: 32 provinces late 2024, +9 in 2025, Hà Nội 2026",
    },
    {
        "vaccine_group": "Pneumococcal",
        "since": "2026-02-15",
        "instrument": "TT52/2025",
        "rollout": "phased: 34 provinces planned 2026-2028",
        "note": "EPI series only (2p+1)",
    },
    {
        "vaccine_group": "HPV",
        "since": "2026-07-01",
        "instrument": "TT13/2026",
        "rollout": "QĐ 2780/QĐ-BYT: girls aged 11 in Tuyên Quang, Quảng Ngãi, Đắk Lắk, Vĩnh Long from 2026",
        "note": "dose count not fixed by the Ministry of Health",
    },
)
