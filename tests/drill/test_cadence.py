"""The drill_* checks judging real drill records: history store -> Estate.drills -> `dr-audit run`."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dr_audit.estate import Estate

from .conftest import PACK, build_world, cli
from .test_drill_flow import record_and_sign, start

DRILL_CHECKS = ("drill_monthly_cadence", "drill_quarterly_cadence", "drill_objectives_met")


def audit(capsys: pytest.CaptureFixture[str], tmp_path: Path, snapshot: Path, *history: object) -> tuple[int, dict]:
    out = tmp_path / "report.json"
    checks = [arg for check_id in DRILL_CHECKS for arg in ("--check", check_id)]
    code, _, err = cli(capsys, "run", "--from-snapshot", snapshot, "--pack", PACK, *checks, "--format", "json",
                       "--output", out, *history)
    report = json.loads(out.read_text())
    return code, {f["check_id"]: f for f in report["findings"]} | {"stderr": err}


def later_snapshot(world_snapshot: Path, days: int) -> Path:
    """The same estate audited `days` later."""
    estate = Estate.load(world_snapshot)
    later = estate.model_copy(update={"collected_at": datetime.now(UTC) + timedelta(days=days)})
    path = world_snapshot.with_name(f"estate+{days}d.json")
    later.save(path)
    return path


@pytest.fixture
def signed_drill(tmp_path: Path, s3_endpoint: str, s3_credentials: None,
                 capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path, str]:
    world = build_world(tmp_path, s3_endpoint, objects=3)
    db = tmp_path / "history.db"
    drill_id = start(capsys, tmp_path, world, db)
    record_and_sign(capsys, tmp_path, drill_id, db)
    return world.snapshot, db, drill_id


def test_a_signed_drill_inside_the_window_passes(signed_drill: tuple[Path, Path, str],
                                                 tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snapshot, db, drill_id = signed_drill
    _, findings = audit(capsys, tmp_path, snapshot, "--history", db)
    assert findings["drill_monthly_cadence"]["status"] == "PASS"
    assert drill_id in findings["drill_monthly_cadence"]["message"]
    assert findings["drill_objectives_met"]["status"] == "PASS"
    assert findings["drill_quarterly_cadence"]["status"] == "FAIL"  # a monthly drill is not a quarterly one


def test_an_overdue_drill_fails(signed_drill: tuple[Path, Path, str], tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    snapshot, db, drill_id = signed_drill
    code, findings = audit(capsys, tmp_path, later_snapshot(snapshot, 40), "--history", db)
    assert code == 1
    assert findings["drill_monthly_cadence"]["status"] == "FAIL"
    assert "no signed-off monthly drill in the last 31 days" in findings["drill_monthly_cadence"]["message"]


def test_a_drill_that_missed_its_rto_fails_the_objectives(tmp_path: Path, s3_endpoint: str, s3_credentials: None,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    world = build_world(tmp_path, s3_endpoint, objects=3)
    db = tmp_path / "history.db"
    drill_id = start(capsys, tmp_path, world, db)
    record_and_sign(capsys, tmp_path, drill_id, db, restore_minutes=300)  # target 240
    _, findings = audit(capsys, tmp_path, world.snapshot, "--history", db)
    assert findings["drill_monthly_cadence"]["status"] == "PASS"
    objectives = findings["drill_objectives_met"]
    assert objectives["status"] == "FAIL" and "RTO" in objectives["message"] and "exceeds the target 240" in \
        objectives["message"]


def test_a_drill_that_missed_its_rpo_fails_the_objectives(tmp_path: Path, s3_endpoint: str, s3_credentials: None,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    world = build_world(tmp_path, s3_endpoint, objects=3, snapshot_age=timedelta(hours=40))  # RPO target 26 h
    db = tmp_path / "history.db"
    drill_id = start(capsys, tmp_path, world, db)
    record_and_sign(capsys, tmp_path, drill_id, db)
    _, findings = audit(capsys, tmp_path, world.snapshot, "--history", db)
    assert findings["drill_objectives_met"]["status"] == "FAIL"
    assert "exceeds the target 1560 min" in findings["drill_objectives_met"]["message"]
    assert findings["drill_objectives_met"]["evidence"]["rpo_measured_minutes"] == pytest.approx(2400, abs=2)


def test_an_unsigned_drill_does_not_count(tmp_path: Path, s3_endpoint: str, s3_credentials: None,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    world = build_world(tmp_path, s3_endpoint, objects=3)
    db = tmp_path / "history.db"
    start(capsys, tmp_path, world, db)
    _, findings = audit(capsys, tmp_path, world.snapshot, "--history", db)
    assert findings["drill_monthly_cadence"]["status"] == "FAIL"
    assert "await sign-off" in findings["drill_monthly_cadence"]["message"]


def test_a_tampered_drill_is_not_evidence(signed_drill: tuple[Path, Path, str], tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    snapshot, db, drill_id = signed_drill
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE drill_records SET content_json = replace(content_json, '\"pass\"', '\"PASS\"') "
                     "WHERE drill_id=? AND seq=3", (drill_id,))
    _, findings = audit(capsys, tmp_path, snapshot, "--history", db)
    for check_id in DRILL_CHECKS:
        assert findings[check_id]["status"] == "ERROR", check_id
    assert "fail verification" in findings["drill_monthly_cadence"]["message"]


def test_an_unreadable_history_store_is_error_and_exit_2_after_the_report(
        tmp_path: Path, s3_endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    world = build_world(tmp_path, s3_endpoint, objects=1)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    code, findings = audit(capsys, tmp_path, world.snapshot, "--history", blocker / "h.db")
    assert code == 2
    for check_id in DRILL_CHECKS:  # the report was written, and it says the drills could not be read
        assert findings[check_id]["status"] == "ERROR"
        assert "history store" in findings[check_id]["message"]
    [line] = findings["stderr"].strip().splitlines()[-1:]
    assert line.startswith("dr-audit: error: history store") and "cannot be opened" in line


def test_runs_are_recorded_and_diffable_by_id(tmp_path: Path, s3_endpoint: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    world = build_world(tmp_path, s3_endpoint, objects=1)
    db = tmp_path / "history.db"
    audit(capsys, tmp_path, world.snapshot, "--history", db)
    audit(capsys, tmp_path, world.snapshot, "--history", db)
    code, out, _ = cli(capsys, "history", "list", "--format", "json", "--history", db)
    runs = json.loads(out)
    assert len(runs) == 2 and all(r["kind"] == "run" and r["source"] == "snapshot" for r in runs)
    from dr_audit.history.cli import load_report_or_run

    old = load_report_or_run(runs[1]["id"], db, None)
    assert old["findings"] and old["run"]["source"] == "snapshot"


def test_diff_accepts_stored_run_ids_and_files(tmp_path: Path, s3_endpoint: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    world = build_world(tmp_path, s3_endpoint, objects=1)
    db = tmp_path / "history.db"
    audit(capsys, tmp_path, world.snapshot, "--history", db)
    _, out, _ = cli(capsys, "history", "list", "--format", "json", "--history", db)
    [run] = json.loads(out)
    code, out, err = cli(capsys, "diff", run["id"], tmp_path / "report.json", "--format", "json", "--history", db)
    assert code in (0, 1, 3), err
    assert set(json.loads(out)) >= {"regressed", "new", "persisting", "resolved"}
    code, _, err = cli(capsys, "diff", "run-nope", tmp_path / "report.json", "--history", db)
    assert code == 2 and "neither a report file nor a run" in err


def test_a_signed_quarterly_drill_satisfies_both_cadences(tmp_path: Path, s3_endpoint: str, s3_credentials: None,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    from .conftest import write_plan

    world = build_world(tmp_path, s3_endpoint, objects=2)
    db = tmp_path / "history.db"
    code, out, err = cli(capsys, "drill", "start", write_plan(tmp_path, "quarterly"), "--from-snapshot",
                         world.snapshot, "--cos-endpoint-url", world.endpoint, "--pack", PACK, "--history", db)
    assert code == 0, err
    record_and_sign(capsys, tmp_path, out.strip().splitlines()[-1], db)
    _, findings = audit(capsys, tmp_path, world.snapshot, "--history", db)
    assert findings["drill_quarterly_cadence"]["status"] == "PASS"
    assert findings["drill_monthly_cadence"]["status"] == "PASS"
