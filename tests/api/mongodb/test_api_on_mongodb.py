"""The API suites that exercise storage, re-run unchanged on MongoDB (mongomock unless
FHIR_TEST_MONGODB_URL is set): CRUD, conditional interactions, history, and every search feature
(chains, _has, includes and _revinclude, compartments, composites, sorting, cursors, _summary, system
search), batch Bundles and Bulk Data $export (keyset-paged searches), with reads and writes in the
threadpool as `serve` runs them for a mongodb:// URL. Transactions: test_transactions_on_mongodb.py."""

# ruff: noqa: F403
from starlette.testclient import TestClient

from tests.api.test_batch import *
from tests.api.test_bulk_export import *
from tests.api.test_crud import *
from tests.api.test_history import *
from tests.api.test_review_fixes import *
from tests.api.test_search_basics import *
from tests.api.test_search_chains import *
from tests.api.test_search_compartment import *
from tests.api.test_search_composite import *
from tests.api.test_search_cursor import *
from tests.api.test_search_includes import *
from tests.api.test_search_limits import *
from tests.api.test_search_of_type import *
from tests.api.test_search_results import *
from tests.api.test_search_sort import *
from tests.api.test_search_summary import *
from tests.api.test_search_system import *


def test_these_suites_run_on_the_mongodb_backend(client: TestClient) -> None:
    store = client.get("/health").json()["store"]
    assert store["backend"] == "mongodb"
    assert store["server"] in ("mongomock", "standalone", "sharded cluster") or store["server"].startswith(
        "replica set"
    )
