"""The indexes the searches, reads and history pages need (docs/scaling.md sizes them).

Every search filter starts with `t` (the resource type) and each criterion is an `$elemMatch` on one
`_idx` array led by the parameter code `p`, so one compound multikey index per IR kind —
(t, _idx.<kind>.p, <value fields>) — serves every parameter of that kind, with bounds on the value
because all its fields belong to the same array element. `create_index` does nothing for an index that
already exists, so this runs at every start-up.
"""

from __future__ import annotations

from typing import Final

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.database import Database

from fhir_server.storage.mongo.documents import Document

_A, _D = ASCENDING, DESCENDING


def _present(kind: str) -> dict[str, object]:
    """Only documents with rows of this kind (documents.PARTIAL_KINDS; query.py adds the same test)."""
    return {f"_idx.{kind}": {"$exists": True}}


RESOURCE_INDEXES: Final = (
    IndexModel([("t", _A), ("seq", _A)], name="type_position"),  # unsorted order and cursors
    IndexModel([("t", _A), ("lu", _A)], name="type_last_updated"),
    IndexModel([("pc", _A), ("t", _A)], name="compartment"),  # one child's record; the shard key's prefix
    IndexModel([("t", _A), ("_idx.s.p", _A), ("_idx.s.n", _A)], name="idx_string"),
    IndexModel([("t", _A), ("_idx.t.p", _A), ("_idx.t.c", _A), ("_idx.t.s", _A)], name="idx_token"),
    IndexModel([("t", _A), ("_idx.d.p", _A), ("_idx.d.lo", _A), ("_idx.d.hi", _A)], name="idx_date"),
    IndexModel([("t", _A), ("_idx.r.p", _A), ("_idx.r.ti", _A), ("_idx.r.tt", _A)], name="idx_reference"),
    # Only references that are not a plain `Type/id` have a `u` (documents.py): few documents.
    IndexModel(
        [("t", _A), ("_idx.r.p", _A), ("_idx.r.u", _A)],
        name="idx_reference_url",
        partialFilterExpression={"_idx.r.u": {"$exists": True}},
    ),
    IndexModel(
        [("t", _A), ("_idx.n.p", _A), ("_idx.n.v", _A)],
        name="idx_number",
        partialFilterExpression=_present("n"),
    ),
    IndexModel(
        [("t", _A), ("_idx.q.p", _A), ("_idx.q.v", _A)],
        name="idx_quantity",
        partialFilterExpression=_present("q"),
    ),
    IndexModel(
        [("t", _A), ("_idx.u.p", _A), ("_idx.u.u", _A)], name="idx_uri", partialFilterExpression=_present("u")
    ),
    # Composite combinations (Observation code + value, ...): led by the parameter and the first part's
    # code, which is a token in every official R4 composite but one.
    IndexModel(
        [("t", _A), ("_idx.c.p", _A), ("_idx.c.k0.c", _A)],
        name="idx_composite",
        partialFilterExpression=_present("c"),
    ),
)

HISTORY_INDEXES: Final = (
    IndexModel([("hs", _D)], name="sequence"),  # system history, newest first
    IndexModel([("t", _A), ("hs", _D)], name="type_sequence"),
    IndexModel([("t", _A), ("id", _A), ("hs", _D)], name="instance_sequence"),
    IndexModel([("lu", _D)], name="last_updated"),  # `_history?_since=…`: the recent versions only
)


def ensure_indexes(db: Database[Document]) -> None:
    db["resources"].create_indexes(list(RESOURCE_INDEXES))
    db["history"].create_indexes(list(HISTORY_INDEXES))
    # A lock whose holder died is swept by the TTL monitor (about once a minute) if no waiter took it over.
    db["locks"].create_index([("exp", _A)], name="lease", expireAfterSeconds=0)
    db["summaries"].create_index([("k", _A), ("g", _A)], name="kind_group")
