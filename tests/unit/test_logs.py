from __future__ import annotations

import logging

import orjson

from fhir_server.logs import JsonFormatter


def test_records_are_json_lines_with_extras_and_no_ansi_copy() -> None:
    record = logging.LogRecord("fhir_server.access", logging.INFO, __file__, 1, "request", (), None)
    record.route = "/fhir/{resource_type}/{id}"
    record.status = 200
    record.color_message = "\x1b[36mrequest\x1b[0m"
    line = JsonFormatter().format(record)
    entry = orjson.loads(line)
    assert entry["message"] == "request"
    assert entry["route"] == "/fhir/{resource_type}/{id}"
    assert entry["status"] == 200
    assert entry["level"] == "info"
    assert "color_message" not in entry
