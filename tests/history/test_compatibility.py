"""Stores written by the SQLAlchemy-based releases open, read and keep working with the plain DB-API store, on
SQLite and PostgreSQL, and a new store has exactly the schema those releases made (fixtures/README.md)."""

from __future__ import annotations

import re
import sqlite3
from contextlib import ExitStack, closing
from pathlib import Path

from dr_audit.drill.service import verify_drill
from dr_audit.history import HistoryStore
from dr_audit.history.migrations import LATEST

from .conftest import PLAN, fresh_pg_database, raw_database, report, sql

FIXTURES = Path(__file__).parent / "fixtures"
OLD_RUN, OLD_PLAN, OLD_SHARD = "run-20261101000000-aaaaaa", "run-20261102000000-bbbbbb", "run-20261103000000-cccccc"
OLD_DRILL, OLD_DRILL_RUN = "drill-20261104000000-eeeeee", "run-20261104000000-dddddd"
TABLES = ("dr_audit_schema", "runs", "findings", "drills", "drill_records", "evidence_blobs")


def old_statements(backend: str) -> list[str]:
    return [s.strip() for s in (FIXTURES / f"ddl.{backend}.sql").read_text().split(";") if s.strip()]


def old_rows() -> dict[str, list[tuple[object, ...]]]:
    """Every row of the store the old code wrote, read back from its dump."""
    with closing(sqlite3.connect(":memory:")) as conn:
        conn.executescript((FIXTURES / "store-v4.sqlite.sql").read_text())
        return {table: conn.execute(f"SELECT * FROM {table}").fetchall() for table in TABLES}


def old_store(url: str, tmp_path: Path) -> None:
    """The store as the old code left it: its own DDL and its own rows, byte for byte."""
    if url.startswith("sqlite:///"):
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as conn:
            conn.executescript((FIXTURES / "store-v4.sqlite.sql").read_text())
        return
    with raw_database(url) as conn:
        for statement in old_statements("postgresql"):
            conn.execute(statement)
        for table, rows in old_rows().items():
            for row in rows:
                conn.execute(f"INSERT INTO {table} VALUES ({', '.join(['%s'] * len(row))})", row)


def test_a_store_written_by_the_sqlalchemy_release_reads_and_keeps_working(store_url: str, tmp_path: Path) -> None:
    old_store(store_url, tmp_path)
    with HistoryStore.open(url=store_url) as store:
        listed = store.list_runs()
        assert [(r["id"], r["kind"], r["who"]) for r in listed] == [
            (OLD_DRILL_RUN, "drill", listed[0]["who"]), (OLD_SHARD, "run", "ops@host"), (OLD_PLAN, "plan", "ci@runner"),
            (OLD_RUN, "run", "ops@host")]
        run = store.get_run(OLD_RUN)
        expected = report(6, started="2026-11-01T00:00:00Z")
        expected["findings"][0]["message"] = "数据只增不减 — it's 'quoted'"
        assert run["findings"] == expected["findings"] and run["run"] == expected["run"]
        assert run["history"] == {"run_id": OLD_RUN, "kind": "run", "who": "ops@host"}
        [shard] = store.group_runs("nightly")
        assert (shard["id"], shard["shard_index"], shard["shard_count"]) == (OLD_SHARD, 2, 3)
        assert [t["run_id"] for t in store.failure_trend()] == [OLD_RUN, OLD_SHARD]
        check = verify_drill(store, OLD_DRILL)
        assert check.intact and check.records == 4 and check.signatures == 1, check.problem
        evidence = store.records(OLD_DRILL)[1]
        assert evidence["kind"] == "evidence"
        assert store.blob(evidence["content_json"].split('"sha256":"')[1][:64]) == b"restore log\x00\xff"

        # ...and it keeps working: new runs, records on the old chain, a new drill.
        new_run = store.record_run(report(5, started="2026-11-05T00:00:00Z"))
        assert store.get_run(new_run)["findings"] == report(5, started="2026-11-05T00:00:00Z")["findings"]
        added = store.append_record(OLD_DRILL, "evidence", {"step": "after the upgrade"})
        assert (added["seq"], added["prev_hash"]) == (5, check.head)  # the old chain goes on from its head
        assert store.drill(OLD_DRILL)["head_hash"] == added["hash"]
        opened = store.open_drill(kind="monthly", name="new", opened_by="ops@host", run_id=None, body={"plan": PLAN})
        store.append_records(opened["drill_id"], [("evidence", {"step": "a"}), ("step", {"step": "a"})])
        check = verify_drill(store, opened["drill_id"])
        assert check.intact and check.records == 3, check.problem
    assert sql(store_url, "SELECT COUNT(*), MAX(version) FROM dr_audit_schema") == [(LATEST, LATEST)]  # nothing re-ran


def schema_of(url: str) -> list[tuple[object, ...]]:
    """The database's tables, columns (type, nullability, default), keys and indexes, as the backend reports them."""
    if url.startswith("sqlite:///"):
        # SQLite keeps each table's and index's CREATE statement as written: compared as text, spacing included.
        return sql(url, "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")
    columns = sql(url, "SELECT table_name, column_name, ordinal_position, data_type, character_maximum_length, "
                       "is_nullable, column_default FROM information_schema.columns "
                       "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position")
    indexes = sql(url, "SELECT tablename, indexname, indexdef FROM pg_catalog.pg_indexes "
                       "WHERE schemaname = current_schema() ORDER BY tablename, indexname")
    return [*columns, *indexes]


def test_a_new_store_has_exactly_the_schema_the_sqlalchemy_release_made(store_url: str, tmp_path: Path) -> None:
    with ExitStack() as stack:
        sqlite = store_url.startswith("sqlite:///")
        old_url = f"sqlite:///{tmp_path / 'old.db'}" if sqlite else stack.enter_context(fresh_pg_database())
        with raw_database(old_url) as conn:
            for statement in old_statements("sqlite" if sqlite else "postgresql"):
                conn.execute(statement)
        HistoryStore.open(url=store_url).close()
        assert schema_of(store_url) == schema_of(old_url)
    assert {row[0] for row in schema_of(store_url)} >= ({"table", "index"} if "sqlite" in store_url else set(TABLES))


def test_a_store_at_the_first_schema_version_of_the_old_release_migrates_to_the_same_schema(
        store_url: str, tmp_path: Path) -> None:
    """Version 1 as the old release made it (runs and findings only), holding a run, walks forward to the schema
    a new store has, keeping the run."""
    statements = old_statements("sqlite" if store_url.startswith("sqlite") else "postgresql")
    version_1 = [s for s in statements if re.match(r"CREATE TABLE (dr_audit_schema|runs|findings)\b", s)]
    with raw_database(store_url) as conn:
        for statement in version_1:
            conn.execute(statement)
    sql(store_url, "INSERT INTO dr_audit_schema (version, applied_at) VALUES (1, '2026-01-01T00:00:00Z')")
    sql(store_url, "INSERT INTO runs VALUES ('run-v1', '2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z', 'live', "
                   "'weimob-2020', 'p', 'e', '0.0.9', 'ops@host', '{}', '{\"run\": {}}', 0)")
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}" if store_url.startswith("sqlite") else None
    with HistoryStore.open(url=store_url) as store:
        assert [(r["id"], r["kind"]) for r in store.list_runs()] == [("run-v1", "run")]
    assert [v for (v,) in sql(store_url, "SELECT version FROM dr_audit_schema ORDER BY version")] == [1, 2, 3, 4]
    if fresh is not None:
        HistoryStore.open(url=fresh).close()
        assert schema_of(store_url) == schema_of(fresh)
