"""Shared paths and a runner for the plan tests: the CLI in-process, as CI would call it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dr_audit.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "terraform"
PACK = str(FIXTURES / "pack.yaml")
ESTATE_PLAN = FIXTURES / "estate.plan.json"
ESTATE_TF = FIXTURES / "estate"
BUCKET_PLAN = FIXTURES / "bucket_versioning_disabled.plan.json"
CAM_PLAN = FIXTURES / "cam_unknown_document.plan.json"


def plan_report(tmp_path: Path, target: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    """Run `dr-audit plan TARGET --format json` and return (exit code, report)."""
    output = tmp_path / f"{target.name}.report.json"
    code = main(["plan", str(target), "--pack", PACK, "--format", "json", "--output", str(output), *extra])
    report = json.loads(output.read_text()) if output.exists() else {}
    return code, report


def verdicts(report: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(f["check_id"], f["resource"]["id"]): f["status"] for f in report["findings"]}


def edited_plan(tmp_path: Path, source: Path, edit: Any) -> Path:
    """A copy of a fixture plan after `edit(plan_dict)`, for variations of one hand-written plan."""
    plan = json.loads(source.read_text())
    edit(plan)
    path = tmp_path / f"edited-{source.name}"
    path.write_text(json.dumps(plan))
    return path
