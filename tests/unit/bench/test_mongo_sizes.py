"""bench.mongo_sizes measures the documents the Mongo backend writes (a smoke run on a few children)."""

from __future__ import annotations

from bench.mongo_sizes import measure, report


def test_measures_every_type_and_scales_to_the_targets() -> None:
    measured = measure(20, seed=7)
    types = measured["types"]
    assert {"Patient", "Immunization", "Organization", "Location"} <= set(types)
    immunization = types["Immunization"]
    # The current document holds the body plus its index rows: bigger than the body, and than a version.
    assert immunization["document"] > immunization["history"] > immunization["body"] > 0
    assert immunization["index_bytes"]["idx_token"] > 0
    assert immunization["index_bytes"]["idx_number"] == 0  # partial index: no number rows, no key
    assert measured["shared"] == ["Location", "Organization"]  # no patient compartment
    assert all(ratio >= 1.0 for ratio in measured["zlib_ratio"].values())
    text = report(measured, 1000, 20_000, facilities=10)
    assert "| Immunization | 20,000 |" in text and "| Location | 10 |" in text
