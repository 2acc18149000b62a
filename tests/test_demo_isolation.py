"""The demo keeps its own history store (DESIGN.md §12): demo runs and drills never enter the user's store, a drill run
on the demo changes the demo's drill verdicts, and nothing recorded there counts for any other run."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dr_audit.cli import main


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh user data directory for this test alone (the suite's own is shared)."""
    home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    monkeypatch.delenv("DR_AUDIT_HISTORY_URL", raising=False)
    return home / "dr-audit"


def cli(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def runs_in(capsys: pytest.CaptureFixture[str], *store: object) -> list[dict[str, object]]:
    code, out, err = cli(capsys, "history", "list", "--format", "json", *store)
    assert code == 0, err
    return json.loads(out)


def monthly_cadence(capsys: pytest.CaptureFixture[str], *source: object) -> dict[str, object]:
    code, out, err = cli(capsys, "run", *source, "--check", "drill_monthly_cadence", "--format", "json")
    assert code in (0, 1), err
    (finding,) = json.loads(out)["findings"]
    return finding


def test_a_demo_run_records_to_the_demo_store_only(capsys, data_dir):
    code, _, err = cli(capsys, "run", "--demo", "--format", "json")
    assert code == 1, err
    assert (data_dir / "demo-history.db").is_file()
    assert runs_in(capsys) == []  # the default store: what `history list` shows
    demo_runs = runs_in(capsys, "--demo")
    assert [run["source"] for run in demo_runs] == ["demo"]


def test_a_store_named_by_flag_takes_the_demo_run_but_the_environment_does_not(capsys, data_dir, tmp_path,
                                                                               monkeypatch):
    named = tmp_path / "named.db"
    assert cli(capsys, "run", "--demo", "--format", "json", "--history", named)[0] == 1
    assert [run["source"] for run in runs_in(capsys, "--history", named)] == ["demo"]
    assert not (data_dir / "demo-history.db").exists()

    # DR_AUDIT_HISTORY_URL names the user's real store: demo runs stay out of it.
    real = tmp_path / "real.db"
    monkeypatch.setenv("DR_AUDIT_HISTORY_URL", f"sqlite:///{real}")
    assert cli(capsys, "run", "--demo", "--format", "json")[0] == 1
    assert runs_in(capsys) == []  # the environment's store
    monkeypatch.delenv("DR_AUDIT_HISTORY_URL")
    assert [run["source"] for run in runs_in(capsys, "--demo")] == ["demo"]


def test_a_signed_demo_drill_changes_the_demos_verdict_and_no_other(capsys, data_dir, tmp_path, monkeypatch):
    from dr_audit.history import clock

    snapshot = tmp_path / "demo-estate.json"
    before = monthly_cadence(capsys, "--demo", "--save-snapshot", snapshot)
    assert before["status"] == "FAIL"

    plan = tmp_path / "monthly.yaml"
    assert cli(capsys, "drill", "init", "--kind", "monthly", "--output", plan)[0] == 0
    code, out, err = cli(capsys, "drill", "start", plan, "--demo")
    assert code == 0, err
    drill_id = out.strip().splitlines()[-1]
    opened = datetime.now(UTC).replace(microsecond=0)
    later = opened + timedelta(minutes=45)  # the manual steps take time: move the drill's clock past them
    monkeypatch.setattr(clock, "utc_now", lambda: later + (datetime.now(UTC) - opened))
    # The user's store has no such drill, and says where it is.
    code, _, err = cli(capsys, "drill", "sign", drill_id, "--by", "Li Wei", "--role", "DR owner")
    assert code == 2 and "add --demo" in err
    for step in ("restore-database", "restore-disk"):
        code, _, err = cli(capsys, "drill", "record", drill_id, "--demo", "--step", step, "--outcome", "pass",
                           "--started", (opened + timedelta(minutes=5)).isoformat(),
                           "--finished", (opened + timedelta(minutes=30)).isoformat())
        assert code == 0, err
    for name, role in (("Li Wei", "DR owner"), ("Zhang Min", "Head of operations")):
        code, out, err = cli(capsys, "drill", "sign", drill_id, "--demo", "--by", name, "--role", role)
        assert code == 0, err
    assert "complete" in out

    # Recorded in the demo store, not the user's.
    assert drill_id in cli(capsys, "drill", "list", "--demo")[1]
    assert cli(capsys, "drill", "list")[1] == "no drills in the history store\n"

    after = monthly_cadence(capsys, "--demo")
    assert after["status"] == "PASS" and drill_id in after["message"]
    # The same estate read back from a snapshot uses the user's store: the demo drill is no evidence there.
    elsewhere = monthly_cadence(capsys, "--from-snapshot", snapshot)
    assert elsewhere["status"] == "FAIL" and drill_id not in elsewhere["message"]
