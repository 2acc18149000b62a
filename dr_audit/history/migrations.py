"""A small versioned migration runner for the history store.

Why not Alembic: the store has a handful of tables, must migrate itself silently on first use from any install
(no alembic.ini, no script directory to ship), and must behave the same on SQLite and PostgreSQL. A list of
numbered functions, each applied in its own transaction together with the version bump, does that in one page.
Each migration describes the schema as it was at its version, so an old database walks forward step by step.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Column, Connection, Index, Integer, LargeBinary, MetaData, String, Table, Text, inspect, text

VERSION_TABLE = "dr_audit_schema"
MIGRATION_LOCK = 0x64725F6175646974  # "dr_audit": the advisory lock that serialises migrations on PostgreSQL


def _v1_runs_and_findings(conn: Connection) -> None:
    meta = MetaData()
    Table(
        "runs", meta,
        Column("id", String(40), primary_key=True),
        Column("started_at", String(32), nullable=False),
        Column("finished_at", String(32), nullable=False),
        Column("source", String(16), nullable=False),
        Column("pack", String(200), nullable=False),
        Column("pack_sha256", String(64), nullable=False),
        Column("estate_sha256", String(64), nullable=False),
        Column("tool_version", String(40), nullable=False),
        Column("who", String(300), nullable=False),
        Column("summary_json", Text, nullable=False),
        Column("report_json", Text, nullable=False),
        Column("finding_count", Integer, nullable=False),
    )
    Table(
        "findings", meta,
        Column("run_id", String(40), primary_key=True),
        Column("seq", Integer, primary_key=True),
        Column("finding_id", String(64), nullable=False),
        Column("check_id", String(200), nullable=False),
        Column("status", String(10), nullable=False),
        Column("severity", String(10), nullable=False),
        Column("promise", String(40), nullable=False),
        Column("resource_type", String(100), nullable=False),
        Column("resource_id", Text, nullable=False),
        Column("region", String(100), nullable=False),
        Column("account", String(200), nullable=False),
        Column("body_json", Text, nullable=False),
    )
    meta.create_all(conn)


def _v2_drills(conn: Connection) -> None:
    meta = MetaData()
    Table(
        "drills", meta,
        Column("id", String(40), primary_key=True),
        Column("kind", String(20), nullable=False),
        Column("name", Text, nullable=False),
        Column("opened_at", String(32), nullable=False),
        Column("opened_by", String(300), nullable=False),
        Column("run_id", String(40)),
        Column("record_count", Integer, nullable=False),
        Column("head_hash", String(64), nullable=False),
    )
    Table(
        "drill_records", meta,
        Column("drill_id", String(40), primary_key=True),
        Column("seq", Integer, primary_key=True),
        Column("kind", String(20), nullable=False),
        Column("created_at", String(32), nullable=False),
        Column("content_json", Text, nullable=False),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False),
        Column("signature", Text),
        Column("public_key", Text),
    )
    Table(
        "evidence_blobs", meta,
        Column("sha256", String(64), primary_key=True),
        Column("size", Integer, nullable=False),
        Column("content", LargeBinary, nullable=False),
    )
    meta.create_all(conn)


def _v3_run_kind_and_trend_index(conn: Connection) -> None:
    # Plans and drill-opening evaluations are recorded too; the trend chart reads failures per promise per run.
    conn.execute(text("ALTER TABLE runs ADD COLUMN kind VARCHAR(10) DEFAULT 'run' NOT NULL"))
    meta = MetaData()
    findings = Table("findings", meta, autoload_with=conn)
    Index("ix_findings_trend", findings.c.run_id, findings.c.status, findings.c.promise).create(conn)


def _v4_run_groups(conn: Connection) -> None:
    # Sharded runs (`run --shard I/N --run-group ID`) are found again by their group for `dr-audit report`.
    conn.execute(text("ALTER TABLE runs ADD COLUMN run_group VARCHAR(100)"))
    conn.execute(text("ALTER TABLE runs ADD COLUMN shard_index INTEGER"))
    conn.execute(text("ALTER TABLE runs ADD COLUMN shard_count INTEGER"))
    meta = MetaData()
    runs = Table("runs", meta, autoload_with=conn)
    Index("ix_runs_run_group", runs.c.run_group).create(conn)


MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "runs and their findings", _v1_runs_and_findings),
    (2, "drills, their hash-chained records and evidence files", _v2_drills),
    (3, "run kind column and the per-promise trend index", _v3_run_kind_and_trend_index),
    (4, "run group, shard index and shard count of sharded runs", _v4_run_groups),
]
LATEST = MIGRATIONS[-1][0]


class SchemaTooNew(Exception):
    def __init__(self, found: int):
        super().__init__(f"history store schema version {found} is newer than this dr-audit understands "
                         f"(up to {LATEST}); upgrade dr-audit")
        self.found = found


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table(VERSION_TABLE):
        return 0
    value = conn.execute(text(f"SELECT MAX(version) FROM {VERSION_TABLE}")).scalar()
    return int(value or 0)


def migrate(conn: Connection, target: int = LATEST) -> list[int]:
    """Apply every migration above the database's version up to `target`; returns the versions applied.

    `conn` must not be inside a transaction: each step commits on its own so a failure leaves a consistent version.
    """
    applied: list[int] = []
    for version, _description, step in MIGRATIONS:
        if version > target:
            break
        with conn.begin():
            if conn.dialect.name == "postgresql":
                # Shards started together open a new store together: one migrates, the others wait, then find it
                # done (the lock is released when this step's transaction ends).
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            if not inspect(conn).has_table(VERSION_TABLE):
                conn.execute(text(f"CREATE TABLE {VERSION_TABLE} (version INTEGER NOT NULL, applied_at VARCHAR(32))"))
            found = current_version(conn)
            if found > LATEST:
                raise SchemaTooNew(found)
            if found >= version:
                continue
            step(conn)
            conn.execute(text(f"INSERT INTO {VERSION_TABLE} (version, applied_at) VALUES (:v, :at)"),
                         {"v": version, "at": _now()})
            applied.append(version)
    return applied


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
