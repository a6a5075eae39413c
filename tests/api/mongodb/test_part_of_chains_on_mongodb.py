"""The partOf rule's single writes, updates, deletes and $validate re-run on MongoDB (mongomock unless
FHIR_TEST_MONGODB_URL is set): the chain and the children are read through that backend's unit of work.
The transaction cases need a replica set (tests/api/mongodb/test_transactions_on_mongodb.py)."""

# ruff: noqa: F401, F811
from starlette.testclient import TestClient

from tests.api.test_part_of_chains import (
    settings,
    test_a_chain_deeper_than_the_bound_is_refused,
    test_a_chain_that_never_reaches_a_province_is_refused,
    test_a_cycle_is_refused,
    test_a_parent_is_not_deleted_while_units_hang_from_it,
    test_a_point_under_its_commune_and_province_is_stored,
    test_a_point_without_parent_is_refused,
    test_a_province_mismatch_is_refused,
    test_an_unknown_parent_is_refused,
    test_an_update_that_breaks_the_chain_is_refused_and_the_stored_version_stays,
    test_changing_a_parent_re_checks_its_children,
    test_organizations_roll_up_to_a_provincial_authority,
    test_validate_mode_delete_names_the_children,
    test_validate_reports_the_rule_against_the_store,
    world,
)


def test_these_run_on_the_mongodb_backend(world: TestClient) -> None:
    assert world.get("/health").json()["store"]["backend"] == "mongodb"
