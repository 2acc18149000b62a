"""The history store: every run, plan and drill, written in transactions so a killed process never half-writes.

SQLite (the default, one file, the standard library's sqlite3) or PostgreSQL (psycopg 3, the `postgres` extra), through
plain DB-API. The schema migrates itself on open. A store that cannot be opened or written raises HistoryUnavailable,
which the CLI reports in one line.
"""

from __future__ import annotations

import getpass
import json
import socket
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from itertools import chain, islice, repeat
from pathlib import Path
from typing import Any

from ..errors import BadInput
from ..render.json_report import BATCH, FindingLines
from . import clock, dburl
from .chain import GENESIS, canonical, record_hash
from .database import Cursor, Database, Unreachable
from .location import history_url
from .migrations import SchemaTooNew, migrate
from .schema import DRILL_COLUMNS, DRILL_RECORD_COLUMNS, FINDING_COLUMNS, insert, select


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


INSERT_FINDING = insert("findings", FINDING_COLUMNS)


def finding_columns(findings: list[dict[str, Any]], bodies: list[str]) -> tuple[list[Any], ...]:
    """A batch of findings as the findings table's columns after run_id and seq, each a list in the findings' order
    (`bodies` their JSON texts): cheaper to make, and to hand to another process, than a tuple per finding."""
    resources = [f["resource"] for f in findings]
    return ([f["id"] for f in findings], [f["check_id"] for f in findings], [f["status"] for f in findings],
            [f["severity"] for f in findings], [f["promise"] for f in findings], [r["type"] for r in resources],
            [r["id"] for r in resources], [r.get("region", "") for r in resources],
            [r.get("account", "") for r in resources], bodies)


def finding_rows(run_id: str, start: int, columns: tuple[list[Any], ...]) -> Iterator[tuple[Any, ...]]:
    """The parameter tuples of a batch's rows, in the columns' order, the first at position `start` of the run;
    ValueError when the columns differ in length."""
    count = len(columns[-1])
    return zip(repeat(run_id, count), range(start, start + count), *columns, strict=True)


def _insert_findings(cursor: Cursor, postgres: bool, rows: Iterable[tuple[Any, ...]]) -> None:
    if not postgres:
        cursor.executemany(INSERT_FINDING, rows)
        return
    # PostgreSQL: COPY in the run's transaction, several times faster than INSERTs even pipelined.
    with cursor.raw.copy(f"COPY findings ({', '.join(FINDING_COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def run_row(run_id: str, report: dict[str, Any], kind: str, who: str | None) -> dict[str, Any]:
    """The runs table's row for a report document: its findings are stored beside it, one row each."""
    run = report["run"]
    head = {key: value for key, value in report.items() if key != "findings"}
    row = {
        "id": run_id, "kind": kind, "started_at": run["started_at"], "finished_at": run["finished_at"],
        "source": run["source"], "pack": run["pack"], "pack_sha256": run.get("pack_sha256", ""),
        "estate_sha256": run.get("estate_sha256", ""), "tool_version": report.get("tool", {}).get("version", ""),
        "who": who or who_ran(), "summary_json": json.dumps(report.get("summary", {})),
        "report_json": json.dumps(head, ensure_ascii=False), "finding_count": len(report.get("findings", [])),
    }
    group = run.get("run_group")
    if isinstance(group, dict):  # a shard of a sharded run: found again by `dr-audit report --run-group`
        row |= {"run_group": group["id"], "shard_index": group["shard"], "shard_count": group["shards"]}
    return row


class HistoryStore:
    def __init__(self, url: str, database: Database):
        self.url = url
        self.database = database

    @property
    def reachable_from_other_processes(self) -> bool:
        """False for an in-memory SQLite store (`sqlite://`), which only its own connection can see."""
        target = self.database.target
        return target.backend != "sqlite" or target.path is not None

    @property
    def location(self) -> str:
        """The store as a user would name it, password hidden."""
        return dburl.hidden(self.url)

    # -- opening ------------------------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | None = None, url: str | None = None, *, migrate_to: int | None = None) -> HistoryStore:
        full_url = history_url(path, url)
        shown = dburl.hidden(full_url)
        try:
            target = dburl.parse(full_url)
            database = Database.connect(target)
        except Unreachable as exc:
            raise HistoryUnavailable(f"history store {shown} cannot be opened: {exc}") from None
        except BadInput as exc:  # not a usable URL, or PostgreSQL support is not installed: the message says which
            raise HistoryUnavailable(str(exc)) from None
        store = cls(full_url, database)
        try:
            if migrate_to is None:
                migrate(database)
            else:
                migrate(database, migrate_to)
        except SchemaTooNew as exc:
            store.close()
            raise HistoryUnavailable(f"history store {shown}: {exc}") from None
        except database.errors as exc:
            store.close()
            raise HistoryUnavailable(f"history store {shown} cannot be opened: {database.describe(exc)}") from None
        return store

    def close(self) -> None:
        # Nothing is left to lose on a failed close: every write committed or rolled back when its transaction ended.
        with suppress(*self.database.errors):
            self.database.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()

    @contextmanager
    def _write(self, what: str) -> Iterator[Cursor]:
        try:
            with self.database.transaction(write=True) as cursor:
                yield cursor
        except self.database.errors as exc:
            raise HistoryUnavailable(f"history store {self.location}: cannot {what}: "
                                     f"{self.database.describe(exc)}") from None

    @contextmanager
    def _read(self, what: str) -> Iterator[Cursor]:
        try:
            with self.database.transaction(write=False) as cursor:
                yield cursor
        except self.database.errors as exc:
            raise HistoryUnavailable(f"history store {self.location}: cannot {what}: "
                                     f"{self.database.describe(exc)}") from None

    # -- runs ---------------------------------------------------------------------------------------------------

    def record_run(self, report: dict[str, Any], *, kind: str = "run", who: str | None = None,
                   run_id: str | None = None, finding_lines: FindingLines | None = None) -> str:
        """Store a report document (DESIGN.md §6) and its findings in one transaction; returns the run id.

        Each finding is stored as its line of the JSON report: `finding_lines`, when given for the report's own
        findings, spares encoding them again."""
        run_id = run_id or new_id("run")
        with self._write("record the run") as cursor:
            self._insert_run(cursor, run_id, report, kind, who, finding_lines)
        return run_id

    def _insert_run(self, cursor: Cursor, run_id: str, report: dict[str, Any], kind: str, who: str | None,
                    finding_lines: FindingLines | None = None) -> None:
        findings = report.get("findings", [])
        if finding_lines is None or finding_lines.findings is not findings:
            finding_lines = FindingLines(findings)
        row = run_row(run_id, report, kind, who)
        # Only the columns given: a store opened at an older schema version (before run groups) takes its runs too.
        cursor.execute(insert("runs", tuple(row)), tuple(row.values()))
        texts = finding_lines.texts(last=True)
        # A batch of rows at a time, made as the driver consumes them: never all of a large run's at once.
        rows = chain.from_iterable(
            finding_rows(run_id, start, finding_columns(findings[start:start + BATCH], list(islice(texts, BATCH))))
            for start in range(0, len(findings), BATCH))
        _insert_findings(cursor, self._postgres, rows)

    def record_batches(self, row: dict[str, Any], batches: Iterable[tuple[int, tuple[list[Any], ...]]]) -> None:
        """Store a run's row (`run_row`) and its findings, batch by batch as they come (each its first position and
        its `finding_columns`), in one transaction: when `batches` raises, nothing of the run is stored."""
        run_id, given = row["id"], iter(batches)
        # The write lock is taken with the first batch, not before: the outputs rendered before the JSON report
        # streams (HTML, SARIF) do not keep other writers of the store waiting.
        first = next(given, None)
        stored = 0
        with self._write("record the run") as cursor:
            cursor.execute(insert("runs", tuple(row)), tuple(row.values()))
            for start, columns in chain([first] if first is not None else [], given):
                if start != stored:
                    raise ValueError(f"findings from position {start} handed on after {stored}")
                _insert_findings(cursor, self._postgres, finding_rows(run_id, start, columns))
                stored += len(columns[-1])
            if stored != row["finding_count"]:
                raise ValueError(f"{stored} of the run's {row['finding_count']} findings handed on")

    @property
    def _postgres(self) -> bool:
        return self.database.dialect == "postgresql"

    def list_runs(self, limit: int = 50, kind: str | None = None) -> list[dict[str, Any]]:
        query = select("runs", ("id", "kind", "started_at", "finished_at", "source", "pack", "who", "tool_version",
                                "summary_json", "finding_count", "estate_sha256"))
        params: tuple[Any, ...] = ()
        if kind is not None:
            query += " WHERE kind = ?"
            params = (kind,)
        query += " ORDER BY started_at DESC, id DESC LIMIT ?"
        with self._read("list runs") as cursor:
            rows = cursor.execute(query, (*params, limit)).dicts()
        return [{**{k: v for k, v in row.items() if k != "summary_json"}, "summary": json.loads(row["summary_json"])}
                for row in rows]

    def get_run(self, run_id: str) -> dict[str, Any]:
        """The stored report document, findings in their original order; BadInput when there is no such run."""
        with self._read("read the run") as cursor:
            row = cursor.execute(select("runs", ("id", "kind", "who", "report_json")) + " WHERE id = ?",
                                 (run_id,)).first()
            if row is None:
                raise BadInput(f"no run {run_id!r} in the history store {self.location} (see `dr-audit history list`)")
            bodies = cursor.execute("SELECT body_json FROM findings WHERE run_id = ? ORDER BY seq", (run_id,)).rows()
        report: dict[str, Any] = json.loads(row["report_json"])
        loads = json.loads
        report["findings"] = [loads(body) for (body,) in bodies]
        report["history"] = {"run_id": row["id"], "kind": row["kind"], "who": row["who"]}
        return report

    def group_runs(self, run_group: str) -> list[dict[str, Any]]:
        """Every run recorded in `run_group`, oldest first: id, shard index and count, start and finish."""
        query = (select("runs", ("id", "shard_index", "shard_count", "started_at", "finished_at", "who"))
                 + " WHERE run_group = ? ORDER BY started_at, id")
        with self._read("list the run group") as cursor:
            return cursor.execute(query, (run_group,)).dicts()

    def has_run(self, run_id: str) -> bool:
        with self._read("read the run") as cursor:
            return cursor.execute("SELECT id FROM runs WHERE id = ?", (run_id,)).scalar() is not None

    def failure_trend(self, limit: int = 30, pack: str | None = None) -> list[dict[str, Any]]:
        """Failures per promise for the newest `limit` runs (oldest first), for the report's trend chart."""
        recent = "SELECT id, started_at FROM runs WHERE kind = 'run'"
        params: tuple[Any, ...] = ()
        if pack is not None:
            recent += " AND pack = ?"
            params = (pack,)
        with self._read("read the failure trend") as cursor:
            runs = cursor.execute(recent + " ORDER BY started_at DESC, id DESC LIMIT ?", (*params, limit)).rows()
            ids = [run_id for run_id, _ in runs]
            counts = cursor.execute(
                f"SELECT run_id, promise, COUNT(*) FROM findings WHERE run_id IN ({', '.join('?' * len(ids))}) "
                "AND status = 'FAIL' GROUP BY run_id, promise", ids).rows() if ids else []
        by_run: dict[str, dict[str, int]] = {run_id: {} for run_id in ids}
        for run_id, promise, count in counts:
            by_run[run_id][promise] = int(count)
        return [{"run_id": run_id, "started_at": started_at, "failures": by_run[run_id]}
                for run_id, started_at in reversed(runs)]

    # -- drills -------------------------------------------------------------------------------------------------

    def open_drill(self, *, kind: str, name: str, opened_by: str, run_id: str | None, body: dict[str, Any],
                   drill_id: str | None = None, report: dict[str, Any] | None = None) -> dict[str, Any]:
        """Create a drill and its first record ("opened") in one transaction, with `report` stored as run `run_id`
        in the same one: never a run without its drill, nor a drill without its run."""
        drill_id = drill_id or new_id("drill")
        now = utc_text()
        with self._write("open the drill") as cursor:
            if report is not None and run_id is not None:
                self._insert_run(cursor, run_id, report, "drill", None)
            cursor.execute(insert("drills", DRILL_COLUMNS), (drill_id, kind, name, now, opened_by, run_id, 0, GENESIS))
            record = self._append(cursor, drill_id, "opened", body, None, now)
        return record

    def append_record(self, drill_id: str, kind: str, body: dict[str, Any],
                      signature: tuple[str, str] | None = None) -> dict[str, Any]:
        """One record; `signature` (base64 signature, public key PEM) is copied to its columns for older readers."""
        with self._write("write the drill record") as cursor:
            return self._append(cursor, drill_id, kind, body, signature, utc_text())

    def append_records(self, drill_id: str, items: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        """Several records in one transaction: all of them or none."""
        with self._write("write the drill records") as cursor:
            return [self._append(cursor, drill_id, kind, body, None, utc_text()) for kind, body in items]

    def _append(self, cursor: Cursor, drill_id: str, kind: str, body: dict[str, Any],
                signature: tuple[str, str] | None, created_at: str) -> dict[str, Any]:
        # SQLite's writer already holds the database's write lock (BEGIN IMMEDIATE); PostgreSQL locks the drill's row.
        lock = " FOR UPDATE" if self.database.dialect == "postgresql" else ""
        head = cursor.execute(f"SELECT record_count, head_hash FROM drills WHERE id = ?{lock}", (drill_id,)).first()
        if head is None:
            raise BadInput(f"no drill {drill_id!r} in the history store {self.location} (see `dr-audit drill list`; "
                           "a drill started with --demo is in the demo store: add --demo)")
        seq = head["record_count"] + 1
        content = {"drill_id": drill_id, "seq": seq, "kind": kind, "created_at": created_at, "body": body}
        content_json = canonical(content)
        digest = record_hash(head["head_hash"], content_json)
        row = {"drill_id": drill_id, "seq": seq, "kind": kind, "created_at": created_at,
               "content_json": content_json, "prev_hash": head["head_hash"], "hash": digest,
               "signature": signature[0] if signature else None, "public_key": signature[1] if signature else None}
        cursor.execute(insert("drill_records", DRILL_RECORD_COLUMNS), tuple(row[c] for c in DRILL_RECORD_COLUMNS))
        cursor.execute("UPDATE drills SET record_count = ?, head_hash = ? WHERE id = ?", (seq, digest, drill_id))
        return row

    def drill(self, drill_id: str) -> dict[str, Any]:
        with self._read("read the drill") as cursor:
            row = cursor.execute(select("drills", DRILL_COLUMNS) + " WHERE id = ?", (drill_id,)).first()
        if row is None:
            raise BadInput(f"no drill {drill_id!r} in the history store {self.location} (see `dr-audit drill list`; "
                           "a drill started with --demo is in the demo store: add --demo)")
        return row

    def drills(self) -> list[dict[str, Any]]:
        with self._read("list drills") as cursor:
            return cursor.execute(select("drills", DRILL_COLUMNS) + " ORDER BY opened_at, id").dicts()

    def drill_ids(self) -> list[str]:
        """Every drill id the store knows of, from the drills and from their records (a deleted drill row shows)."""
        with self._read("list drills") as cursor:
            ids = {drill_id for (drill_id,) in cursor.execute("SELECT id FROM drills").rows()}
            ids |= {drill_id for (drill_id,) in cursor.execute("SELECT DISTINCT drill_id FROM drill_records").rows()}
        return sorted(ids)

    def records(self, drill_id: str) -> list[dict[str, Any]]:
        """A drill's records in stored order (by position), exactly as stored: verification judges them."""
        with self._read("read the drill records") as cursor:
            return cursor.execute(select("drill_records", DRILL_RECORD_COLUMNS) + " WHERE drill_id = ? ORDER BY seq",
                                  (drill_id,)).dicts()

    def put_blob(self, content: bytes) -> str:
        import hashlib

        digest = hashlib.sha256(content).hexdigest()
        with self._write("store the evidence file") as cursor:
            if cursor.execute("SELECT sha256 FROM evidence_blobs WHERE sha256 = ?", (digest,)).scalar() is None:
                cursor.execute("INSERT INTO evidence_blobs (sha256, size, content) VALUES (?, ?, ?)",
                               (digest, len(content), content))
        return digest

    def blob(self, digest: str) -> bytes | None:
        with self._read("read the evidence file") as cursor:
            value = cursor.execute("SELECT content FROM evidence_blobs WHERE sha256 = ?", (digest,)).scalar()
        return bytes(value) if value is not None else None
