"""The history store: every run, plan and drill, written in transactions so a killed process never half-writes.

SQLite (the default, one file) or any SQLAlchemy URL (PostgreSQL through psycopg 3). The schema migrates itself
on open. A store that cannot be opened or written raises HistoryUnavailable, which the CLI reports in one line.
"""

from __future__ import annotations

import getpass
import json
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, func, insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from ..errors import BadInput
from . import clock, schema
from .chain import GENESIS, canonical, record_hash
from .location import history_url
from .migrations import SchemaTooNew, migrate

# Findings go to the database in batches: one statement per batch keeps 100,000 findings to a few seconds.
BATCH = 5_000


class HistoryUnavailable(BadInput):
    """The history store cannot be opened, read or written; the message is one line without credentials."""


def who_ran() -> str:
    """user@host of whoever runs dr-audit: never a credential."""
    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers
        user = "unknown"
    return f"{user}@{socket.gethostname() or 'unknown'}"


def utc_text(moment: datetime | None = None) -> str:
    moment = (moment or clock.utc_now()).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if moment.microsecond else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def new_id(prefix: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    return f"{prefix}-{stamp}-{uuid.uuid4().hex[:6]}"


def _safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable URL>"


def _one_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return " ".join(str(orig).split())[:300] or type(orig).__name__


def _sqlite_transactions(engine: Engine) -> None:
    """Make pysqlite's transactions real: BEGIN IMMEDIATE at the start of each one, DDL included.

    By default Python's sqlite3 module starts transactions lazily and commits DDL on its own, so a migration
    could half-apply and two writers could deadlock upgrading read locks; taking the write lock up front fixes both.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer; commits are atomic
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable against a killed process, which is what we promise
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


FINDING_COLUMNS = ("run_id", "seq", "finding_id", "check_id", "status", "severity", "promise", "resource_type",
                   "resource_id", "region", "account", "body_json")


def _copy_findings(conn: Connection, run_id: str, findings: list[dict[str, Any]], dumps: Any) -> None:
    """PostgreSQL: COPY the findings in the run's transaction, several times faster than batched INSERTs."""
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(f"COPY findings ({', '.join(FINDING_COLUMNS)}) FROM STDIN") as copy:
        for seq, f in enumerate(findings):
            res = f["resource"]
            copy.write_row((run_id, seq, f["id"], f["check_id"], f["status"], f["severity"], f["promise"],
                            res["type"], res["id"], res.get("region", ""), res.get("account", ""), dumps(f)))


class HistoryStore:
    def __init__(self, url: str, engine: Engine):
        self.url = url
        self.engine = engine

    @property
    def location(self) -> str:
        """The store as a user would name it, password hidden."""
        return _safe_url(self.url)

    # -- opening ------------------------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | None = None, url: str | None = None, *, migrate_to: int | None = None) -> HistoryStore:
        full_url = history_url(path, url)
        shown = _safe_url(full_url)
        try:
            parsed = make_url(full_url)
            if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in ("", "psycopg2"):
                parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3 is the driver we depend on
            connect_args: dict[str, Any] = {"timeout": 30} if parsed.get_backend_name() == "sqlite" else {}
            engine = create_engine(parsed, connect_args=connect_args, pool_pre_ping=False)
            if parsed.get_backend_name() == "sqlite":
                _sqlite_transactions(engine)
            store = cls(full_url, engine)
            with engine.connect() as conn:
                if migrate_to is None:
                    migrate(conn)
                else:
                    migrate(conn, migrate_to)
        except SchemaTooNew as exc:
            raise HistoryUnavailable(f"history store {shown}: {exc}") from None
        except (ArgumentError, NoSuchModuleError, ImportError) as exc:  # ImportError: the driver is not installed
            raise HistoryUnavailable(f"history store {shown}: not a usable database URL ({_one_line(exc)})") from None
        except (SQLAlchemyError, OSError) as exc:
            raise HistoryUnavailable(f"history store {shown} cannot be opened: {_one_line(exc)}") from None
        return store

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()

    @contextmanager
    def _write(self, what: str) -> Iterator[Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except BadInput:
            raise
        except SQLAlchemyError as exc:
            raise HistoryUnavailable(f"history store {self.location}: cannot {what}: {_one_line(exc)}") from None

    @contextmanager
    def _read(self, what: str) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except BadInput:
            raise
        except SQLAlchemyError as exc:
            raise HistoryUnavailable(f"history store {self.location}: cannot {what}: {_one_line(exc)}") from None

    # -- runs ---------------------------------------------------------------------------------------------------

    def record_run(self, report: dict[str, Any], *, kind: str = "run", who: str | None = None,
                   run_id: str | None = None) -> str:
        """Store a report document (DESIGN.md §6) and its findings in one transaction; returns the run id."""
        run_id = run_id or new_id("run")
        with self._write("record the run") as conn:
            self._insert_run(conn, run_id, report, kind, who)
        return run_id

    def _insert_run(self, conn: Connection, run_id: str, report: dict[str, Any], kind: str, who: str | None) -> None:
        run = report["run"]
        findings = report.get("findings", [])
        head = {key: value for key, value in report.items() if key != "findings"}
        row = {
            "id": run_id, "kind": kind, "started_at": run["started_at"], "finished_at": run["finished_at"],
            "source": run["source"], "pack": run["pack"], "pack_sha256": run.get("pack_sha256", ""),
            "estate_sha256": run.get("estate_sha256", ""), "tool_version": report.get("tool", {}).get("version", ""),
            "who": who or who_ran(), "summary_json": json.dumps(report.get("summary", {})),
            "report_json": json.dumps(head, ensure_ascii=False), "finding_count": len(findings),
        }
        group = run.get("run_group")
        if isinstance(group, dict):  # a shard of a sharded run: found again by `dr-audit report --run-group`
            row |= {"run_group": group["id"], "shard_index": group["shard"], "shard_count": group["shards"]}
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        conn.execute(insert(schema.runs), row)
        if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
            _copy_findings(conn, run_id, findings, dumps)
            return
        for start in range(0, len(findings), BATCH):
            rows = []
            for seq, f in enumerate(findings[start:start + BATCH], start):
                res = f["resource"]
                rows.append({
                    "run_id": run_id, "seq": seq, "finding_id": f["id"], "check_id": f["check_id"],
                    "status": f["status"], "severity": f["severity"], "promise": f["promise"],
                    "resource_type": res["type"], "resource_id": res["id"], "region": res.get("region", ""),
                    "account": res.get("account", ""), "body_json": dumps(f),
                })
            conn.execute(insert(schema.findings), rows)

    def list_runs(self, limit: int = 50, kind: str | None = None) -> list[dict[str, Any]]:
        r = schema.runs
        query = select(r.c.id, r.c.kind, r.c.started_at, r.c.finished_at, r.c.source, r.c.pack, r.c.who,
                       r.c.tool_version, r.c.summary_json, r.c.finding_count, r.c.estate_sha256)
        if kind is not None:
            query = query.where(r.c.kind == kind)
        query = query.order_by(r.c.started_at.desc(), r.c.id.desc()).limit(limit)
        with self._read("list runs") as conn:
            rows = conn.execute(query).mappings().all()
        return [{**{k: v for k, v in row.items() if k != "summary_json"}, "summary": json.loads(row["summary_json"])}
                for row in rows]

    def get_run(self, run_id: str) -> dict[str, Any]:
        """The stored report document, findings in their original order; BadInput when there is no such run."""
        with self._read("read the run") as conn:
            row = conn.execute(select(schema.runs).where(schema.runs.c.id == run_id)).mappings().first()
            if row is None:
                raise BadInput(f"no run {run_id!r} in the history store {self.location} (see `dr-audit history list`)")
            bodies = conn.execute(select(schema.findings.c.body_json).where(schema.findings.c.run_id == run_id)
                                  .order_by(schema.findings.c.seq)).scalars().all()
        report: dict[str, Any] = json.loads(row["report_json"])
        report["findings"] = [json.loads(body) for body in bodies]
        report["history"] = {"run_id": row["id"], "kind": row["kind"], "who": row["who"]}
        return report

    def group_runs(self, run_group: str) -> list[dict[str, Any]]:
        """Every run recorded in `run_group`, oldest first: id, shard index and count, start and finish."""
        r = schema.runs
        query = (select(r.c.id, r.c.shard_index, r.c.shard_count, r.c.started_at, r.c.finished_at, r.c.who)
                 .where(r.c.run_group == run_group).order_by(r.c.started_at, r.c.id))
        with self._read("list the run group") as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def has_run(self, run_id: str) -> bool:
        with self._read("read the run") as conn:
            return conn.execute(select(schema.runs.c.id).where(schema.runs.c.id == run_id)).first() is not None

    def failure_trend(self, limit: int = 30, pack: str | None = None) -> list[dict[str, Any]]:
        """Failures per promise for the newest `limit` runs (oldest first), for the report's trend chart."""
        r, f = schema.runs, schema.findings
        recent = select(r.c.id, r.c.started_at).where(r.c.kind == "run")
        if pack is not None:
            recent = recent.where(r.c.pack == pack)
        with self._read("read the failure trend") as conn:
            runs = conn.execute(recent.order_by(r.c.started_at.desc(), r.c.id.desc()).limit(limit)).all()
            ids = [run.id for run in runs]
            counts = conn.execute(
                select(f.c.run_id, f.c.promise, func.count()).where(f.c.run_id.in_(ids), f.c.status == "FAIL")
                .group_by(f.c.run_id, f.c.promise)).all() if ids else []
        by_run: dict[str, dict[str, int]] = {run_id: {} for run_id in ids}
        for run_id, promise, count in counts:
            by_run[run_id][promise] = int(count)
        return [{"run_id": run.id, "started_at": run.started_at, "failures": by_run[run.id]} for run in reversed(runs)]

    # -- drills -------------------------------------------------------------------------------------------------

    def open_drill(self, *, kind: str, name: str, opened_by: str, run_id: str | None, body: dict[str, Any],
                   drill_id: str | None = None, report: dict[str, Any] | None = None) -> dict[str, Any]:
        """Create a drill and its first record ("opened") in one transaction, with `report` stored as run `run_id`
        in the same one: never a run without its drill, nor a drill without its run."""
        drill_id = drill_id or new_id("drill")
        now = utc_text()
        with self._write("open the drill") as conn:
            if report is not None and run_id is not None:
                self._insert_run(conn, run_id, report, "drill", None)
            conn.execute(insert(schema.drills), {
                "id": drill_id, "kind": kind, "name": name, "opened_at": now, "opened_by": opened_by,
                "run_id": run_id, "record_count": 0, "head_hash": GENESIS})
            record = self._append(conn, drill_id, "opened", body, None, now)
        return record

    def append_record(self, drill_id: str, kind: str, body: dict[str, Any],
                      signature: tuple[str, str] | None = None) -> dict[str, Any]:
        """One record; `signature` (base64 signature, public key PEM) is copied to its columns for older readers."""
        with self._write("write the drill record") as conn:
            return self._append(conn, drill_id, kind, body, signature, utc_text())

    def append_records(self, drill_id: str, items: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        """Several records in one transaction: all of them or none."""
        with self._write("write the drill records") as conn:
            return [self._append(conn, drill_id, kind, body, None, utc_text()) for kind, body in items]

    def _append(self, conn: Connection, drill_id: str, kind: str, body: dict[str, Any],
                signature: tuple[str, str] | None, created_at: str) -> dict[str, Any]:
        d = schema.drills
        head = conn.execute(select(d.c.record_count, d.c.head_hash).where(d.c.id == drill_id)
                            .with_for_update()).first()
        if head is None:
            raise BadInput(f"no drill {drill_id!r} in the history store {self.location} (see `dr-audit drill list`; "
                           "a drill started with --demo is in the demo store: add --demo)")
        seq = head.record_count + 1
        content = {"drill_id": drill_id, "seq": seq, "kind": kind, "created_at": created_at, "body": body}
        content_json = canonical(content)
        digest = record_hash(head.head_hash, content_json)
        row = {"drill_id": drill_id, "seq": seq, "kind": kind, "created_at": created_at,
               "content_json": content_json, "prev_hash": head.head_hash, "hash": digest,
               "signature": signature[0] if signature else None, "public_key": signature[1] if signature else None}
        conn.execute(insert(schema.drill_records), row)
        conn.execute(update(d).where(d.c.id == drill_id).values(record_count=seq, head_hash=digest))
        return row

    def drill(self, drill_id: str) -> dict[str, Any]:
        with self._read("read the drill") as conn:
            row = conn.execute(select(schema.drills).where(schema.drills.c.id == drill_id)).mappings().first()
        if row is None:
            raise BadInput(f"no drill {drill_id!r} in the history store {self.location} (see `dr-audit drill list`; "
                           "a drill started with --demo is in the demo store: add --demo)")
        return dict(row)

    def drills(self) -> list[dict[str, Any]]:
        with self._read("list drills") as conn:
            rows = conn.execute(select(schema.drills).order_by(schema.drills.c.opened_at, schema.drills.c.id))
            return [dict(row) for row in rows.mappings()]

    def drill_ids(self) -> list[str]:
        """Every drill id the store knows of, from the drills and from their records (a deleted drill row shows)."""
        with self._read("list drills") as conn:
            ids = set(conn.execute(select(schema.drills.c.id)).scalars())
            ids |= set(conn.execute(select(schema.drill_records.c.drill_id).distinct()).scalars())
        return sorted(ids)

    def records(self, drill_id: str) -> list[dict[str, Any]]:
        """A drill's records in stored order (by position), exactly as stored: verification judges them."""
        r = schema.drill_records
        with self._read("read the drill records") as conn:
            rows = conn.execute(select(r).where(r.c.drill_id == drill_id).order_by(r.c.seq))
            return [dict(row) for row in rows.mappings()]

    def put_blob(self, content: bytes) -> str:
        import hashlib

        digest = hashlib.sha256(content).hexdigest()
        b = schema.evidence_blobs
        with self._write("store the evidence file") as conn:
            if conn.execute(select(b.c.sha256).where(b.c.sha256 == digest)).first() is None:
                conn.execute(insert(b), {"sha256": digest, "size": len(content), "content": content})
        return digest

    def blob(self, digest: str) -> bytes | None:
        b = schema.evidence_blobs
        with self._read("read the evidence file") as conn:
            value = conn.execute(select(b.c.content).where(b.c.sha256 == digest)).scalar()
        return bytes(value) if value is not None else None
