"""`dr-audit plan`'s terminal table marks each finding weakened, improved, unchanged or new, as the Markdown does,
with what a change weakened first; a run's table has no such column."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dr_audit.cli import main

from ..plan.helpers import BUCKET_PLAN, ESTATE_PLAN, PACK, edited_plan

ROW = re.compile(r"^│ (\w*) +│ (\w+) +│ (\w+) +│ (\w+) +│ (\S+)")


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "260")  # one table row per line, so a row's cells can be read back


def table_rows(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, list[tuple[str, ...]]]:
    capsys.readouterr()
    code = main(["plan", *argv, "--pack", PACK, "--format", "table"])
    out = capsys.readouterr().out
    return code, out, [m.groups() for line in out.splitlines() if (m := ROW.match(line))]


def changes_in_json(tmp_path: Path, target: Path) -> dict[tuple[str, str], tuple[str, str]]:
    output = tmp_path / "report.json"
    main(["plan", str(target), "--pack", PACK, "--format", "json", "--output", str(output)])
    return {(f["check_id"], f["resource"]["id"]): (f.get("change", ""), f["status"])
            for f in json.loads(output.read_text())["findings"]}


def test_the_plan_table_marks_every_row_and_puts_the_weakened_safeguard_first(capsys, tmp_path):
    code, out, rows = table_rows(capsys, str(BUCKET_PLAN))
    assert code == 1
    assert "┃ change " in out and "1 safeguard(s) weakened by this change" in out
    assert rows, out
    assert rows[0][:4] == ("weakened", "FAIL", "high", "cos_versioning_enabled")
    # Each row's marker is the change the JSON report gives that finding.
    expected = changes_in_json(tmp_path, BUCKET_PLAN)
    for change, status, _, check_id, resource in rows:
        assert (change, status) == expected[(check_id, resource)]


def test_an_improvement_is_shown_and_marked_although_it_passes(capsys, tmp_path):
    def reverse(plan):
        for resource in plan["planned_values"]["root_module"]["resources"]:
            resource["values"]["versioning_enable"] = True
        plan["prior_state"]["values"]["root_module"]["resources"][0]["values"]["versioning_enable"] = False

    _, out, rows = table_rows(capsys, str(edited_plan(tmp_path, BUCKET_PLAN, reverse)))
    assert "0 safeguard(s) weakened by this change" in out
    assert ("improved", "PASS", "high", "cos_versioning_enabled", "tencentcloud_cos_bucket.media") in rows
    assert all(change in ("weakened", "improved", "unchanged", "new") for change, *_ in rows)


def test_new_and_unchanged_findings_are_marked(capsys, tmp_path):
    _, _, rows = table_rows(capsys, str(ESTATE_PLAN))
    expected = changes_in_json(tmp_path, ESTATE_PLAN)
    shown = {change for change, *_ in rows}
    assert shown == {change for change, status in expected.values() if status != "PASS" or change == "improved"}
    assert {"new", "unchanged"} <= shown


def test_a_run_table_has_no_change_column(capsys):
    capsys.readouterr()
    assert main(["run", "--demo", "--check", "cos_versioning_enabled"]) == 1
    out = capsys.readouterr().out
    assert "┃ status " in out and "change" not in out and "weakened" not in out
