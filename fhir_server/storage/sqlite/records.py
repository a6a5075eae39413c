"""Rows of `resources` joined with `history` turned into StoredResource, and the SELECT lists that
produce them (so every query returns the same column order)."""

from __future__ import annotations

from typing import Any, Final, cast

from fhir_server.storage.base import Method, StoredResource
from fhir_server.storage.versioning import from_us

# Current versions: resources r joined with the history row of their version.
CURRENT_COLUMNS: Final = "r.resource_type, r.id, r.version, r.last_updated, r.deleted, h.method, h.body"
CURRENT_FROM: Final = "resources r JOIN history h ON h.rid = r.rid AND h.version = r.version"

# Any version: history h joined with its resource for the id.
VERSION_COLUMNS: Final = "r.resource_type, r.id, h.version, h.last_updated, h.deleted, h.method, h.body"
VERSION_FROM: Final = "history h JOIN resources r ON r.rid = h.rid"


def to_stored(row: tuple[Any, ...]) -> StoredResource:
    resource_type, id, version, last_updated, deleted, method, body = row
    return StoredResource(
        resource_type=resource_type,
        id=id,
        version=int(version),
        last_updated=from_us(int(last_updated)),
        deleted=bool(deleted),
        method=cast(Method, method),
        body=bytes(body),
    )
