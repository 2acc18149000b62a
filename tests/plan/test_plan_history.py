"""A plan is recorded only in a history store the user names: a change not yet applied is not a run of the estate."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from dr_audit.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "terraform"
PLAN = FIXTURES / "bucket_versioning_disabled.plan.json"


def test_plan_is_recorded_in_the_given_history_store(tmp_path, capsys):
    store = tmp_path / "history.db"
    code = main(["plan", str(PLAN), "--history", str(store), "--format", "json"])
    assert code == 1
    planned = json.loads(capsys.readouterr().out)
    assert main(["history", "list", "--history", str(store), "--format", "json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert [(r["kind"], r["source"]) for r in runs] == [("plan", "plan")]
    assert runs[0]["summary"] == planned["summary"]


def test_plan_is_recorded_in_the_store_named_by_the_environment(tmp_path, capsys, monkeypatch):
    store = tmp_path / "shared.db"
    monkeypatch.setenv("DR_AUDIT_HISTORY_URL", f"sqlite:///{store}")
    assert main(["plan", str(PLAN), "--format", "json"]) == 1
    capsys.readouterr()
    assert main(["history", "list", "--format", "json"]) == 0
    assert [r["kind"] for r in json.loads(capsys.readouterr().out)] == ["plan"]


def test_plan_without_a_named_store_records_nothing_and_never_loads_the_store(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("DR_AUDIT_HISTORY_URL", raising=False)
    store_modules = [m for m in sys.modules if m in ("dr_audit.history.store", "dr_audit.history.database")]
    for name in store_modules:
        monkeypatch.delitem(sys.modules, name)
    assert main(["plan", str(PLAN), "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["summary"]["FAIL"] >= 1
    assert not (tmp_path / "data").exists()
    assert "dr_audit.history.store" not in sys.modules and "dr_audit.history.database" not in sys.modules


def test_a_run_is_still_recorded_in_the_default_store(tmp_path, capsys, monkeypatch):
    from dr_audit.scenarios import build

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("DR_AUDIT_HISTORY_URL", raising=False)
    snapshot = tmp_path / "estate.json"
    build("hardened").save(snapshot)
    main(["run", "--from-snapshot", str(snapshot), "--format", "json", "--check", "cos_versioning_enabled"])
    capsys.readouterr()
    assert main(["history", "list", "--format", "json"]) == 0
    assert [r["kind"] for r in json.loads(capsys.readouterr().out)] == ["run"]
    assert (tmp_path / "data" / "dr-audit" / "history.db").exists()
