"""Dates of drill steps: inside the drill's window and a plausible year, or exit 2 with the store untouched; a stored
record that cannot be read makes only its own drill ERROR, never an exit 4 of any command."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dr_audit.errors import BadInput
from dr_audit.history.chain import canonical, record_hash

from .conftest import CLOCK, PACK, build_world, cli, write_plan

DRILL_CHECKS = ("drill_monthly_cadence", "drill_quarterly_cadence", "drill_objectives_met")


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def start(capsys: pytest.CaptureFixture[str], tmp_path: Path, snapshot: Path, db: Path) -> str:
    code, out, err = cli(capsys, "drill", "start", write_plan(tmp_path), "--from-snapshot", snapshot, "--pack", PACK,
                         "--history", db)
    assert code == 0, err
    return out.strip().splitlines()[-1]


def record_count(db: Path, drill_id: str) -> int:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        (count,) = conn.execute("SELECT COUNT(*) FROM drill_records WHERE drill_id=?", (drill_id,)).fetchone()
    return int(count)


def audit(capsys: pytest.CaptureFixture[str], tmp_path: Path, snapshot: Path, db: Path) -> tuple[int, dict]:
    out = tmp_path / "report.json"
    checks = [arg for check_id in DRILL_CHECKS for arg in ("--check", check_id)]
    code, _, err = cli(capsys, "run", "--from-snapshot", snapshot, "--pack", PACK, *checks, "--format", "json",
                       "--output", out, "--history", db)
    assert code in (0, 1, 3), err  # 3: no FAIL, but some results are ERROR
    return code, {f["check_id"]: f for f in json.loads(out.read_text())["findings"]}


def test_implausible_early_and_future_times_are_exit_2_and_the_store_stays_usable(
        tmp_path: Path, s3_endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    world = build_world(tmp_path, s3_endpoint, objects=1)
    db = tmp_path / "history.db"
    drill_id = start(capsys, tmp_path, world.snapshot, db)
    opened = CLOCK.now()
    CLOCK.advance(90)
    before = record_count(db, drill_id)
    cases = [
        ("0226-11-22T02:00:00Z", iso(opened + timedelta(minutes=30)), "outside the plausible years"),
        (iso(opened + timedelta(minutes=10)), "9999-12-31T23:59:59Z", "outside the plausible years"),
        (iso(opened - timedelta(hours=2)), iso(opened + timedelta(minutes=30)), "before drill"),
        (iso(opened + timedelta(minutes=10)), iso(CLOCK.now() + timedelta(days=1)), "is in the future"),
        (iso(opened + timedelta(minutes=10)).rstrip("Z"), iso(opened + timedelta(minutes=30)), "has no time zone"),
    ]
    for started, finished, message in cases:
        code, _, err = cli(capsys, "drill", "record", drill_id, "--step", "restore-disk", "--started", started,
                           "--finished", finished, "--outcome", "pass", "--history", db)
        assert code == 2, (started, finished, err)
        assert message in err and len(err.strip().splitlines()) == 1
    assert record_count(db, drill_id) == before  # nothing was written

    # The store still works for every command, and the drill can still be completed and signed.
    for step in ("restore-database", "restore-disk"):
        code, _, err = cli(capsys, "drill", "record", drill_id, "--step", step, "--started",
                           iso(opened + timedelta(minutes=1)), "--finished", iso(opened + timedelta(minutes=60)),
                           "--outcome", "pass", "--history", db)
        assert code == 0, err
    for name, role in (("Li Wei", "DR owner"), ("Zhang Min", "Head of operations")):
        code, out, err = cli(capsys, "drill", "sign", drill_id, "--by", name, "--role", role, "--history", db)
        assert code == 0, err
    assert "the drill counts as failed" in out  # its automated steps failed without a COS endpoint
    assert cli(capsys, "drill", "list", "--history", db)[0] == 0
    code, markdown, err = cli(capsys, "drill", "report", drill_id, "--format", "markdown", "--history", db)
    assert code == 0, err
    assert "**FAILED**: signed off" in markdown and "recovery-points, replica-checksums" in markdown
    _, findings = audit(capsys, tmp_path, world.snapshot, db)
    assert findings["drill_monthly_cadence"]["status"] == "PASS"
    objectives = findings["drill_objectives_met"]
    assert objectives["status"] == "FAIL" and "signed off with failed steps" in objectives["message"]


def test_rto_is_measured_from_steps_inside_the_window(tmp_path: Path, s3_endpoint: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    world = build_world(tmp_path, s3_endpoint, objects=1)
    db = tmp_path / "history.db"
    drill_id = start(capsys, tmp_path, world.snapshot, db)
    opened = CLOCK.now().replace(microsecond=0)
    CLOCK.advance(40)
    for step in ("restore-database", "restore-disk"):
        code, _, err = cli(capsys, "drill", "record", drill_id, "--step", step, "--started", iso(opened),
                           "--finished", iso(opened + timedelta(minutes=30)), "--outcome", "pass", "--history", db)
        assert code == 0, err
    code, out, _ = cli(capsys, "drill", "list", "--format", "json", "--history", db)
    [row] = json.loads(out)
    assert row["rto_measured_minutes"] == pytest.approx(30, abs=1)  # never from before the drill opened


def append_chained(conn: sqlite3.Connection, drill_id: str, kind: str, body: dict, created_at: str) -> None:
    """Append a record the way the store does, hash and head included: only its content is bad."""
    count, head = conn.execute("SELECT record_count, head_hash FROM drills WHERE id=?", (drill_id,)).fetchone()
    content = canonical({"drill_id": drill_id, "seq": count + 1, "kind": kind, "created_at": created_at,
                         "body": body})
    digest = record_hash(head, content)
    conn.execute("INSERT INTO drill_records VALUES (?,?,?,?,?,?,?,NULL,NULL)",
                 (drill_id, count + 1, kind, created_at, content, head, digest))
    conn.execute("UPDATE drills SET record_count=?, head_hash=? WHERE id=?", (count + 1, digest, drill_id))


def test_a_record_that_cannot_be_read_is_error_for_its_drill_only(tmp_path: Path, s3_endpoint: str,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    world = build_world(tmp_path, s3_endpoint, objects=1)
    db = tmp_path / "history.db"
    good = start(capsys, tmp_path, world.snapshot, db)
    opened = CLOCK.now().replace(microsecond=0)
    CLOCK.advance(30)
    for step in ("restore-database", "restore-disk"):
        assert cli(capsys, "drill", "record", good, "--step", step, "--started", iso(opened), "--finished",
                   iso(opened + timedelta(minutes=20)), "--outcome", "pass", "--history", db)[0] == 0
    for name, role in (("Li Wei", "DR owner"), ("Zhang Min", "Head of operations")):
        assert cli(capsys, "drill", "sign", good, "--by", name, "--role", role, "--history", db)[0] == 0
    year_226 = start(capsys, tmp_path, world.snapshot, db)
    garbled = start(capsys, tmp_path, world.snapshot, db)
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        # What an older dr-audit wrote for --started 0226-11-22T02:00:00Z, in a chain that verifies.
        append_chained(conn, year_226, "step", {"step": "restore-disk", "started": "226-11-22T02:00:00Z",
                                                "finished": "226-11-22T03:00:00Z", "outcome": "pass",
                                                "automated": False, "by": "ops", "notes": "", "evidence": []},
                       iso(CLOCK.now()))
        conn.execute("UPDATE drill_records SET content_json='{not json' WHERE drill_id=? AND seq=2", (garbled,))

    code, out, err = cli(capsys, "drill", "list", "--format", "json", "--history", db)
    assert code == 0, err
    rows = {row["id"]: row for row in json.loads(out)}
    assert "cannot be read" in rows[year_226]["problem"] and rows[year_226]["intact"]
    assert not rows[garbled]["intact"] and "not valid JSON" in rows[garbled]["integrity_problem"]
    assert rows[good]["signed_off_at"] and rows[good]["intact"]
    assert cli(capsys, "drill", "list", "--history", db)[0] == 0

    code, html, err = cli(capsys, "drill", "report", good, "--format", "html", "--history", db)
    assert code == 0, err
    for bad in (year_226, garbled):
        code, _, err = cli(capsys, "drill", "report", bad, "--format", "markdown", "--history", db)
        assert code == 2 and bad in err and len(err.strip().splitlines()) == 1

    code, findings = audit(capsys, tmp_path, world.snapshot, db)
    assert code == 3
    assert findings["drill_monthly_cadence"]["status"] == "PASS"  # the readable drill still proves the cadence
    objectives = findings["drill_objectives_met"]
    assert objectives["status"] == "ERROR"  # an unreadable drill may be the latest one
    assert year_226 in objectives["message"] or garbled in objectives["message"]

    code, _, err = cli(capsys, "run", "--demo", "--history", db, "--format", "json", "--output", tmp_path / "d.json")
    assert code in (0, 1, 3), err
    code, out, _ = cli(capsys, "drill", "verify", "--history", db)
    assert code == 1 and f"{good}: intact" in out and f"{garbled}: TAMPERED" in out


OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@settings(max_examples=60, deadline=None)
@given(moment=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=OFFSETS))
def test_a_typed_time_is_accepted_exactly_when_it_is_aware_and_in_a_plausible_year(moment: datetime) -> None:
    from dr_audit.drill.times import EARLIEST, LATEST, parse_stamp, parse_ts, stamp

    utc = moment.astimezone(UTC)
    if EARLIEST <= utc < LATEST:
        parsed = parse_ts(moment.isoformat(), "--started")
        assert parsed == moment and parsed.tzinfo == UTC
        assert parse_stamp(stamp(parsed)) == parsed.replace(microsecond=0)  # what the store keeps reads back
    else:
        with pytest.raises(BadInput, match="plausible years"):
            parse_ts(moment.isoformat(), "--started")
    with pytest.raises(BadInput, match="no time zone"):
        parse_ts(moment.replace(tzinfo=None).isoformat(), "--started")
