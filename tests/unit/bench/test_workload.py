"""Benchmark plumbing that can be checked without a server: data grouping, reference rewriting, stats."""

from __future__ import annotations

from bench import workload
from bench.server_process import health_urls


def test_population_is_grouped_by_child_and_capped_at_the_requested_count() -> None:
    facilities, groups = workload.population(100, seed=42)
    assert facilities and {r["resourceType"] for r in facilities} == {"Organization", "Location"}
    batches = list(groups)
    assert sum(len(g) for g in batches) == 100
    assert all(g[0]["resourceType"] == "Patient" for g in batches)
    for group in batches:
        patient = f"Patient/{group[0]['id']}"
        assert all(r["patient"]["reference"] == patient for r in group[1:])


def test_references_are_rewritten_everywhere_and_nothing_else_changes() -> None:
    resource = {
        "resourceType": "Immunization",
        "location": {"reference": "Location/loc-0001"},
        "performer": [{"actor": {"reference": "Organization/org-0002"}}],
        "lotNumber": "Location/loc-0001",
    }
    mapping = {"Location/loc-0001": "Location/abc", "Organization/org-0002": "Organization/def"}
    rewritten = workload.rewrite_references(resource, mapping)
    assert rewritten["location"] == {"reference": "Location/abc"}
    assert rewritten["performer"][0]["actor"] == {"reference": "Organization/def"}
    assert rewritten["lotNumber"] == "Location/loc-0001"
    assert resource["location"] == {"reference": "Location/loc-0001"}  # the input is left alone


def test_percentiles_use_the_nearest_rank() -> None:
    stats = workload.percentiles([float(v) for v in range(1, 101)])
    assert (stats["p50"], stats["p95"], stats["p99"], stats["max"]) == (50.0, 95.0, 99.0, 100.0)
    assert workload.percentiles([])["p50"] is None


def test_read_targets_are_seeded_draws_from_what_was_created() -> None:
    created = [f"Patient/{n}" for n in range(10)]
    targets = workload.read_targets(created, 50, seed=1)
    assert len(targets) == 50 and set(targets) <= set(created)
    assert targets == workload.read_targets(created, 50, seed=1)


def test_health_is_probed_at_the_origin_then_at_metadata() -> None:
    assert health_urls("http://127.0.0.1:8080/fhir") == [
        "http://127.0.0.1:8080/health",
        "http://127.0.0.1:8080/fhir/metadata",
    ]
