from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import orjson

from fhir_server.model.bundle import BundleEntry, bundle, etag, http_date, instant
from fhir_server.model.json import dumps


def test_entries_embed_stored_json_verbatim() -> None:
    stored = b'{"resourceType":"Patient","id":"a","extension":[{"valueDecimal":1.50}]}'
    result = bundle("searchset", [BundleEntry("http://x/Patient/a", stored, search_mode="match")], total=1)
    text = dumps(result)
    assert b'"valueDecimal":1.50' in text
    parsed = orjson.loads(text)
    assert parsed["entry"][0]["search"] == {"mode": "match"}
    assert parsed["total"] == 1


def test_empty_bundle_has_no_entry_array() -> None:
    assert "entry" not in bundle("history", [], total=0)


def test_instant_is_utc_with_milliseconds() -> None:
    moment = datetime(2026, 11, 27, 14, 5, 6, 789123, tzinfo=timezone(timedelta(hours=7)))
    assert instant(moment) == "2026-11-27T07:05:06.789Z"


def test_http_headers() -> None:
    assert etag(3) == 'W/"3"'
    assert http_date(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "Fri, 02 Jan 2026 03:04:05 GMT"
