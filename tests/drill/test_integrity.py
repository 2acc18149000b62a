"""Drill records against the store's own administrator: approvers' keys pinned in the plan, sign-offs over the head,
and nine edits made with direct SQL (some with the whole chain recomputed, as anyone can) each caught and named."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import sqlite3
import stat
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from dr_audit.history.chain import (
    GENESIS,
    SigningKey,
    canonical,
    key_fingerprint,
    public_pem_of,
    record_hash,
    signoff_statement,
)

from .conftest import CLOCK, PACK, PLAN, build_world, cli

APPROVERS = ("Li Wei", "Zhang Min")


def run(*argv: object) -> tuple[int, str, str]:
    """The CLI outside a test function (a module fixture has no capsys)."""
    from dr_audit.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def iso(moment: Any) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def keygen(path: Path) -> str:
    """`drill keygen`: the private key is the owner's alone, the public key sits beside it; returns the line to pin."""
    code, out, err = run("drill", "keygen", "--output", path)
    assert code == 0, err
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    public = path.with_name(path.name + ".pub").read_text()
    assert "PUBLIC KEY" in public and "PRIVATE" not in out + err
    [pinned] = re.findall(r'public_key: "(ed25519:[A-Za-z0-9+/=]+)"', out)
    assert f"fingerprint: {key_fingerprint(public_pem_of(pinned))}" in out
    assert public_pem_of(pinned) == public_pem_of(public)
    return pinned


def pinned_plan(path: Path, keys: dict[str, str]) -> Path:
    text = PLAN.format(kind="monthly")
    for name, role in (("Li Wei", "DR owner"), ("Zhang Min", "Head of operations")):
        if name in keys:
            text = text.replace(f"    role: {role}\n", f"    role: {role}\n    public_key: \"{keys[name]}\"\n")
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class Signed:
    db: Path
    drill_id: str
    keys: dict[str, Path]
    plan: Path
    report: Path


def open_record_and_sign(tmp: Path, endpoint: str, plan: Path, keys: dict[str, Path]) -> tuple[Path, str]:
    """A drill started without a COS endpoint, so both automated steps fail; the manual ones pass; both sign."""
    world = build_world(tmp, endpoint, objects=2)
    db = tmp / "history.db"
    code, out, err = run("drill", "start", plan, "--from-snapshot", world.snapshot, "--pack", PACK, "--history", db)
    assert code == 0, err
    drill_id = out.strip().splitlines()[-1]
    begin = CLOCK.now().replace(microsecond=0)
    CLOCK.advance(45)
    log = tmp / "restore.log"
    log.write_text("restored\n")
    for step, minutes, extra in (("restore-database", 40, ["--evidence", log]), ("restore-disk", 30, [])):
        code, _, err = run("drill", "record", drill_id, "--step", step, "--started", iso(begin), "--finished",
                           iso(begin + timedelta(minutes=minutes)), "--outcome", "pass", "--history", db, *extra)
        assert code == 0, err
    for name, role in (("Li Wei", "DR owner"), ("Zhang Min", "Head of operations")):
        key = ["--key", keys[name]] if name in keys else []
        code, out, err = run("drill", "sign", drill_id, "--by", name, "--role", role, "--history", db, *key)
        assert code == 0, err
    assert "failed steps: recovery-points, replica-checksums" in out
    return db, drill_id


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str) -> Signed:
    """One drill with both approvers' keys pinned and signed, built once; each test edits its own copy."""
    from dr_audit.history import clock as drill_clock

    tmp = tmp_path_factory.mktemp("pinned")
    with pytest.MonkeyPatch.context() as patch:
        CLOCK.offset = timedelta()
        patch.setattr(drill_clock, "utc_now", CLOCK.now)
        keys = {name: tmp / f"{name.split()[0].lower()}.pem" for name in APPROVERS}
        plan = pinned_plan(tmp / "plan.yaml", {name: keygen(path) for name, path in keys.items()})
        db, drill_id = open_record_and_sign(tmp, s3_endpoint, plan, keys)
        report = tmp / "drill.md"
        code, _, err = run("drill", "report", drill_id, "--format", "markdown", "--output", report, "--history", db)
        assert code == 0, err
    return Signed(db, drill_id, keys, plan, report)


def copy_of(signed: Signed, tmp_path: Path) -> Path:
    target = tmp_path / "copy.db"
    shutil.copyfile(signed.db, target)
    return target


# -- what an administrator can do with the database and the published algorithm ------------------------------------

def contents(conn: sqlite3.Connection, drill_id: str) -> list[dict[str, Any]]:
    return [json.loads(text) for (text,) in conn.execute(
        "SELECT content_json FROM drill_records WHERE drill_id=? ORDER BY seq", (drill_id,))]


def rechain(conn: sqlite3.Connection, drill_id: str, records: list[dict[str, Any]]) -> None:
    """Write `records` back as a flawless chain: renumbered, every hash and the drill's head recomputed."""
    conn.execute("DELETE FROM drill_records WHERE drill_id=?", (drill_id,))
    previous = GENESIS
    for seq, content in enumerate(records, 1):
        content["seq"] = seq
        text = canonical(content)
        digest = record_hash(previous, text)
        body = content["body"]
        columns = (body.get("signature"), body.get("public_key")) if content["kind"] == "signoff" else (None, None)
        conn.execute("INSERT INTO drill_records VALUES (?,?,?,?,?,?,?,?,?)",
                     (drill_id, seq, content["kind"], content["created_at"], text, previous, digest, *columns))
        previous = digest
    conn.execute("UPDATE drills SET record_count=?, head_hash=? WHERE id=?", (len(records), previous, drill_id))


def rechain_and_resign(conn: sqlite3.Connection, drill_id: str, records: list[dict[str, Any]],
                       keys: dict[str, SigningKey]) -> None:
    """Rechain, make every sign-off name the new head (signed anew with `keys` for the approvers it has keys of),
    and rechain again: the most a thorough administrator can do."""
    rechain(conn, drill_id, records)
    records = contents(conn, drill_id)
    sealed = max(i for i, c in enumerate(records, 1) if c["kind"] != "signoff")
    (head,) = conn.execute("SELECT hash FROM drill_records WHERE drill_id=? AND seq=?", (drill_id, sealed)).fetchone()
    for content in records:
        body = content["body"]
        if content["kind"] == "signoff":
            body.update(head=head, records=sealed)
        if content["kind"] == "signoff" and body["by"] in keys:
            key = keys[body["by"]]
            body.update(public_key=key.public_pem,
                        key_fingerprint=key_fingerprint(key.public_pem),
                        signature=key.sign_text(signoff_statement(drill_id, head, sealed, body["by"], body["role"])))
    rechain(conn, drill_id, records)


def step_index(records: list[dict[str, Any]], name: str) -> int:
    return next(i for i, c in enumerate(records) if c["kind"] == "step" and c["body"]["step"] == name)


def attacker_key(tmp_path: Path) -> SigningKey:
    path = tmp_path / "mallory.pem"
    assert run("drill", "keygen", "--output", path)[0] == 0
    return SigningKey(path)


# -- the nine edits -------------------------------------------------------------------------------------------------

def delete_last_record(conn: sqlite3.Connection, d: str, tmp: Path) -> None:
    (last,) = conn.execute("SELECT MAX(seq) FROM drill_records WHERE drill_id=?", (d,)).fetchone()
    conn.execute("DELETE FROM drill_records WHERE drill_id=? AND seq=?", (d, last))
    (head,) = conn.execute("SELECT hash FROM drill_records WHERE drill_id=? AND seq=?", (d, last - 1)).fetchone()
    conn.execute("UPDATE drills SET record_count=?, head_hash=? WHERE id=?", (last - 1, head, d))


def rename_approver_and_rechain(conn: sqlite3.Connection, d: str, tmp: Path) -> None:
    records = [json.loads(json.dumps(c).replace("Li Wei", "Li Wen")) for c in contents(conn, d)]
    rechain(conn, d, records)


def edit_step_and_null_signatures(conn: sqlite3.Connection, d: str, tmp: Path) -> None:
    records = contents(conn, d)
    records[step_index(records, "restore-disk")]["body"]["notes"] = "done in five minutes"
    for content in records:
        if content["kind"] == "signoff":
            content["body"]["signature"] = None  # its key_fingerprint stays
    rechain(conn, d, records)


def resign_with_another_key(conn: sqlite3.Connection, d: str, tmp: Path) -> None:
    records = contents(conn, d)
    records[step_index(records, "replica-checksums")]["body"]["outcome"] = "pass"
    mallory = attacker_key(tmp)
    rechain_and_resign(conn, d, records, {"Li Wei": mallory, "Zhang Min": mallory})


def change_step_time_and_rechain(conn: sqlite3.Connection, d: str, tmp: Path) -> None:
    records = contents(conn, d)
    step = records[step_index(records, "restore-database")]["body"]
    step["finished"] = step["started"]  # the restore now took no time at all
    rechain(conn, d, records)


def delete_middle_record_and_rechain(conn: sqlite3.Connection, d: str, tmp: Path) -> None:
    records = contents(conn, d)
    del records[step_index(records, "replica-checksums")]
    rechain(conn, d, records)


def swap_two_records(conn: sqlite3.Connection, d: str, tmp: Path) -> None:
    conn.execute("UPDATE drill_records SET seq=100 WHERE drill_id=? AND seq=7", (d,))
    conn.execute("UPDATE drill_records SET seq=7 WHERE drill_id=? AND seq=8", (d,))
    conn.execute("UPDATE drill_records SET seq=8 WHERE drill_id=? AND seq=100", (d,))


def change_an_approver(conn: sqlite3.Connection, d: str, tmp: Path) -> None:
    mallory = attacker_key(tmp)
    records = contents(conn, d)
    for approver in records[0]["body"]["plan"]["approvers"]:
        if approver["name"] == "Zhang Min":
            approver["public_key"] = mallory.public_pem  # the plan in the store now pins the attacker's key
    rechain_and_resign(conn, d, records, {"Zhang Min": mallory})


def recompute_one_hash_naively(conn: sqlite3.Connection, d: str, tmp: Path) -> None:
    (prev, text) = conn.execute("SELECT prev_hash, content_json FROM drill_records WHERE drill_id=? AND seq=8",
                                (d,)).fetchone()
    edited = text.replace('"outcome":"pass"', '"outcome":"fail"')
    assert edited != text
    conn.execute("UPDATE drill_records SET content_json=?, hash=? WHERE drill_id=? AND seq=8",
                 (edited, record_hash(prev, edited), d))


TAMPERING: list[tuple[Callable[[sqlite3.Connection, str, Path], None], str]] = [
    (delete_last_record, "NOT PROVEN.*Zhang Min \\(key SHA256:"),
    (rename_approver_and_rechain, "record #9 \\(signoff 'Li Wen'\\): Li Wen's sign-off approves another head"),
    (edit_step_and_null_signatures, "record #9 \\(signoff 'Li Wei'\\): Li Wei's sign-off names key SHA256:\\w+ but "
                                    "its signature is missing \\(NULL\\)"),
    (resign_with_another_key, "record #9 \\(signoff 'Li Wei'\\): Li Wei's sign-off is signed by key SHA256:\\w+, "
                              "not the key the plan pins"),
    (change_step_time_and_rechain, "record #9 \\(signoff 'Li Wei'\\): Li Wei's sign-off approves another head"),
    (delete_middle_record_and_rechain, "record #8 \\(signoff 'Li Wei'\\): Li Wei's sign-off approves another head"),
    (swap_two_records, "record #7 .*position #7 holds the content of record #8"),
    (change_an_approver, "record #9 \\(signoff 'Li Wei'\\): Ed25519 signature does not verify"),
    (recompute_one_hash_naively, "record #9 \\(signoff 'Li Wei'\\): does not follow record #8"),
]


def test_the_untouched_drill_verifies_with_every_pinned_signature(signed: Signed,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "drill", "verify", signed.drill_id, "--history", signed.db)
    assert code == 0, out
    assert "intact (10 records" in out and "2 signatures verified" in out and "signed by keys pinned" in out


@pytest.mark.parametrize("tamper, named", TAMPERING, ids=[t.__name__ for t, _ in TAMPERING])
def test_each_edit_by_the_stores_administrator_is_caught_and_named(
        tamper: Callable[[sqlite3.Connection, str, Path], None], named: str, signed: Signed, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    db = copy_of(signed, tmp_path)
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        tamper(conn, signed.drill_id, tmp_path)
    code, out, err = cli(capsys, "drill", "verify", signed.drill_id, "--history", db)
    assert code == 1, out + err
    assert re.search(named, out), out
    # The printed report, made before the edit, no longer matches the store either.
    code, out, _ = cli(capsys, "drill", "verify", "--report", signed.report, "--history", db)
    assert code == 1 and f"report {signed.report}: DOES NOT MATCH" in out


def test_sign_refuses_a_pinned_approver_without_their_key(tmp_path: Path, s3_endpoint: str, signed: Signed,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    world = build_world(tmp_path, s3_endpoint, objects=1)
    db = tmp_path / "h.db"
    code, out, err = cli(capsys, "drill", "start", signed.plan, "--from-snapshot", world.snapshot, "--pack", PACK,
                         "--history", db)
    drill_id = out.strip().splitlines()[-1]
    now = CLOCK.now()
    for step in ("restore-database", "restore-disk"):
        assert cli(capsys, "drill", "record", drill_id, "--step", step, "--started", iso(now), "--finished",
                   iso(now), "--outcome", "pass", "--history", db)[0] == 0
    code, _, err = cli(capsys, "drill", "sign", drill_id, "--by", "Li Wei", "--role", "DR owner", "--history", db)
    assert code == 2 and "pins Li Wei's key" in err and "--key" in err
    code, _, err = cli(capsys, "drill", "sign", drill_id, "--by", "Li Wei", "--role", "DR owner", "--key",
                       signed.keys["Zhang Min"], "--history", db)
    assert code == 2 and "not the key the plan pins for Li Wei" in err
    code, out, _ = cli(capsys, "drill", "verify", drill_id, "--history", db)
    assert code == 1 and "NOT PROVEN" in out and "Li Wei" in out and "Zhang Min" in out  # awaiting both


def test_keygen_report_export_and_offline_verification_round_trip(signed: Signed, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    db, drill_id = signed.db, signed.drill_id
    code, html, _ = cli(capsys, "drill", "report", drill_id, "--format", "html", "--history", db)
    assert code == 0
    head = re.search(r"head hash \(last record\)</th><td><code>([0-9a-f]{64})</code>", html)
    assert head is not None
    with contextlib.closing(sqlite3.connect(db)) as conn:
        (stored_head,) = conn.execute("SELECT head_hash FROM drills WHERE id=?", (drill_id,)).fetchone()
        signatures = [json.loads(text)["body"]["signature"] for (text,) in conn.execute(
            "SELECT content_json FROM drill_records WHERE drill_id=? AND kind='signoff'", (drill_id,))]
    assert head.group(1) == stored_head
    assert all(s and s in html for s in signatures) and "Ed25519 verified" in html
    assert "FAILED: signed off" in html and "recovery-points, replica-checksums" in html
    assert "only against accidental edits" not in html
    html_file = tmp_path / "drill.html"
    html_file.write_text(html)
    for report in (html_file, signed.report):
        code, out, _ = cli(capsys, "drill", "verify", "--report", report, "--history", db)
        assert code == 0, out
        assert f"report {report}: matches the records" in out

    bundle = tmp_path / "drill.bundle.json"
    code, _, err = cli(capsys, "drill", "export", drill_id, "--output", bundle, "--history", db)
    assert code == 0, err
    # Offline: no store at all, only the bundle (and the report and plan to hold it against).
    code, out, _ = cli(capsys, "drill", "verify", "--bundle", bundle, "--report", html_file, "--plan", signed.plan,
                       "--history", tmp_path / "absent" / "never-created.db")
    assert code == 0, out
    assert "signed by keys pinned" in out and "matches the records" in out and "is the plan the drill recorded" in out
    assert not (tmp_path / "absent").exists()

    other_plan = pinned_plan(tmp_path / "other.yaml", {"Li Wei": keygen(tmp_path / "other.pem")})
    code, out, _ = cli(capsys, "drill", "verify", "--bundle", bundle, "--plan", other_plan)
    assert code == 1 and "pinned keys differ" in out

    document = json.loads(bundle.read_text())
    record = document["records"][6]
    record["content_json"] = record["content_json"].replace('"outcome":"pass"', '"outcome":"fail"')
    bundle.write_text(json.dumps(document))
    code, out, _ = cli(capsys, "drill", "verify", "--bundle", bundle)
    assert code == 1 and "record #7 (step 'restore-database'): content does not match its hash" in out

    bundle.write_text("{\"format\": \"something else\"}")
    code, _, err = cli(capsys, "drill", "verify", "--bundle", bundle)
    assert code == 2 and "not a drill bundle" in err and len(err.strip().splitlines()) == 1


def test_keygen_never_overwrites_a_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "k.pem"
    key.write_text("precious")
    code, _, err = cli(capsys, "drill", "keygen", "--output", key)
    assert code == 2 and "never overwritten" in err and key.read_text() == "precious"


def test_without_pinned_keys_verify_and_report_say_integrity_is_against_accidents_only(
        tmp_path: Path, s3_endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    plan = pinned_plan(tmp_path / "plan.yaml", {})
    db, drill_id = open_record_and_sign(tmp_path, s3_endpoint, plan, {})
    code, out, _ = cli(capsys, "drill", "verify", drill_id, "--history", db)
    assert code == 0 and "integrity holds only against accidental edits" in out
    code, markdown, _ = cli(capsys, "drill", "report", drill_id, "--format", "markdown", "--history", db)
    assert "Integrity holds only against accidental edits" in markdown
    # And it is true: without keys, a chain rewritten with a step changed still verifies.
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        records = contents(conn, drill_id)
        records[step_index(records, "restore-database")]["body"]["finished"] = iso(CLOCK.now() - timedelta(hours=1))
        rechain_and_resign(conn, drill_id, records, {})
    code, out, _ = cli(capsys, "drill", "verify", drill_id, "--history", db)
    assert code == 0 and "only against accidental edits" in out


def test_a_plan_pinning_an_unusable_key_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = pinned_plan(tmp_path / "plan.yaml", {"Li Wei": "ed25519:bm90IGEga2V5"})
    code, _, err = cli(capsys, "drill", "start", plan, "--demo", "--history", tmp_path / "h.db")
    assert code == 2 and "public_key is not usable" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "h.db").exists() or "drill-" not in cli(capsys, "drill", "list", "--history",
                                                                    tmp_path / "h.db")[1]
