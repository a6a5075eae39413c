from __future__ import annotations

import inspect
import tracemalloc
from pathlib import Path

import orjson

from fhir_server.bulk.sources import kind_of, read_items
from fhir_server.model.json import loads


def _ndjson(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


def test_ndjson_items_carry_line_numbers_and_skip_blank_lines(tmp_path: Path) -> None:
    path = _ndjson(tmp_path / "a.ndjson", [b'{"a":1}', b"", b"  ", b'{"a":2}'])
    items = list(read_items(path))
    assert [(i.number, i.data) for i in items] == [(1, b'{"a":1}'), (4, b'{"a":2}')]
    assert items[-1].end == path.stat().st_size


def test_ndjson_resumes_at_a_byte_offset_with_the_same_line_numbers(tmp_path: Path) -> None:
    path = _ndjson(tmp_path / "a.ndjson", [b'{"n":%d}' % n for n in range(1, 8)])
    items = list(read_items(path))
    resumed = list(read_items(path, items[2].end))
    assert resumed == items[3:]


def test_the_reader_is_lazy_and_its_memory_does_not_grow_with_the_file(tmp_path: Path) -> None:
    line = orjson.dumps({"resourceType": "Basic", "id": "x", "text": "y" * 1000})
    path = tmp_path / "big.ndjson"
    with path.open("wb") as out:
        for _ in range(20_000):  # ~20 MB
            out.write(line + b"\n")
    reader = read_items(path)
    assert inspect.isgenerator(reader)
    tracemalloc.start()
    count = sum(1 for _ in reader)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 20_000
    assert peak < 1_000_000  # a few lines' worth, not the 20 MB file


def test_bundle_entries_are_streamed_with_exact_decimals(tmp_path: Path) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": {"resourceType": "Basic", "id": "a"},
                "request": {"method": "PUT", "url": "Basic/a"},
            },
            {"request": {"method": "DELETE", "url": "Basic/b"}},
            {"fullUrl": "urn:uuid:1"},
        ],
    }
    raw = orjson.dumps(bundle).replace(b'"id":"a"', b'"id":"a","extension":[{"url":"u","valueDecimal":1.50}]')
    path = tmp_path / "b.json"
    path.write_bytes(raw)
    assert kind_of(path) == "bundle"
    items = list(read_items(path))
    assert [i.number for i in items] == [1, 2, 3]
    assert b"1.50" in items[0].data and loads(items[0].data)["id"] == "a"
    assert items[1].problem is not None and "DELETE" in items[1].problem
    assert items[2].problem == "the entry has no resource"
    assert list(read_items(path, 2)) == items[2:]


def test_a_json_file_that_is_not_a_bundle_is_one_problem_item(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_bytes(b'{"resourceType": "Patient", "id": "p"}')
    (item,) = list(read_items(path))
    assert item.problem is not None and "Patient" in item.problem


def test_gzip_files_are_read_and_resumed_like_plain_ones(tmp_path: Path) -> None:
    import gzip

    plain = _ndjson(tmp_path / "a.ndjson", [b'{"n":%d}' % n for n in range(1, 6)])
    packed = tmp_path / "a.ndjson.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert kind_of(packed) == "ndjson" and kind_of(tmp_path / "b.json.gz") == "bundle"
    items = list(read_items(packed))
    assert items == list(read_items(plain))
    assert list(read_items(packed, items[1].end)) == items[2:]
