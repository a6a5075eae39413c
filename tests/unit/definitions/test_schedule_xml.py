"""Reading CDSi supporting-data XML into the frozen schedule model."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from fhir_server.definitions.loader import load_schedule
from fhir_server.definitions.schedule_xml import ScheduleError, read_antigen, read_schedule

ANTIGEN = b"""<antigenSupportingData><immunity><dateOfBirth>
<immunityBirthDate>01/01/1957</immunityBirthDate>
<exclusion><exclusionCode>055</exclusionCode></exclusion></dateOfBirth></immunity><contraindications/>
<series><seriesName>Alpha 2-dose</seriesName><targetDisease>Alpha</targetDisease>
<vaccineGroup>Alpha</vaccineGroup>
<seriesType>Standard</seriesType><equivalentSeriesGroups/><requiredGender/>
<selectSeries><defaultSeries>Yes</defaultSeries><productPath>No</productPath><seriesGroup>1</seriesGroup>
<seriesPriority>A</seriesPriority><seriesPreference>1</seriesPreference>
<maxAgeToStart>12 months - 4 days</maxAgeToStart></selectSeries>
<seriesDose><doseNumber>Dose 1</doseNumber><age><absMinAge>6 weeks - 4 days</absMinAge>
<minAge>6 weeks</minAge>
<maxAge/><effectiveDate/><cessationDate/></age><interval/>
<preferableVaccine><vaccineType>X</vaccineType><cvx>08</cvx><forecastVaccineType>Y</forecastVaccineType>
</preferableVaccine>
<recurringDose>No</recurringDose></seriesDose>
<seriesDose><doseNumber>Dose 2</doseNumber><interval><fromPrevious>Y</fromPrevious>
<absMinInt>4 weeks - 4 days</absMinInt>
<minInt>4 weeks</minInt><effectiveDate>20161216</effectiveDate></interval>
<conditionalSkip><context>Forecast</context><setLogic>n/a</setLogic><set>
<setDescription>old</setDescription>
<condition><conditionType>Vaccine Count by Age</conditionType><doseCount>2</doseCount>
<doseType>Valid</doseType>
<doseCountLogic>greater than</doseCountLogic><vaccineTypes>08; 110</vaccineTypes></condition></set>
</conditionalSkip>
<recurringDose>Yes</recurringDose></seriesDose></series></antigenSupportingData>"""


def test_read_antigen() -> None:
    antigen = read_antigen(ANTIGEN)
    assert antigen.name == "Alpha"
    assert antigen.immunity.birth_before == date(1957, 1, 1)
    assert antigen.immunity.exclusion_codes == frozenset({"055"})
    (series,) = antigen.series
    assert (series.series_type, series.default, series.preference) == ("standard", True, 1)
    assert str(series.max_age_to_start) == "12 months - 4 days"
    one, two = series.doses
    assert one.ages[0].abs_min is not None and one.ages[0].abs_min.days == 38
    assert one.ages[0].max is None
    assert [v.cvx for v in one.preferable] == ["8"]  # leading zeros dropped
    assert one.intervals == ()  # an empty <interval/> is no interval
    assert two.intervals[0].period.effective == date(2016, 12, 16)
    (skip,) = two.skips
    condition = skip.sets[0].conditions[0]
    assert (skip.context, condition.kind, condition.dose_count, condition.valid_only) == (
        "forecast",
        "count-by-age",
        2,
        True,
    )
    assert condition.vaccine_types == frozenset({"8", "110"})
    assert two.recurring


def test_bad_duration_is_refused_with_its_element() -> None:
    with pytest.raises(ScheduleError, match="minAge"):
        read_antigen(ANTIGEN.replace(b"<minAge>6 weeks</minAge>", b"<minAge>six weeks</minAge>"))


def test_read_schedule() -> None:
    document = b"""<scheduleSupportingData><liveVirusConflicts><liveVirusConflict>
    <previous><cvx>03</cvx></previous><current><cvx>21</cvx></current>
<conflictBeginInterval>1 day</conflictBeginInterval>
    <minConflictEndInterval>24 days</minConflictEndInterval>
<conflictEndInterval>28 days</conflictEndInterval>
    </liveVirusConflict></liveVirusConflicts><vaccineGroups><vaccineGroup><name>Alpha</name>
    <administerFullVaccineGroup>Yes</administerFullVaccineGroup></vaccineGroup></vaccineGroups>
    <vaccineGroupToAntigenMap><vaccineGroupMap><name>Alpha</name><antigen>Alpha</antigen></vaccineGroupMap>
</vaccineGroupToAntigenMap>
    <cvxToAntigenMap><cvxMap><cvx>08</cvx><shortDescription>X</shortDescription><association>
<antigen>Alpha</antigen>
    <associationBeginAge/><associationEndAge>50 years</associationEndAge></association></cvxMap>
</cvxToAntigenMap>
    <observations/></scheduleSupportingData>"""
    schedule = read_schedule("test", document, [ANTIGEN])
    assert schedule.vaccine_groups["Alpha"].administer_full_group
    assert schedule.group_of_antigen("Alpha") == "Alpha"
    assert str(schedule.vaccines["8"].associations[0].end_age) == "50 years"
    assert schedule.conflicts["21"][0].previous_cvx == "3"


def test_cdc_schedule_loads() -> None:
    cdc = load_schedule("cdc")
    assert len(cdc.antigens) == 30
    assert len(cdc.vaccine_groups) == 26
    assert cdc.vaccine_groups["MMR"].antigens == ("Measles", "Mumps", "Rubella")
    assert len(cdc.vaccines) == 218
    assert sum(len(a.series) for a in cdc.antigens.values()) == 143


def test_observation_codes_from_coded_facts() -> None:
    cdc = load_schedule("cdc")
    assert cdc.observation_codes("http://snomed.info/sct", "707147002") == ("160",)  # asplenia
    assert cdc.observation_codes("SNOMED", "370388006") == ("003",)
    assert cdc.observation_codes("SNOMED", "no-such-code") == ()


def test_load_schedule_reads_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "mini"
    folder.mkdir()
    (folder / "ScheduleSupportingData.xml").write_bytes(b"<scheduleSupportingData/>")
    (folder / "AntigenSupportingData- Alpha-508.xml").write_bytes(ANTIGEN)  # CDC's own file name
    schedule = load_schedule("mini", tmp_path)
    assert schedule.name == "mini"
    assert list(schedule.antigens) == ["Alpha"]
    with pytest.raises(FileNotFoundError):
        load_schedule("missing", tmp_path)
