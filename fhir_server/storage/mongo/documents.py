"""The shape of the MongoDB documents (DESIGN.md §5) and their conversion to and from the contract's types.

`resources`: one document per (type, id), `_id` "Type/id", holding the current version with its body
and, in `_idx`, the index IR of `search.extract`: one array per IR kind whose rows name their parameter
(`p`), so that one multikey index per kind, led by `t` and `_idx.<kind>.p`, serves every parameter.
`history`: one document per version, `_id` "Type/id/version", `hs` its place in the global history.
`pc` is the patient compartment (a Patient's own id, else the patient/subject it refers to): the
shard key of docs/scaling.md, so that one child's record lives on one shard.
"""

from __future__ import annotations

from typing import Any, Final

from bson import Binary

from fhir_server.search.index import (
    ComponentValue,
    CompositeValue,
    DateValue,
    IndexValues,
    NumberValue,
    QuantityValue,
    ReferenceValue,
    StringValue,
    TokenValue,
    UriValue,
)
from fhir_server.storage.base import Method, StoredResource
from fhir_server.storage.versioning import from_us

Document = dict[str, Any]

# The `_idx` array of each IR kind, and the fields of its rows.
KINDS: Final[dict[str, str]] = {
    "string": "s",
    "token": "t",
    "date": "d",
    "reference": "r",
    "number": "n",
    "quantity": "q",
    "uri": "u",
    "composite": "c",
}
# Kinds that few resources have: their indexes are partial (only documents with such rows), which saves
# one null key per document of every other type (docs/scaling.md).
PARTIAL_KINDS: Final = frozenset({"number", "quantity", "uri", "composite"})
# Types whose patient reference is 1..1 (so `pc` is that reference's id), by its search parameter: a
# search on it can be sent to the child's shard only (query.compartment_hint).
COMPARTMENT_REFERENCE: Final[dict[str, str]] = {
    "Immunization": "patient",
    "ImmunizationEvaluation": "patient",
    "ImmunizationRecommendation": "patient",
    "AdverseEvent": "subject",
}
# Types that never belong to a patient compartment (`pc` is always null: compartment() finds none of
# _COMPARTMENT_PARAMS on them): a sharded cluster keeps them in one chunk, so their searches are targeted.
SHARED_TYPES: Final = frozenset({"Organization", "Location"})
# Parameters whose Patient reference names the compartment (shard key) of a clinical resource.
_COMPARTMENT_PARAMS: Final = ("patient", "subject", "beneficiary", "individual")


def resource_key(resource_type: str, id: str) -> str:
    return f"{resource_type}/{id}"


def version_key(resource_type: str, id: str, version: int) -> str:
    return f"{resource_type}/{id}/{version}"


def index_document(index: IndexValues) -> Document:
    """The `_idx` sub-document: one row per distinct value, empty kinds left out."""
    rows: dict[str, list[Document]] = {
        "s": [_row(v) for v in index.strings],
        "t": [_row(v) for v in index.tokens],
        "d": [_row(v) for v in index.dates],
        "r": [_row(v) for v in index.references],
        "n": [_row(v) for v in index.numbers],
        "q": [_row(v) for v in index.quantities],
        "u": [_row(v) for v in index.uris],
        "c": [_composite_row(v) for v in index.composites],
    }
    return {kind: _distinct(values) for kind, values in rows.items() if values}


def _row(v: ComponentValue) -> Document:
    """The row of one IR value; its kind is the `_idx` array it goes in (or a composite part's `k`)."""
    if isinstance(v, StringValue):
        return {"p": v.param, "n": v.normalized, "e": v.exact}
    if isinstance(v, TokenValue):
        return {"p": v.param, "s": v.system, "c": v.code, "d": v.display}
    if isinstance(v, DateValue):
        return {"p": v.param, "lo": v.low, "hi": v.high}
    if isinstance(v, ReferenceValue):
        return _reference_row(v)
    if isinstance(v, NumberValue):
        return {"p": v.param, "v": float(v.value), "lo": float(v.low), "hi": float(v.high)}
    if isinstance(v, QuantityValue):
        row: Document = {
            "p": v.param,
            "v": float(v.value),
            "lo": float(v.low),
            "hi": float(v.high),
            "s": v.system,
            "c": v.code,
            "un": v.unit,
        }
        if v.canonical_code is not None:  # UCUM (search.ucum): the canonical value and unit
            row |= {"cv": v.canonical_value, "cc": v.canonical_code}
        return row
    return {"p": v.param, "u": v.uri}


_PART_KINDS: Final[dict[type, str]] = {
    StringValue: "s",
    TokenValue: "t",
    DateValue: "d",
    ReferenceValue: "r",
    NumberValue: "n",
    QuantityValue: "q",
    UriValue: "u",
}


def composite_part(n: int) -> str:
    """The field of a composite row holding its n-th component (query.py renames each part's condition
    onto it, so that one `$elemMatch` ties every part to the same combination)."""
    return f"k{n}"


def _composite_row(v: CompositeValue) -> Document:
    """One combination of a composite: `p` its code, `k` the kinds of its parts (to read them back),
    `k0`, `k1`, ... each part's row without its (empty) parameter code."""
    row: Document = {"p": v.param, "k": "".join(_PART_KINDS[type(part)] for part in v.parts)}
    for n, part in enumerate(v.parts):
        row[composite_part(n)] = {k: value for k, value in _row(part).items() if k != "p"}
    return row


def _reference_row(ref: ReferenceValue) -> Document:
    """Most references are just `Type/id`: their row has no `u`, which would repeat `tt` and `ti` in every
    row and in the url index (filters.reference_condition looks such a url up by type and id)."""
    row: Document = {"p": ref.param, "tt": ref.target_type, "ti": ref.target_id}
    if not is_plain(ref.target_type, ref.target_id, ref.url):
        row["u"] = ref.url
    return row


def is_plain(target_type: str | None, target_id: str | None, url: str) -> bool:
    return (
        target_id is not None
        and bool(target_type)
        and "/" not in (target_type or "")
        and "|" not in url
        and url == f"{target_type}/{target_id}"
    )


def _distinct(rows: list[Document]) -> list[Document]:
    return list({repr(row): row for row in rows}.values())  # repr: composite rows hold sub-documents


def index_values(idx: Document | None) -> IndexValues:
    """The IR back from `_idx` (for matching in memory against writes not yet committed)."""
    idx = idx or {}
    return IndexValues(
        strings=tuple(StringValue(r["p"], r["n"], r["e"]) for r in idx.get("s", ())),
        tokens=tuple(TokenValue(r["p"], r["s"], r["c"], r["d"]) for r in idx.get("t", ())),
        dates=tuple(DateValue(r["p"], r["lo"], r["hi"]) for r in idx.get("d", ())),
        references=tuple(
            ReferenceValue(r["p"], r["tt"], r["ti"], r.get("u") or f"{r['tt']}/{r['ti']}")
            for r in idx.get("r", ())
        ),
        numbers=tuple(NumberValue(r["p"], r["v"], r["lo"], r["hi"]) for r in idx.get("n", ())),
        quantities=tuple(_quantity(r) for r in idx.get("q", ())),
        uris=tuple(UriValue(r["p"], r["u"]) for r in idx.get("u", ())),
        composites=tuple(
            CompositeValue(
                r["p"],
                tuple(_part(kind, {"p": "", **r[composite_part(n)]}) for n, kind in enumerate(r["k"])),
            )
            for r in idx.get("c", ())
        ),
    )


def _part(kind: str, r: Document) -> ComponentValue:
    """One IR value back from its row (a composite's part)."""
    if kind == "s":
        return StringValue(r["p"], r["n"], r["e"])
    if kind == "t":
        return TokenValue(r["p"], r["s"], r["c"], r["d"])
    if kind == "d":
        return DateValue(r["p"], r["lo"], r["hi"])
    if kind == "r":
        return ReferenceValue(r["p"], r["tt"], r["ti"], r.get("u") or f"{r['tt']}/{r['ti']}")
    if kind == "n":
        return NumberValue(r["p"], r["v"], r["lo"], r["hi"])
    if kind == "q":
        return _quantity(r)
    return UriValue(r["p"], r["u"])


def _quantity(r: Document) -> QuantityValue:
    return QuantityValue(r["p"], r["v"], r["lo"], r["hi"], r["s"], r["c"], r["un"], r.get("cv"), r.get("cc"))


def compartment(resource_type: str, id: str, index: IndexValues) -> str | None:
    """The patient whose record this resource belongs to, if any."""
    if resource_type == "Patient":
        return id
    for param in _COMPARTMENT_PARAMS:
        for ref in index.references:
            if ref.param == param and ref.target_type == "Patient" and ref.target_id is not None:
                return ref.target_id
    return None


def to_stored(doc: Document) -> StoredResource:
    """A `resources` or `history` document as the contract's StoredResource."""
    method: Method = doc["m"]
    return StoredResource(
        doc["t"], doc["id"], int(doc["v"]), from_us(int(doc["lu"])), bool(doc["del"]), method, bytes(doc["b"])
    )


def body_binary(body: bytes) -> Binary:
    return Binary(body)


# Fields a search reads to build its StoredResources (the `_idx` stays on the server).
STORED_FIELDS: Final[dict[str, int]] = {"t": 1, "id": 1, "v": 1, "lu": 1, "del": 1, "m": 1, "b": 1, "seq": 1}
