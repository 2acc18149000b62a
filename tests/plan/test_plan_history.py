"""A plan is recorded in the history store like a run, so CI's shared history sees gated changes too."""

from __future__ import annotations

import json
from pathlib import Path

from dr_audit.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "terraform"


def test_plan_is_recorded_in_the_given_history_store(tmp_path, capsys):
    store = tmp_path / "history.db"
    code = main(["plan", str(FIXTURES / "bucket_versioning_disabled.plan.json"), "--history", str(store),
                 "--format", "json"])
    assert code == 1
    planned = json.loads(capsys.readouterr().out)
    assert main(["history", "list", "--history", str(store), "--format", "json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert [(r["kind"], r["source"]) for r in runs] == [("plan", "plan")]
    assert runs[0]["summary"] == planned["summary"]
