"""The drill sign-off report escapes whatever people typed: plan names, notes, evidence file names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from .conftest import PACK, PLAN, build_world, cli, write_plan

EVIL = "<script>alert(1)</script>"


def test_hostile_text_in_a_drill_is_shown_as_text(tmp_path: Path, s3_endpoint: str, s3_credentials: None,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    world = build_world(tmp_path, s3_endpoint, objects=2)
    db = tmp_path / "history.db"
    plan = write_plan(tmp_path, text=PLAN.format(kind="monthly").replace("name: Test monthly drill",
                                                                         f"name: '{EVIL}'"))
    code, out, err = cli(capsys, "drill", "start", plan, "--from-snapshot", world.snapshot, "--pack", PACK,
                         "--history", db)
    assert code == 0, err
    drill_id = out.strip().splitlines()[-1]
    evidence = tmp_path / "<img src=x onerror=alert(3)>.log"
    evidence.write_text("x")
    now = datetime.now(UTC)
    code, _, err = cli(capsys, "drill", "record", drill_id, "--step", "restore-disk", "--started",
                       now.isoformat(), "--finished", (now + timedelta(minutes=3)).isoformat(), "--outcome", "fail",
                       "--notes", f"| pipe {EVIL}", "--evidence", evidence, "--history", db)
    assert code == 0, err
    code, html, _ = cli(capsys, "drill", "report", drill_id, "--format", "html", "--history", db)
    assert code == 0
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;img src=x onerror=alert(3)&gt;.log" in html
    code, markdown, _ = cli(capsys, "drill", "report", drill_id, "--format", "markdown", "--history", db)
    assert "<script" not in markdown and "\\| pipe &lt;script&gt;" in markdown
