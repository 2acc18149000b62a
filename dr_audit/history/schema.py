"""The history store's columns as the newest schema version has them (migrations.py builds the tables).

Times are stored as ISO 8601 UTC text so SQLite and PostgreSQL hold the same bytes and drill records hash the same
everywhere. Finding and record bodies are JSON text: the columns beside them exist for querying, the body is what
is returned.
"""

from __future__ import annotations

RUN_COLUMNS = ("id", "kind", "started_at", "finished_at", "source", "pack", "pack_sha256", "estate_sha256",
               "tool_version", "who", "summary_json", "report_json", "finding_count",
               # A shard of a sharded run (v4): its group, and which shard of how many; NULL for any other run.
               "run_group", "shard_index", "shard_count")
FINDING_COLUMNS = ("run_id", "seq", "finding_id", "check_id", "status", "severity", "promise", "resource_type",
                   "resource_id", "region", "account", "body_json")
DRILL_COLUMNS = ("id", "kind", "name", "opened_at", "opened_by", "run_id", "record_count", "head_hash")
DRILL_RECORD_COLUMNS = ("drill_id", "seq", "kind", "created_at", "content_json", "prev_hash", "hash", "signature",
                        "public_key")


def insert(table: str, columns: tuple[str, ...]) -> str:
    """INSERT of every named column, with `?` parameters in the columns' order."""
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def select(table: str, columns: tuple[str, ...]) -> str:
    return f"SELECT {', '.join(columns)} FROM {table}"
