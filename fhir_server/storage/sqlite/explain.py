"""The explain switch (DESIGN.md §6, issue 3 item 8): the compiled SQL of a search and SQLite's plan
for it, logged so that a slow query can be diagnosed on a live server.

The bound values are never logged, only their number: they are what the client searched for (names,
identifiers), i.e. personal data."""

from __future__ import annotations

import logging
import sqlite3

from fhir_server.storage.sqlite.criteria import Statement

explain_log = logging.getLogger("fhir_server.explain")


def log_plan(conn: sqlite3.Connection, resource_type: str, statement: str, compiled: Statement) -> None:
    """One line per statement: `sql` as compiled (with `?` placeholders), `plan` as the rows of
    EXPLAIN QUERY PLAN ("id parent detail"), `parameters` the number of bound values."""
    if not explain_log.isEnabledFor(logging.INFO):
        return
    rows = conn.execute(f"EXPLAIN QUERY PLAN {compiled.sql}", compiled.params).fetchall()
    explain_log.info(
        "search explained",
        extra={
            "backend": "sqlite",
            "resource_type": resource_type,
            "statement": statement,
            "sql": compiled.sql,
            "plan": [f"{row[0]} {row[1]} {row[3]}" for row in rows],
            "parameters": len(compiled.params),
        },
    )
