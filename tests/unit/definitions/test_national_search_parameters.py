"""The national SearchParameters: each file is a valid R4 SearchParameter, registered beside the official ones
for each of its bases; a broken file stops loading with its name."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from fhir_server.definitions.artifacts import ArtifactError
from fhir_server.definitions.loader import (
    CONFORMANCE,
    SEARCH_PARAMETERS,
    load_definitions,
    load_search_parameters,
)
from fhir_server.definitions.registry import Definitions
from fhir_server.model.validator import Validator

TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"


def files() -> list[Path]:
    return sorted(SEARCH_PARAMETERS.glob("*.json"))


def test_the_set_the_registries_need() -> None:
    codes = {
        (base, r["code"]) for r in (json.loads(p.read_text("utf-8")) for p in files()) for base in r["base"]
    }
    assert codes == {
        ("Patient", "commune"), ("Patient", "province"),
        ("Location", "commune"), ("Location", "province"),
        ("Organization", "commune"), ("Organization", "province"),
        ("Immunization", "funding-source"),
    }  # fmt: skip


@pytest.mark.parametrize("path", files(), ids=lambda p: p.name)
def test_each_file_is_a_valid_search_parameter_in_english_and_vietnamese(
    path: Path, definitions: Definitions
) -> None:
    resource: dict[str, Any] = json.loads(path.read_text("utf-8"))
    Validator(definitions.validation, definitions.resource_types).validate(
        resource, expected_type="SearchParameter"
    )
    assert path.name == f"SearchParameter-{resource['id']}.json"
    assert resource["url"] == f"https://fhir.vn/SearchParameter/{resource['id']}"
    translation = resource["_description"]["extension"][0]
    assert translation["url"] == TRANSLATION
    parts = {e["url"]: e.get("valueCode") or e.get("valueString") for e in translation["extension"]}
    assert parts["lang"] == "vi" and parts["content"] and resource["description"]
    for base in resource["base"]:
        registered = definitions.search_params.get(base, resource["code"])
        assert registered is not None and registered.url == resource["url"], base
        assert registered.type == resource["type"]
        assert registered.expression and registered.expression.startswith(f"{base}."), registered.expression


def _broken(tmp_path: Path, name: str, change: dict[str, Any]) -> Path:
    folder = tmp_path / "search-parameters"
    folder.mkdir()
    for path in files():
        resource = json.loads(path.read_text("utf-8"))
        if path.name == name:
            resource.update(change)
        (folder / path.name).write_text(json.dumps(resource), "utf-8")
    return folder


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": "other"}, "is not https://fhir.vn/SearchParameter/<id>"),
        ({"base": ["Patient", "Nobody"]}, "base 'Nobody' is not a resource type"),
        ({"base": ["Patient", "RelatedPerson"]}, "no branch for RelatedPerson"),
        ({"type": "telepathy"}, "type 'telepathy'"),
        ({"code": ""}, "no code"),
    ],
)
def test_a_broken_file_is_named(
    tmp_path: Path, definitions: Definitions, change: dict[str, Any], message: str
) -> None:
    folder = _broken(tmp_path, "SearchParameter-vn-address-commune.json", change)
    with pytest.raises(
        ArtifactError, match=r"SearchParameter-vn-address-commune\.json: .*" + re.escape(message)
    ):
        load_search_parameters(folder, definitions.resource_types)


def test_a_broken_file_stops_start_up(tmp_path: Path) -> None:
    """load_definitions (which build_services calls first) reads the folder beside the official files."""
    for path in CONFORMANCE.glob("*.json"):
        (tmp_path / path.name).symlink_to(path)
    folder = _broken(tmp_path, "SearchParameter-vn-immunization-funding-source.json", {})
    (folder / "SearchParameter-vn-immunization-funding-source.json").write_text("{ broken", "utf-8")
    with pytest.raises(
        ArtifactError, match=r"SearchParameter-vn-immunization-funding-source\.json: not valid JSON"
    ):
        load_definitions(tmp_path)


@pytest.mark.parametrize("code", ["address-state", "_lastUpdated", "_text"])
def test_a_code_the_official_parameters_use_stops_start_up(tmp_path: Path, code: str) -> None:
    """Else the national one would silently replace the R4 parameter of the same base."""
    for path in CONFORMANCE.glob("*.json"):
        (tmp_path / path.name).symlink_to(path)
    _broken(tmp_path, "SearchParameter-vn-address-province.json", {"code": code})
    name = r"SearchParameter-vn-address-province\.json"
    with pytest.raises(ArtifactError, match=name + f": code '{code}' is already an R4 search parameter"):
        load_definitions(tmp_path)


def test_a_file_not_named_after_its_id_is_refused(tmp_path: Path, definitions: Definitions) -> None:
    folder = _broken(tmp_path, "SearchParameter-vn-address-province.json", {})
    (folder / "SearchParameter-vn-address-province.json").rename(folder / "SearchParameter-province.json")
    with pytest.raises(ArtifactError, match=r"SearchParameter-province\.json: the file of id"):
        load_search_parameters(folder, definitions.resource_types)


def test_national_parameters_are_added_not_substituted(definitions: Definitions) -> None:
    official = definitions.search_params.get("Patient", "address-state")
    assert (
        official is not None
        and official.url == "http://hl7.org/fhir/SearchParameter/individual-address-state"
    )
    assert definitions.search_params.get("Immunization", "lot-number") is not None
