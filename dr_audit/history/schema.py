"""The history store's tables as the newest schema version has them (the migrations build up to exactly this).

Times are stored as ISO 8601 UTC text so SQLite and PostgreSQL hold the same bytes and drill records hash the same
everywhere. Finding and record bodies are JSON text: the columns beside them exist for querying, the body is what
is returned.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, LargeBinary, MetaData, String, Table, Text

metadata = MetaData()

runs = Table(
    "runs", metadata,
    Column("id", String(40), primary_key=True),
    Column("kind", String(10), nullable=False, server_default="run"),  # run / plan / drill (added in v3)
    Column("started_at", String(32), nullable=False),
    Column("finished_at", String(32), nullable=False),
    Column("source", String(16), nullable=False),
    Column("pack", String(200), nullable=False),
    Column("pack_sha256", String(64), nullable=False),
    Column("estate_sha256", String(64), nullable=False),
    Column("tool_version", String(40), nullable=False),
    Column("who", String(300), nullable=False),
    Column("summary_json", Text, nullable=False),
    Column("report_json", Text, nullable=False),  # the report document without its findings
    Column("finding_count", Integer, nullable=False),
    # A shard of a sharded run (added in v4): its group, and which shard of how many; NULL for any other run.
    Column("run_group", String(100)),
    Column("shard_index", Integer),
    Column("shard_count", Integer),
)
Index("ix_runs_run_group", runs.c.run_group)

findings = Table(
    "findings", metadata,
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
Index("ix_findings_trend", findings.c.run_id, findings.c.status, findings.c.promise)

drills = Table(
    "drills", metadata,
    Column("id", String(40), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("name", Text, nullable=False),
    Column("opened_at", String(32), nullable=False),
    Column("opened_by", String(300), nullable=False),
    Column("run_id", String(40)),  # the evaluation made when the drill opened: the findings open at the time
    # The chain's head as last written: a deletion of trailing records shows as a mismatch here.
    Column("record_count", Integer, nullable=False),
    Column("head_hash", String(64), nullable=False),
)

drill_records = Table(
    "drill_records", metadata,
    Column("drill_id", String(40), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("kind", String(20), nullable=False),  # opened / evidence / step / signoff
    Column("created_at", String(32), nullable=False),
    Column("content_json", Text, nullable=False),  # canonical JSON; the hash covers it and prev_hash
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("signature", Text),  # base64 Ed25519 signature over the hash, when signed with a key
    Column("public_key", Text),  # PEM of the signer's public key
)

evidence_blobs = Table(
    "evidence_blobs", metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", Integer, nullable=False),
    Column("content", LargeBinary, nullable=False),
)
