from __future__ import annotations

import json
from pathlib import Path

from fhir_server.services.sms_gateways import FileGateway, HttpGateway, OutgoingSms


def test_the_body_template_gets_json_escaped_values() -> None:
    gateway = HttpGateway(
        "http://127.0.0.1:9/sms", template='{"msisdn": "{phone}", "message": "{text}", "ref": "{key}"}'
    )
    body = json.loads(gateway.body(OutgoingSms("sms-1", "0912", 'Bé "Đức"\ntiêm')))
    gateway.close()
    assert body == {"msisdn": "0912", "message": 'Bé "Đức"\ntiêm', "ref": "sms-1"}


def test_the_file_gateway_appends_json_lines(tmp_path: Path) -> None:
    gateway = FileGateway(tmp_path / "out" / "sms.jsonl")
    gateway.send(OutgoingSms("k1", "0912", "Bé Đức"))
    gateway.send(OutgoingSms("k2", "0913", "Bé An"))
    lines = [
        json.loads(line) for line in (tmp_path / "out" / "sms.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert [line["key"] for line in lines] == ["k1", "k2"]
    assert lines[0]["text"] == "Bé Đức"
