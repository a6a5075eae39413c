"""Reading import files one resource at a time, so memory does not grow with the file.

Two kinds of file:
- NDJSON (any name but `*.json`): one resource per line. An item's number is its line number and its
  resume position the byte offset just after the line. Blank lines are skipped (they hold nothing).
- Bundle JSON (`*.json`): the `resource` of each `entry`, streamed with ijson. An item's number is the
  entry's number (1-based) and its resume position the count of entries consumed; resuming parses and
  skips the entries before it (a Bundle cannot be entered in the middle).
Either may be gzip-compressed (`*.ndjson.gz`, `*.json.gz`).
"""

from __future__ import annotations

import decimal
import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

import ijson
import orjson
from ijson.common import ObjectBuilder

Kind = Literal["ndjson", "bundle"]


@dataclass(frozen=True, slots=True)
class Item:
    number: int  # line number (NDJSON) or entry number (Bundle), 1-based
    data: bytes  # the JSON text of one resource; b"" when `problem` says why there is none
    end: int  # where to resume after this item: byte offset (NDJSON) or entries consumed (Bundle)
    problem: str | None = None  # found while reading (an entry without a resource); the item is rejected


def kind_of(path: Path) -> Kind:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes[-1:] == [".gz"]:
        suffixes.pop()
    return "bundle" if suffixes[-1:] == [".json"] else "ndjson"


def _open(path: Path) -> BinaryIO:
    """`*.gz` files are read through gzip; positions are then offsets in the uncompressed text."""
    if path.suffix.lower() == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def read_items(path: Path, start: int = 0) -> Iterator[Item]:
    """Items from resume position `start` (0: the beginning). A generator: one item in memory at a time."""
    with _open(path) as stream:
        if kind_of(path) == "bundle":
            yield from _bundle_items(stream, start)
        else:
            yield from _ndjson_items(stream, start)


def _ndjson_items(stream: BinaryIO, start: int) -> Iterator[Item]:
    number = 0
    if start:
        # Line numbers count from the top, so the lines before `start` are counted (not parsed).
        remaining = start
        while remaining > 0:
            block = stream.read(min(remaining, 1 << 20))
            if not block:
                break
            number += block.count(b"\n")
            remaining -= len(block)
    offset = stream.tell()
    for line in stream:
        number += 1
        offset += len(line)
        text = line.strip()
        if text:
            yield Item(number, text, offset)


def _bundle_items(stream: BinaryIO, start: int) -> Iterator[Item]:
    """Builds each `entry` from ijson's events (use_float=False keeps decimals exact) and serialises its
    resource back to JSON text, so that Bundle and NDJSON resources take the same path afterwards."""
    events = ijson.parse(stream, use_float=False)
    number = 0
    top_type: str | None = None
    for prefix, event, value in events:
        if prefix == "resourceType" and event == "string":
            top_type = value
        elif prefix == "entry.item" and event == "start_map":
            number += 1
            entry = _build(events, event, value)
            if number > start:
                yield _entry_item(number, entry)
    if number == 0 and top_type != "Bundle":
        yield Item(1, b"", 1, f"the file holds a {top_type or 'JSON value'}, not a Bundle")


def _build(events: Iterator[tuple[str, str, Any]], event: str, value: Any) -> Any:
    builder = ObjectBuilder()
    builder.event(event, value)
    depth = 1
    for _, inner_event, inner_value in events:
        builder.event(inner_event, inner_value)
        if inner_event in ("start_map", "start_array"):
            depth += 1
        elif inner_event in ("end_map", "end_array"):
            depth -= 1
            if depth == 0:
                break
    return builder.value


def _entry_item(number: int, entry: Any) -> Item:
    resource = entry.get("resource") if isinstance(entry, dict) else None
    method = (entry.get("request") or {}).get("method") if isinstance(entry, dict) else None
    if method == "DELETE":
        return Item(number, b"", number, "a DELETE entry: import stores resources, it deletes nothing")
    if not isinstance(resource, dict):
        return Item(number, b"", number, "the entry has no resource")
    return Item(number, orjson.dumps(resource, default=_exact_number), number)


def _exact_number(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return orjson.Fragment(str(value))  # str keeps the literal: Decimal("1.50") -> "1.50"
    raise TypeError(f"Cannot serialise {type(value).__name__}")
