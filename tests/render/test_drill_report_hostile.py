"""The drill sign-off report (Markdown and HTML) shows hostile plan, step, approver and note text as data."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dr_audit.render.escape import visible

from ..drill.conftest import PACK, PLAN, build_world, cli, clock, s3_credentials, s3_endpoint, write_plan  # noqa: F401
from .hostile import assert_markdown_without_html, assert_terminal_safe, parse_html

# One per place a person or a file can put text into a drill; none holds a line break the YAML would fold.
PLAN_NAME = "<script>alert(1)</script> [/] `` | \x1b[2J"
DESCRIPTION = "# not a heading <img src=x onerror=alert(2)> [x](https://evil.example) \u202egnp"
TIER = "tier`1`|<b>"
STEP = "restore-disk"  # step names are plain identifiers (the plan's schema says so)
APPROVER = "Li <u>Wei</u> `|` \x1b]0;title\x07"
NOTES = "| pipe <script>alert(3)</script> ]]> &amp; \x1b]8;;https://evil.example\x1b\\x\x1b]8;;\x1b\\"
EVIDENCE = "`evidence` <img src=x onerror=alert(4)> | [l](u).log"


def _plan(tmp_path: Path) -> Path:
    text = PLAN.format(kind="monthly")
    for old, new in (("name: Test monthly drill", f"name: {json.dumps(PLAN_NAME)}"),
                     ("description: Restore the app database and disk.", f"description: {json.dumps(DESCRIPTION)}"),
                     ("- name: tier-1", f"- name: {json.dumps(TIER)}"),
                     ("- name: Li Wei", f"- name: {json.dumps(APPROVER)}")):
        assert old in text
        text = text.replace(old, new)
    return write_plan(tmp_path, text=text)


def test_a_drill_of_hostile_text_reports_it_as_text(tmp_path, s3_endpoint, s3_credentials, capsys):  # noqa: F811
    world = build_world(tmp_path, s3_endpoint, objects=2)
    db = tmp_path / "history.db"
    code, out, err = cli(capsys, "drill", "start", _plan(tmp_path), "--from-snapshot", world.snapshot, "--pack", PACK,
                         "--history", db)
    assert code == 0, err
    assert_terminal_safe(out)
    drill_id = out.strip().splitlines()[-1]
    evidence = tmp_path / EVIDENCE
    evidence.write_text("restored", encoding="utf-8")
    now = datetime.now(UTC)
    code, out, err = cli(capsys, "drill", "record", drill_id, "--step", STEP, "--started", now.isoformat(),
                         "--finished", (now + timedelta(minutes=3)).isoformat(), "--outcome", "pass",
                         "--notes", NOTES, "--evidence", evidence, "--history", db)
    assert code == 0, err
    assert_terminal_safe(out)

    code, markdown, err = cli(capsys, "drill", "report", drill_id, "--format", "markdown", "--history", db)
    assert code == 0, err
    page = assert_markdown_without_html(markdown)
    text = "".join(page.text)
    for value in (PLAN_NAME, DESCRIPTION, TIER, APPROVER, NOTES, EVIDENCE):
        assert visible(value) in text, f"{value!r} not shown literally in the Markdown report"
    headings = [t for t in page.text if "not a heading" in t]
    assert headings and all(t.startswith("# not a heading") for t in headings)  # a paragraph, not an <h1>
    tier_rows = [c for c in page.cells if c.strip() == visible(TIER)]
    assert tier_rows, "the tier name broke its table cell"

    code, html, err = cli(capsys, "drill", "report", drill_id, "--format", "html", "--history", db)
    assert code == 0, err
    page = parse_html(html)
    assert not any(tag in ("script", "img", "a", "iframe", "u", "i", "b") and not _ours(tag, attrs)
                   for tag, attrs in page.tags)
    assert not any(name.startswith("on") for _, attrs in page.tags for name, _ in attrs)
    body = "".join(page.text)
    for value in (PLAN_NAME, DESCRIPTION, TIER, APPROVER, NOTES, EVIDENCE):
        assert visible(value, keep="\n\t") in body, f"{value!r} not shown literally in the HTML report"


def _ours(tag: str, attrs: list[tuple[str, str | None]]) -> bool:
    """The drill template's own bold tier labels (<b>name</b>) carry no attributes; injected tags would be text."""
    return tag == "b" and not attrs


@pytest.fixture(autouse=True)
def _drill_clock(clock):  # noqa: F811 - the drill fixtures' clock, so records fall inside the drill
    return clock
