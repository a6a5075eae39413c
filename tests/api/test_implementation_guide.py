"""docs/implementation-guide.md: every request block runs against a server enforcing every profile (a GET
block's JSON is the top level of the answer it must get), and the page names every profile, invariant, value
set, operation and national search parameter the server loads (so it cannot fall behind)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from fhir_server.app import create_app
from fhir_server.definitions.loader import load_artifacts
from fhir_server.settings import Settings

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "implementation-guide.md"
BLOCK = re.compile(r"^```json(?P<info>[^\n]*)\n(?P<body>.*?)^```$", re.S | re.M)
REQUEST = re.compile(r"^ (?P<method>GET|POST|PUT) (?P<path>\S+) (?P<status>\d{3})(?: (?P<expr>\S+))?$")


def blocks() -> list[tuple[str, str]]:
    return [(m["info"], m["body"]) for m in BLOCK.finditer(GUIDE.read_text("utf-8"))]


def test_every_request_block_gives_the_answer_the_guide_says() -> None:
    settings = Settings(database_url="memory://", profiles_enforced="all")
    ran = shown = 0
    previous: dict[str, Any] = {}
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        for info, body in blocks():
            resource = json.loads(body)  # every JSON block is valid JSON, request or not
            if not info.strip():
                # an answer shown: each issue is one the request before it really got, word for word
                assert resource["resourceType"] == "OperationOutcome"
                assert all(issue in previous["issue"] for issue in resource["issue"]), resource
                shown += 1
                continue
            request = REQUEST.match(info)
            assert request, f"unreadable block header: {info!r}"
            if request["method"] == "GET":  # a search: the block is the answer's top level, as shown
                response = client.get(request["path"])
                answer = response.json()
                assert {key: answer.get(key) for key in resource} == resource, (info, answer)
            else:
                response = client.request(
                    request["method"],
                    request["path"],
                    json=resource,
                    headers={"content-type": "application/fhir+json"},
                )
            assert response.status_code == int(request["status"]), (info, response.text)
            previous = response.json() if response.content else {}
            if request["expr"]:
                named = {e for issue in response.json()["issue"] for e in issue.get("expression", ())}
                assert set(request["expr"].split(",")) <= named, (info, named)
                assert all(issue.get("details", {}).get("text") for issue in response.json()["issue"])
            ran += 1
    assert ran >= 12 and shown >= 1


def test_the_guide_names_every_loaded_artifact() -> None:
    text = GUIDE.read_text("utf-8")
    artifacts = load_artifacts()
    for url, profile in artifacts.profiles.items():
        assert url in text, url
        for invariant in profile.invariants:
            key = invariant.key
            numbered = re.fullmatch(r"(.+-)(\d)", key)
            # "vn-pat-cccd-1 … 5" names a numbered run of keys
            covered = key in text or (numbered and re.search(re.escape(numbered[1]) + r"\d … \d", text))
            assert covered, key
    for url in artifacts.terminology.value_sets:
        assert url.rsplit("/", 1)[-1] in text, url
    for od_id in artifacts.operation_definitions:
        assert f"| `{od_id}` |" in text, od_id  # the Operations table
    for sp_id in artifacts.search_parameters:
        assert f"| `{sp_id}` |" in text, sp_id  # the national search parameters table
