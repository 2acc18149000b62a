"""History-store fixtures: every store test runs on SQLite and on PostgreSQL (DR_AUDIT_TEST_PG_URL).

Without DR_AUDIT_TEST_PG_URL the PostgreSQL cases skip on a developer machine, and FAIL under CI=true: CI must
prove both backends (.ci/run starts a throwaway cluster and sets the URL).
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Any

import pytest

PG_ENV = "DR_AUDIT_TEST_PG_URL"

# The smallest drill plan a drill's opening record can hold (verification reads its approvers).
PLAN = {"kind": "monthly", "tiers": [{"name": "t", "rto_minutes": 60, "rpo_minutes": 60}],
        "steps": [{"name": "a", "type": "manual"}], "approvers": [{"name": "Li Wei", "role": "DR owner"}]}


def pg_admin_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{PG_ENV} is not set under CI: the PostgreSQL history-store tests must run (see .ci/run)")
        pytest.skip(f"{PG_ENV} not set: PostgreSQL history-store tests skipped outside CI")
    return url


def libpq_url(url: str) -> str:
    """A test URL as psycopg takes it (the store also accepts the `postgresql+psycopg://` spelling CI exports)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    with fresh_pg_database() as url:
        yield url


@contextmanager
def fresh_pg_database() -> Iterator[str]:
    import psycopg

    admin_url = libpq_url(pg_admin_url())
    name = f"dr_audit_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    scheme, _, rest = admin_url.partition("://")
    location, _, query = rest.partition("?")
    server = location.rpartition("/")[0] if "/" in location else location
    try:
        yield f"{scheme}://{server}/{name}" + (f"?{query}" if query else "")
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def raw_database(url: str) -> Iterator[Any]:
    """A DB-API connection of its own to a test store (not the store's): to look at or tamper with what it wrote.
    Commits when the block ends."""
    if url.startswith("sqlite:///"):
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30)) as conn, conn:
            yield conn
        return
    import psycopg

    with psycopg.connect(libpq_url(url)) as conn:
        yield conn


def sql(url: str, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Run one statement, written with `?` parameters, on the test store and return its rows (committed)."""
    postgres = not url.startswith("sqlite:///")
    with raw_database(url) as conn:
        cursor = conn.cursor()
        cursor.execute(statement.replace("?", "%s") if postgres else statement, params)
        return [tuple(row) for row in cursor.fetchall()] if cursor.description else []


def columns(url: str, table: str) -> set[str]:
    if url.startswith("sqlite:///"):
        return {row[1] for row in sql(url, f"PRAGMA table_info({table})")}
    return {row[0] for row in sql(url, "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                                       "AND table_schema = current_schema()", (table,))}


def tables(url: str) -> set[str]:
    if url.startswith("sqlite:///"):
        return {row[0] for row in sql(url, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    return {row[0] for row in sql(url, "SELECT tablename FROM pg_catalog.pg_tables "
                                       "WHERE schemaname = current_schema()")}


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.db'}"
    return str(request.getfixturevalue("pg_url"))


def report(n_findings: int, *, started: str = "2026-11-01T12:00:00Z", pack: str = "weimob-2020",
           fail_every: int = 3) -> dict[str, Any]:
    """A report document (DESIGN.md §6) with `n_findings` findings over two promises."""
    findings = []
    for i in range(n_findings):
        findings.append({
            "id": f"{i:020x}", "check_id": "cbs_snapshot_fresh" if i % 2 else "cos_versioning_enabled",
            "status": "FAIL" if i % fail_every == 0 else "PASS", "severity": "high",
            "promise": "W2.3" if i % 2 else "W2.4",
            "resource": {"type": "cbs.disk", "id": f"disk-{i:06d}", "region": "ap-shanghai", "account": "100000000001"},
            "message": "newest snapshot is 30 h old (RPO 26 h)" if i % fail_every == 0 else "",
            "remediation": "", "evidence": {"age_hours": 30, "i": i},
        })
    failed = sum(f["status"] == "FAIL" for f in findings)
    summary = {"PASS": len(findings) - failed, "FAIL": failed, "ERROR": 0, "WAIVED": 0, "MANUAL": 0}
    return {"schema_version": 1, "tool": {"name": "dr-audit", "version": "0.1.0"},
            "run": {"source": "snapshot", "pack": pack, "pack_sha256": "p" * 64, "started_at": started,
                    "finished_at": started, "accounts": ["100000000001"], "regions": ["ap-shanghai"],
                    "estate_sha256": "e" * 64},
            "summary": summary, "findings": findings, "checks": []}
