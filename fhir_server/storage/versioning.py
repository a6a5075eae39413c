"""What every backend does the same way when it stores a version: the lastUpdated instant, the meta
stamp in the body, and the history cursor. Shared so that backends cannot drift apart."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from fhir_server.model.bundle import instant
from fhir_server.model.json import dumps
from fhir_server.model.outcome import FhirError
from fhir_server.search.request import SortKey
from fhir_server.search.sorting import SortValue
from fhir_server.types import JsonResource

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TICK = timedelta(milliseconds=1)


def next_instant(now: datetime, previous: datetime | None) -> datetime:
    """`now` in UTC at millisecond precision (what `meta.lastUpdated` shows), moved just past
    `previous` so that the versions of one resource have strictly increasing instants even when the
    clock stands still or steps back."""
    moment = now.astimezone(UTC)
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    if previous is not None and moment <= previous:
        moment = previous + _TICK
    return moment


def stamp(resource: JsonResource, version: int, last_updated: datetime) -> bytes:
    """The stored body: a copy of `resource` with meta.versionId and meta.lastUpdated set; other meta
    elements (tags, profiles, security labels) are kept as written."""
    meta = dict(resource.get("meta") or {})
    meta["versionId"] = str(version)
    meta["lastUpdated"] = instant(last_updated)  # e.g. 2026-11-27T07:12:03.123Z
    return dumps({**resource, "meta": meta})


def to_us(value: datetime) -> int:
    """Microseconds since the Unix epoch, the unit of the index IR."""
    return (value - _EPOCH) // timedelta(microseconds=1)


def from_us(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def _encode(prefix: str, number: int) -> str:
    return f"{prefix}{number}"


def _decode(prefix: str, cursor: str | None, en: str, vi: str, expression: str | None) -> int | None:
    if cursor is None:
        return None
    if re.fullmatch(rf"{prefix}[0-9]{{1,18}}", cursor):  # 18 digits: always within SQLite's 64-bit integers
        return int(cursor[len(prefix) :])
    raise FhirError.of(
        400,
        "invalid",
        f"The {en} cursor {cursor!r} is not valid",
        f"{vi} {cursor!r} không hợp lệ",
        expression,
    )


def encode_cursor(sequence: int) -> str:
    """History pages continue below the global sequence of the last entry shown, so versions written
    while a client pages never shift or repeat entries."""
    return _encode("s", sequence)


def decode_cursor(cursor: str | None) -> int | None:
    """The sequence to continue below, or None for the first page."""
    return _decode("s", cursor, "history", "Con trỏ lịch sử", None)


def encode_position(position: int) -> str:
    """Searches without `_sort` continue after the creation position (SQLite's rid, the memory store's
    insertion number) of the last match shown, so deletes and creates between pages neither skip nor
    repeat a resource."""
    return _encode("p", position)


def decode_position(cursor: str | None) -> int | None:
    """The creation position to continue after, or None for the first page."""
    return _decode("p", cursor, "search", "Con trỏ tìm kiếm", "_cursor")


# What a sort value of each parameter type is (search.sorting): a malformed or tampered cursor must be
# a 400, never a comparison of a text with a number.
_SORT_TYPES: dict[str, tuple[type, ...]] = {
    "date": (int,),
    "number": (int, float),
    "quantity": (int, float),
    "string": (str,),
    "token": (str,),
    "reference": (str,),
    "uri": (str,),
}


def encode_sort_cursor(point: Sequence[SortValue], position: int) -> str:
    """Sorted searches continue after the last match shown: its sort values (search.sorting.sort_point)
    and its creation position, the tie-breaker, so writes between pages neither skip nor repeat a
    resource whose values did not change."""
    text = json.dumps([*point, position], separators=(",", ":"), ensure_ascii=False)
    return "k" + base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_sort_cursor(
    cursor: str | None, keys: Sequence[SortKey]
) -> tuple[tuple[SortValue, ...], int] | None:
    """(sort values, position) to continue after, or None for the first page; 400 unless the cursor
    was made for these keys."""
    if cursor is None:
        return None
    try:
        if not cursor.startswith("k") or len(cursor) > 4096:
            raise ValueError(cursor)
        body = cursor[1:]
        items = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        if not isinstance(items, list) or len(items) != len(keys) + 1:
            raise ValueError(cursor)
        *values, position = items
        if type(position) is not int or not 0 <= position < 1 << 62:
            raise ValueError(cursor)
        for value, key in zip(values, keys, strict=True):
            allowed = _SORT_TYPES.get(key.type, ())
            if value is not None and type(value) not in allowed:
                raise ValueError(cursor)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise FhirError.of(
            400,
            "invalid",
            f"The search cursor {cursor!r} is not valid for this _sort",
            f"Con trỏ tìm kiếm {cursor!r} không hợp lệ với _sort này",
            "_cursor",
        ) from None
    return tuple(values), position
