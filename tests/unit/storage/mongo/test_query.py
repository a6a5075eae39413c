"""Pieces of the Mongo search compiler that the contract suite cannot see."""

from __future__ import annotations

from fhir_server.storage.mongo.query import redacted
from fhir_server.storage.mongo.store import _plan_summary


def test_redacted_keeps_operators_fields_and_parameter_codes_only() -> None:
    condition = {
        "$and": [
            {"t": "Patient"},
            {"_idx.s": {"$elemMatch": {"p": "name", "n": {"$gte": "nguyen", "$lt": "nguyen\U0010ffff"}}}},
            {"_id": {"$in": ["Patient/079226000123"]}},
            {"$expr": False},
        ]
    }
    shown = redacted(condition)
    text = str(shown)
    assert "nguyen" not in text and "079226000123" not in text and "Patient/" not in text
    assert shown["$and"][1]["_idx.s"]["$elemMatch"]["p"] == "name"
    assert shown["$and"][3] == {"$expr": False}
    assert redacted([{"$addFields": {"_s0": {"$min": "$_a0_0"}}}]) == [
        {"$addFields": {"_s0": {"$min": "$_a0_0"}}}
    ]


def test_plan_summary_names_stages_and_indexes_without_bounds() -> None:
    plan = {
        "stage": "FETCH",
        "inputStage": {"stage": "IXSCAN", "indexName": "idx_token", "indexBounds": {"_idx.t.c": ['["08"]']}},
    }
    assert _plan_summary(plan) == ["FETCH", "IXSCAN idx_token"]
    sharded = {"stage": "SHARD_MERGE", "shards": [{"shardName": "s0", "winningPlan": plan}]}
    assert _plan_summary(sharded) == ["SHARD_MERGE", "FETCH", "IXSCAN idx_token"]


def test_compartment_hint_targets_the_childs_shard_only_when_it_is_implied() -> None:
    from fhir_server.search.request import Criterion, ReferenceQuery, TokenQuery
    from fhir_server.storage.mongo.query import compartment_hint

    def patient_ref(*values: ReferenceQuery, modifier: str | None = None) -> Criterion:
        return Criterion("patient", "reference", modifier, values)

    by_id = patient_ref(ReferenceQuery("Patient", "c1", None), ReferenceQuery(None, "c2", None))
    assert compartment_hint("Immunization", by_id) == {"pc": {"$in": ["c1", "c2"]}}
    assert compartment_hint("Patient", Criterion("_id", "token", None, (TokenQuery(None, "c1"),))) == {
        "pc": {"$in": ["c1"]}
    }
    # Not implied: another type's reference, a url, :not, :missing, a type without a 1..1 patient.
    assert compartment_hint("Immunization", patient_ref(ReferenceQuery("Group", "g", None))) is None
    assert (
        compartment_hint("Immunization", patient_ref(ReferenceQuery(None, None, "http://x/Patient/1")))
        is None
    )
    assert (
        compartment_hint("Immunization", patient_ref(ReferenceQuery(None, "c1", None), modifier="not"))
        is None
    )
    assert compartment_hint("Immunization", Criterion("patient", "reference", None, (), missing=True)) is None
    assert compartment_hint("Observation", by_id) is None


def test_a_chain_through_the_patient_reference_targets_the_patients_shards() -> None:
    from fhir_server.search.request import ChainQuery, Criterion, SearchRequest, TokenQuery
    from fhir_server.storage.mongo.query import request_filter

    class Found:
        def ids(self, request: SearchRequest) -> list[str]:
            return ["c2", "c1"]

        def referred(self, request: SearchRequest, reference_param: str, target_type: str) -> list[str]:
            raise AssertionError("no _has here")

    identifier = Criterion("identifier", "token", None, (TokenQuery("https://fhir.vn/sid/cccd", "079"),))
    chain = Criterion("patient", "reference", None, (ChainQuery("Patient", identifier),))
    condition = request_filter(SearchRequest("Immunization", (chain,)), Found())
    assert {"pc": {"$in": ["c1", "c2"]}} in condition["$and"][2]["$and"]
    # Not on a type whose patient reference may be absent or repeated.
    other = request_filter(SearchRequest("Observation", (chain,)), Found())
    assert "pc" not in str(other)


def test_a_composite_value_ties_every_part_to_one_combination_row() -> None:
    from fhir_server.search.request import CompositeQuery, Criterion, QuantityQuery, SearchRequest, TokenQuery
    from fhir_server.storage.mongo.query import request_filter

    value = CompositeQuery(
        (TokenQuery("http://loinc.org", "8480-6"), QuantityQuery("gt", 140, 139.5, 140.5, None, None))
    )
    criterion = Criterion("code-value-quantity", "composite", None, (value,))
    condition = request_filter(SearchRequest("Observation", (criterion,)), lookup=None)  # type: ignore[arg-type]
    text = str(condition)
    # One $elemMatch on the combination rows, each part's fields renamed onto its own sub-document.
    assert text.count("$elemMatch") == 1
    assert "'k0.c': '8480-6'" in text and "'k0.s': 'http://loinc.org'" in text
    assert "'k1.v': {'$gt': 140.0}" in text
    assert "'k2': {'$exists': False}" in text  # a row with more parts is another parameter's shape


class _NoLookup:
    def ids(self, request: object) -> list[str]:
        raise AssertionError("no chain here")

    def referred(self, request: object, reference_param: str, target_type: str) -> list[str]:
        raise AssertionError("no _has here")


def test_a_value_set_is_one_in_list_per_system() -> None:
    from fhir_server.definitions.registry import CodeSet
    from fhir_server.search.request import Criterion, SearchRequest, ValueSetQuery
    from fhir_server.storage.mongo.query import request_filter

    communes = CodeSet.of("vs", [("http://c", f"{n:05}") for n in range(3321)] + [("", "x")])

    def compiled(modifier: str | None, codes: CodeSet = communes) -> dict[str, object]:
        criterion = Criterion("commune", "token", modifier, (ValueSetQuery(codes),))
        condition: dict[str, object] = request_filter(SearchRequest("Patient", (criterion,)), _NoLookup())
        return condition

    (_, _, matched) = compiled(None)["$and"]  # type, not deleted, the criterion
    rows = [arm["_idx.t"]["$elemMatch"] for arm in matched["$or"]]
    assert [row["s"] for row in rows] == [None, "http://c"]  # "" = members without a system
    assert rows[0]["c"] == {"$in": ["x"]} and rows[1]["c"]["$in"] == [f"{n:05}" for n in range(3321)]
    assert all(row["p"] == "commune" for row in rows)
    assert compiled("not")["$and"][2] == {"$nor": [matched]}
    empty = CodeSet.of("empty", [])
    assert compiled(None, empty)["$and"][2] == {"$expr": False}
    assert compiled("not", empty) == {"$and": [{"t": "Patient"}, {"del": False}]}  # no condition at all
