"""A full monthly drill through the command line: start, automated evidence, manual steps, sign-off, report, verify,
and tampering with the database caught by `drill verify`."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .conftest import CLOCK, PACK, World, build_world, cli, write_plan


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def ed25519_key(path: Path) -> Path:
    key = Ed25519PrivateKey.generate()
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return path


def start(capsys: pytest.CaptureFixture[str], tmp_path: Path, world: World, db: Path, *extra: str) -> str:
    code, out, err = cli(capsys, "drill", "start", write_plan(tmp_path), "--from-snapshot", world.snapshot,
                         "--cos-endpoint-url", world.endpoint, "--pack", PACK, "--history", db, *extra)
    assert code == 0, err
    drill_id = out.strip().splitlines()[-1]
    assert drill_id.startswith("drill-") and " " not in drill_id
    return drill_id


def record_and_sign(capsys: pytest.CaptureFixture[str], tmp_path: Path, drill_id: str, db: Path,
                    restore_minutes: int = 50) -> None:
    begin = CLOCK.now().replace(microsecond=0)  # the drill opened moments ago
    CLOCK.advance(restore_minutes + 1)  # the restores take their time
    log = tmp_path / "restore.log"
    log.write_text("restore task 42 finished\n", encoding="utf-8")
    code, _, err = cli(capsys, "drill", "record", drill_id, "--step", "restore-database", "--started", iso(begin),
                       "--finished", iso(begin + timedelta(minutes=restore_minutes)), "--outcome", "pass",
                       "--notes", "restored into cdb-scratch", "--evidence", log, "--history", db)
    assert code == 0, err
    code, _, err = cli(capsys, "drill", "record", drill_id, "--step", "restore-disk", "--started",
                       iso(begin + timedelta(minutes=5)), "--finished", iso(begin + timedelta(minutes=30)),
                       "--outcome", "pass", "--history", db)
    assert code == 0, err
    code, out, err = cli(capsys, "drill", "sign", drill_id, "--by", "Li Wei", "--role", "DR owner", "--history", db)
    assert code == 0, err
    assert "awaiting Zhang Min" in out
    code, out, err = cli(capsys, "drill", "sign", drill_id, "--by", "zhang min", "--role", "Head of operations",
                         "--key", ed25519_key(tmp_path / "zhang.pem"), "--history", db)
    assert code == 0, err
    assert "complete" in out


def test_full_monthly_drill_then_an_edited_record_is_caught(tmp_path: Path, s3_endpoint: str, s3_credentials: None,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    world = build_world(tmp_path, s3_endpoint)
    db = tmp_path / "history.db"
    drill_id = start(capsys, tmp_path, world, db)
    record_and_sign(capsys, tmp_path, drill_id, db)

    code, out, _ = cli(capsys, "drill", "list", "--format", "json", "--history", db)
    [row] = json.loads(out)
    assert row["id"] == drill_id and row["intact"] and row["signed_off_at"]
    assert row["rto_measured_minutes"] == pytest.approx(50, abs=1.5)  # first step (evidence) to the last restore
    assert row["rpo_measured_minutes"] == pytest.approx(180, abs=2)  # the MySQL backup is the oldest point (3 h)

    code, html, _ = cli(capsys, "drill", "report", drill_id, "--format", "html", "--history", db)
    assert code == 0
    for expected in ("cdb-app1", "disk-data-app1", world.replica, "offsite:other", "restore.log", "Ed25519 verified",
                     "Li Wei", "Zhang Min", "intact", "<svg", "Signed off"):
        assert expected in html
    assert "http://" not in html.replace(world.endpoint, "") and "<link" not in html  # self-contained
    code, markdown, _ = cli(capsys, "drill", "report", drill_id, "--format", "markdown", "--history", db)
    assert "| tier-1 | 240 min |" in markdown and "Ed25519 verified" in markdown

    code, out, _ = cli(capsys, "drill", "verify", drill_id, "--history", db)
    assert code == 0 and "intact" in out and "1 signatures verified" in out

    with sqlite3.connect(db) as conn:  # someone shortens the restore after the fact
        (content,) = conn.execute("SELECT content_json FROM drill_records WHERE drill_id=? AND kind='step' AND "
                                  "content_json LIKE '%restore-database%'", (drill_id,)).fetchone()
        conn.execute("UPDATE drill_records SET content_json=? WHERE content_json=?",
                     (content.replace('"outcome":"pass"', '"outcome":"fail"'), content))
    code, out, _ = cli(capsys, "drill", "verify", drill_id, "--history", db)
    assert code == 1
    assert "'restore-database'" in out and "edited" in out


def test_automated_evidence_reads_recovery_points_and_verifies_replica_objects(
        tmp_path: Path, s3_endpoint: str, s3_credentials: None, capsys: pytest.CaptureFixture[str]) -> None:
    world = build_world(tmp_path, s3_endpoint)
    world.client("ap-beijing").put_object(Bucket=world.replica, Key="images/0000.jpg", Body=b"tampered")
    world.client("us-east-1").delete_object(Bucket=world.offsite, Key="images/0003.jpg")
    db = tmp_path / "history.db"
    drill_id = start(capsys, tmp_path, world, db)

    from dr_audit.drill.service import load_state
    from dr_audit.history import HistoryStore

    with HistoryStore.open(db) as store:
        state = load_state(store, drill_id)
    points = {p["resource_id"]: p for p in state.automated_data("recovery_points")["points"]}
    assert points["disk-data-app1"]["point_id"] == "snap-app1"
    assert points["disk-data-app1"]["age_minutes"] == pytest.approx(120, abs=1)
    assert points["cdb-app1"]["age_minutes"] == pytest.approx(180, abs=1)
    assert points[world.source]["point"] == "cos.replica" and points[world.source]["within_target"] is True
    comparisons = {c["location"]: c for c in state.automated_data("replica_checksums")["comparisons"]}
    replica, offsite = comparisons["cos:ap-beijing"], comparisons["offsite:other"]
    assert replica["sampled"] == 10 and offsite["sampled"] == 10
    assert [m["key"] for m in replica["mismatches"]] == ["images/0000.jpg"]
    assert "size" in replica["mismatches"][0]["reason"]
    assert [m for m in offsite["mismatches"] if m["reason"] == "missing from the copy"]
    assert state.steps["replica-checksums"]["outcome"] == "fail"
    assert state.steps["recovery-points"]["outcome"] == "pass"


def test_without_an_endpoint_the_replica_step_records_why_it_could_not_run(
        tmp_path: Path, s3_endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    world = build_world(tmp_path, s3_endpoint)
    db = tmp_path / "history.db"
    code, out, err = cli(capsys, "drill", "start", write_plan(tmp_path), "--from-snapshot", world.snapshot,
                         "--pack", PACK, "--history", db)
    assert code == 0, err
    drill_id = out.strip().splitlines()[-1]
    from dr_audit.drill.service import load_state
    from dr_audit.history import HistoryStore

    with HistoryStore.open(db) as store:
        state = load_state(store, drill_id)
    step = state.steps["replica-checksums"]
    assert step["outcome"] == "fail"  # never a silent pass
    problems = [c.get("problem", "") for c in state.automated_data("replica_checksums")["comparisons"]]
    assert problems and all("--cos-endpoint-url" in p for p in problems)


@pytest.mark.parametrize("tamper, named", [
    ("DELETE FROM drill_records WHERE drill_id=:d AND seq=4", "record #4 is missing"),
    ("UPDATE drill_records SET seq=105 WHERE drill_id=:d AND seq=5; UPDATE drill_records SET seq=5 WHERE "
     "drill_id=:d AND seq=6; UPDATE drill_records SET seq=6 WHERE drill_id=:d AND seq=105", "record #5"),
    ("DELETE FROM drill_records WHERE drill_id=:d AND seq=(SELECT MAX(seq) FROM drill_records WHERE drill_id=:d)",
     "deleted"),
    ("DELETE FROM drills WHERE id=:d", "the drill's own row is missing"),
])
def test_deleted_and_reordered_records_are_caught(tamper: str, named: str, tmp_path: Path, s3_endpoint: str,
                                                  s3_credentials: None, capsys: pytest.CaptureFixture[str]) -> None:
    world = build_world(tmp_path, s3_endpoint, objects=3)
    db = tmp_path / "history.db"
    drill_id = start(capsys, tmp_path, world, db)
    record_and_sign(capsys, tmp_path, drill_id, db)
    with sqlite3.connect(db) as conn:
        for statement in tamper.split("; "):
            conn.execute(statement, {"d": drill_id})
    code, out, _ = cli(capsys, "drill", "verify", "--history", db)
    assert code == 1
    assert named in out and "TAMPERED" in out
    if "seq=105" in tamper:
        assert "reordered" in out


def test_bad_drill_input_is_one_line_and_exit_2(tmp_path: Path, s3_endpoint: str, s3_credentials: None,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    world = build_world(tmp_path, s3_endpoint, objects=2)
    db = tmp_path / "history.db"
    drill_id = start(capsys, tmp_path, world, db)
    CLOCK.advance(60)
    begin = CLOCK.now() - timedelta(minutes=50)
    one, two = iso(begin), iso(begin + timedelta(minutes=20))
    base = ["drill", "record", drill_id, "--outcome", "pass", "--history", db]
    cases = [
        (["--step", "restore-moon", "--started", one, "--finished", two], "not in the drill's plan"),
        (["--step", "restore-disk", "--started", "yesterday", "--finished", two], "not an ISO 8601 time"),
        (["--step", "restore-disk", "--started", two, "--finished", one], "is before --started"),
        (["--step", "recovery-points", "--started", one, "--finished", two], "is automated"),
        (["--step", "restore-disk", "--started", one, "--finished", two, "--evidence", tmp_path / "missing.log"],
         "no such file"),
    ]
    for extra, message in cases:
        code, out, err = cli(capsys, *base, *extra)
        assert code == 2, (extra, err)
        assert message in err and len(err.strip().splitlines()) == 1
    code, _, err = cli(capsys, "drill", "sign", drill_id, "--by", "Mallory", "--role", "DR owner", "--history", db)
    assert code == 2 and "not an approver" in err
    code, _, err = cli(capsys, "drill", "sign", drill_id, "--by", "Li Wei", "--role", "CISO", "--history", db)
    assert code == 2 and "as 'DR owner'" in err
    code, _, err = cli(capsys, "drill", "sign", drill_id, "--by", "Li Wei", "--role", "DR owner", "--history", db)
    assert code == 2 and "steps not recorded" in err
    code, _, err = cli(capsys, "drill", "record", "drill-nope", "--step", "x", "--started", "2026-11-01T01:00:00Z",
                       "--finished", "2026-11-01T02:00:00Z", "--outcome", "pass", "--history", db)
    assert code == 2 and "no drill 'drill-nope'" in err
    not_a_key = tmp_path / "key.pem"
    not_a_key.write_text("not a key")
    code, _, err = cli(capsys, "drill", "sign", drill_id, "--by", "Li Wei", "--role", "DR owner", "--key", not_a_key,
                       "--history", db)
    assert code == 2 and "not an unencrypted PEM private key" in err and "not a key" not in err


def test_init_writes_a_valid_commented_plan_and_bad_plans_are_exit_2(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from dr_audit.drill.plan import load_plan

    for kind in ("monthly", "quarterly"):
        target = tmp_path / f"{kind}.yaml"
        code, _, err = cli(capsys, "drill", "init", "--kind", kind, "--output", target)
        assert code == 0, err
        plan = load_plan(target)
        assert plan.kind == kind and plan.approvers and any(s.recovery for s in plan.steps)
        assert target.read_text().lstrip().startswith("#")
    bad = write_plan(tmp_path, text="kind: weekly\ntiers: []\nsteps: []\napprovers: []\n")
    code, _, err = cli(capsys, "drill", "start", bad, "--demo", "--history", tmp_path / "h.db")
    assert code == 2 and "invalid drill plan at kind" in err
