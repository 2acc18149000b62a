"""Report diffs and baselines: matched on finding ids; only new or regressed findings gate CI."""

from __future__ import annotations

import json
from pathlib import Path

from dr_audit.cli import main
from dr_audit.diff import apply_baseline, diff_exit_code, diff_reports, load_report
from dr_audit.findings import Severity

from .plan.helpers import BUCKET_PLAN, PACK, edited_plan


def finding(finding_id: str, status: str, severity: str = "high") -> dict:
    return {"id": finding_id, "check_id": f"check_{finding_id}", "status": status, "severity": severity,
            "resource": {"type": "cos.bucket", "id": f"bucket-{finding_id}"}, "message": ""}


def report(*findings: dict) -> dict:
    return {"schema_version": 1, "findings": list(findings)}


OLD = report(finding("a", "PASS"), finding("b", "FAIL"), finding("c", "FAIL"), finding("d", "PASS"),
             finding("e", "ERROR"), finding("g", "FAIL"))
NEW = report(finding("a", "FAIL"), finding("b", "FAIL"), finding("c", "PASS"), finding("d", "ERROR"),
             finding("e", "ERROR"), finding("f", "FAIL", "low"))


def test_diff_classifies_every_change():
    diff = diff_reports(OLD, NEW)
    ids = {name: [e["id"] for e in getattr(diff, name)] for name in diff.CATEGORIES}
    assert ids == {"regressed": ["a"], "new": ["f"], "newly_unevaluable": ["d"], "persisting": ["b"],
                   "resolved": ["c", "g"]}


def test_diff_exit_codes():
    assert diff_exit_code(diff_reports(OLD, NEW), Severity.HIGH) == 1  # a regressed
    only_new_low = diff_reports(report(), report(finding("f", "FAIL", "low")))
    assert diff_exit_code(only_new_low, Severity.HIGH) == 0
    assert diff_exit_code(only_new_low, Severity.LOW) == 1
    assert diff_exit_code(diff_reports(report(finding("d", "PASS")), report(finding("d", "ERROR"))),
                          Severity.HIGH) == 3
    assert diff_exit_code(diff_reports(OLD, OLD), Severity.HIGH) == 0


def test_diff_command_renders_and_rejects_bad_files(tmp_path, capsys):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(OLD))
    new.write_text(json.dumps(NEW))
    assert main(["diff", str(old), str(new), "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["counts"]["regressed"] == 1 and out["regressed"][0]["was"] == "PASS"
    assert main(["diff", str(old), str(new), "--format", "markdown"]) == 1
    assert "## Regressed" in capsys.readouterr().out
    assert main(["diff", str(old), str(new)]) == 1
    assert "Regressed (was passing, now FAIL): 1" in capsys.readouterr().out
    (tmp_path / "bad.json").write_text('{"schema_version": 7}')
    assert main(["diff", str(tmp_path / "bad.json"), str(new)]) == 2
    err = capsys.readouterr().err
    assert "not a dr-audit JSON report" in err and err.count("\n") == 1


def test_load_report_is_the_seam_for_reports_from_files(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(OLD))
    assert load_report(path)["findings"][0]["id"] == "a"


def test_baseline_marks_findings():
    doc = json.loads(json.dumps(NEW))
    apply_baseline(doc, OLD)
    marks = {f["id"]: f["baseline"] for f in doc["findings"]}
    assert marks == {"a": "regressed", "b": "existing", "c": "existing", "d": "regressed", "e": "existing",
                     "f": "new"}


def test_baseline_gates_only_new_or_regressed_findings(tmp_path: Path):
    first = tmp_path / "first.json"
    assert main(["plan", str(BUCKET_PLAN), "--pack", PACK, "--format", "json", "--output", str(first)]) == 1
    # The same plan against its own report: every FAIL already existed, so nothing gates.
    again = tmp_path / "again.json"
    code = main(["plan", str(BUCKET_PLAN), "--pack", PACK, "--baseline", str(first), "--format", "json",
                 "--output", str(again)])
    doc = json.loads(again.read_text())
    assert code == 0
    assert {f["baseline"] for f in doc["findings"]} == {"existing"}
    assert doc["summary"]["FAIL"] >= 2  # the report still lists everything

    def break_the_archive(plan):
        for resource in plan["planned_values"]["root_module"]["resources"]:
            resource["values"]["versioning_enable"] = False

    worse = edited_plan(tmp_path, BUCKET_PLAN, break_the_archive)
    later = tmp_path / "later.json"
    assert main(["plan", str(worse), "--pack", PACK, "--baseline", str(first), "--format", "json",
                 "--output", str(later)]) == 1
    marks = {(f["check_id"], f["resource"]["id"]): f["baseline"] for f in json.loads(later.read_text())["findings"]}
    assert marks[("cos_versioning_enabled", "tencentcloud_cos_bucket.archive")] == "regressed"


def test_a_bad_baseline_is_exit_2(tmp_path, capsys):
    bad = tmp_path / "baseline.json"
    bad.write_text("[]")
    assert main(["plan", str(BUCKET_PLAN), "--pack", PACK, "--baseline", str(bad)]) == 2
    assert "not a dr-audit JSON report" in capsys.readouterr().err
