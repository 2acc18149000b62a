"""A small versioned migration runner for the history store.

Why not Alembic: the store has a handful of tables, must migrate itself silently on first use from any install
(no alembic.ini, no script directory to ship), and must behave the same on SQLite and PostgreSQL. A list of
numbered steps, each applied in its own transaction together with the version bump, does that in one page.
Each step is the DDL of its version, exactly as earlier releases (built on SQLAlchemy) ran it, so a store made by
any release walks forward step by step and holds the same tables whichever release made it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .database import Cursor, Database

VERSION_TABLE = "dr_audit_schema"
MIGRATION_LOCK = 0x64725F6175646974  # "dr_audit": the advisory lock that serialises migrations on PostgreSQL
BINARY = {"sqlite": "BLOB", "postgresql": "BYTEA"}  # the one type the two backends spell differently


def _table(name: str, columns: list[str], key: str) -> str:
    """CREATE TABLE spelled as earlier releases spelled it, byte for byte (SQLite keeps the text in its schema)."""
    lines = "".join(f"\t{column}, \n" for column in columns)
    return f"CREATE TABLE {name} (\n{lines}\tPRIMARY KEY ({key})\n)"


_V1_RUNS_AND_FINDINGS = [
    _table("runs", ["id VARCHAR(40) NOT NULL", "started_at VARCHAR(32) NOT NULL", "finished_at VARCHAR(32) NOT NULL",
                    "source VARCHAR(16) NOT NULL", "pack VARCHAR(200) NOT NULL", "pack_sha256 VARCHAR(64) NOT NULL",
                    "estate_sha256 VARCHAR(64) NOT NULL", "tool_version VARCHAR(40) NOT NULL",
                    "who VARCHAR(300) NOT NULL", "summary_json TEXT NOT NULL",
                    "report_json TEXT NOT NULL",  # the report document without its findings
                    "finding_count INTEGER NOT NULL"], "id"),
    _table("findings", ["run_id VARCHAR(40) NOT NULL", "seq INTEGER NOT NULL", "finding_id VARCHAR(64) NOT NULL",
                        "check_id VARCHAR(200) NOT NULL", "status VARCHAR(10) NOT NULL",
                        "severity VARCHAR(10) NOT NULL", "promise VARCHAR(40) NOT NULL",
                        "resource_type VARCHAR(100) NOT NULL", "resource_id TEXT NOT NULL",
                        "region VARCHAR(100) NOT NULL", "account VARCHAR(200) NOT NULL",
                        "body_json TEXT NOT NULL"], "run_id, seq"),
]

_V2_DRILLS = [
    _table("drills", ["id VARCHAR(40) NOT NULL", "kind VARCHAR(20) NOT NULL", "name TEXT NOT NULL",
                      "opened_at VARCHAR(32) NOT NULL", "opened_by VARCHAR(300) NOT NULL",
                      "run_id VARCHAR(40)",  # the evaluation made when the drill opened
                      # The chain's head as last written: a deletion of trailing records shows as a mismatch here.
                      "record_count INTEGER NOT NULL", "head_hash VARCHAR(64) NOT NULL"], "id"),
    _table("drill_records", ["drill_id VARCHAR(40) NOT NULL", "seq INTEGER NOT NULL",
                             "kind VARCHAR(20) NOT NULL",  # opened / evidence / step / signoff
                             "created_at VARCHAR(32) NOT NULL",
                             "content_json TEXT NOT NULL",  # canonical JSON; the hash covers it and prev_hash
                             "prev_hash VARCHAR(64) NOT NULL", "hash VARCHAR(64) NOT NULL",
                             "signature TEXT",  # base64 Ed25519 signature, when signed with a key
                             "public_key TEXT"], "drill_id, seq"),  # PEM of the signer's public key
    _table("evidence_blobs", ["sha256 VARCHAR(64) NOT NULL", "size INTEGER NOT NULL", "content {binary} NOT NULL"],
           "sha256"),
]

# Plans and drill-opening evaluations are recorded too; the trend chart reads failures per promise per run.
_V3_RUN_KIND_AND_TREND_INDEX = [
    "ALTER TABLE runs ADD COLUMN kind VARCHAR(10) DEFAULT 'run' NOT NULL",
    "CREATE INDEX ix_findings_trend ON findings (run_id, status, promise)",
]

# Sharded runs (`run --shard I/N --run-group ID`) are found again by their group for `dr-audit report`.
_V4_RUN_GROUPS = [
    "ALTER TABLE runs ADD COLUMN run_group VARCHAR(100)",
    "ALTER TABLE runs ADD COLUMN shard_index INTEGER",
    "ALTER TABLE runs ADD COLUMN shard_count INTEGER",
    "CREATE INDEX ix_runs_run_group ON runs (run_group)",
]

MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (1, "runs and their findings", _V1_RUNS_AND_FINDINGS),
    (2, "drills, their hash-chained records and evidence files", _V2_DRILLS),
    (3, "run kind column and the per-promise trend index", _V3_RUN_KIND_AND_TREND_INDEX),
    (4, "run group, shard index and shard count of sharded runs", _V4_RUN_GROUPS),
]
LATEST = MIGRATIONS[-1][0]


class SchemaTooNew(Exception):
    def __init__(self, found: int):
        super().__init__(f"history store schema version {found} is newer than this dr-audit understands "
                         f"(up to {LATEST}); upgrade dr-audit")
        self.found = found


def has_table(cursor: Cursor, dialect: str, name: str) -> bool:
    if dialect == "postgresql":
        query = "SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = ?"
    else:
        query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    return cursor.execute(query, (name,)).scalar() is not None


def current_version(cursor: Cursor, dialect: str) -> int:
    if not has_table(cursor, dialect, VERSION_TABLE):
        return 0
    return int(cursor.execute(f"SELECT MAX(version) FROM {VERSION_TABLE}").scalar() or 0)


def migrate(db: Database, target: int = LATEST) -> list[int]:
    """Apply every migration above the database's version up to `target`; returns the versions applied.

    Each step commits on its own, so a failure leaves a consistent version.
    """
    with db.transaction(write=False) as cursor:  # the usual case, a store already up to date, takes no write lock
        found = current_version(cursor, db.dialect)
    if found > LATEST:
        raise SchemaTooNew(found)
    applied: list[int] = []
    for version, _description, statements in MIGRATIONS:
        if version > target or version <= found:
            continue
        with db.transaction(write=True) as cursor:
            if db.dialect == "postgresql":
                # Shards started together open a new store together: one migrates, the others wait, then find it
                # done (the lock is released when this step's transaction ends).
                cursor.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
            if not has_table(cursor, db.dialect, VERSION_TABLE):
                cursor.execute(f"CREATE TABLE {VERSION_TABLE} (version INTEGER NOT NULL, applied_at VARCHAR(32))")
            now = current_version(cursor, db.dialect)
            if now > LATEST:
                raise SchemaTooNew(now)
            if now >= version:
                continue
            for statement in statements:
                cursor.execute(statement.format(binary=BINARY[db.dialect]))
            cursor.execute(f"INSERT INTO {VERSION_TABLE} (version, applied_at) VALUES (?, ?)", (version, _now()))
            applied.append(version)
    return applied


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
