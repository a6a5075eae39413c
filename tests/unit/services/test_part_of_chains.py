"""The refusal texts of services/part_of_chains.py that the API tests do not reach."""

from __future__ import annotations

from fhir_server.services.part_of_chains import parent_issues


def test_a_parent_names_its_first_children_and_counts_the_rest() -> None:
    children = [f"c{n}" for n in range(5)]
    [issue] = parent_issues("Location", "p", children, total=12)
    assert "Location/c0, Location/c1, Location/c2, Location/c3, Location/c4 (+7)" in issue.en
    assert issue.vi and "(+7)" in issue.vi and issue.expression == ("Location.partOf",)
    [few] = parent_issues("Organization", "p", ["a"])
    assert "Organization/a:" in few.en and "(+" not in few.en and "(vn-org-3)" in few.en


def test_no_children_or_another_type_is_no_issue() -> None:
    assert parent_issues("Location", "p", []) == []
    assert parent_issues("Patient", "p", ["x"]) == []
