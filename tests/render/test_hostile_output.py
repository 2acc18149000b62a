"""Hostile names, ids, messages and evidence are data in every format: built findings, a property over any text,
and one run through the CLI with a hostile snapshot."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from dr_audit.cli import main
from dr_audit.render import render
from dr_audit.render.escape import markdown_code, rich_markup, visible

from .hostile import (
    HOSTILE,
    MARKDOWN,
    SGR,
    assert_csv_neutral,
    assert_html_shows,
    assert_json_round_trips,
    assert_junit_parses,
    assert_markdown_shows,
    assert_sarif_valid,
    assert_table_intact,
    assert_terminal_safe,
    parse_html,
    report_of,
    shown,
)

REPORT = report_of(HOSTILE)


def test_the_table_is_intact_and_sends_no_escape_sequence_to_a_colour_terminal():
    coloured = render(REPORT, "table", colour=True, width=120, show_pass=True)
    assert "\x1b[" in coloured  # Rich did style it: the check below is not vacuous
    assert_terminal_safe(coloured)
    wide = render(REPORT, "table", colour=True, width=20_000)
    assert_terminal_safe(wide)
    assert_table_intact(wide, REPORT)
    assert "[link=https://evil.example]x[/link]" in wide and "[/]" in wide  # shown, not obeyed


def test_a_name_of_rich_markup_prints_literally_through_a_real_console():
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, color_system="truecolor", width=200)
    for text in HOSTILE[:8]:
        console.print(f"[bold]name:[/] {rich_markup(text)}")
    out = buffer.getvalue()
    assert_terminal_safe(out)
    out = SGR.sub("", out)  # Rich's highlighter colours brackets; the text between its styling is what shows
    assert "[link=https://evil.example]x[/link]" in out and "[bold red]alarm[/bold red]" in out


@pytest.mark.parametrize("fmt, check", [
    ("json", assert_json_round_trips), ("sarif", assert_sarif_valid), ("junit", assert_junit_parses),
    ("markdown", assert_markdown_shows), ("html", assert_html_shows), ("csv", assert_csv_neutral),
])
def test_every_file_format_parses_and_shows_the_corpus_as_text(fmt, check):
    check(render(REPORT, fmt), REPORT)


def test_markdown_also_shows_changes_and_waivers_as_text():
    changed = json.loads(json.dumps(REPORT))
    for f in changed["findings"]:
        f["change"] = "weakened"
    text = render(changed, "markdown")
    assert_markdown_shows(text, changed)
    page = parse_html(MARKDOWN.render(render(REPORT, "markdown")))
    items = "".join(page.text)
    for waiver in REPORT["waivers"]["expired"]:
        assert f"(owner {visible(waiver['owner'])}, expires" in items
        assert visible(waiver["resource"]) in items


# Any Unicode text, plus text drawn mostly from what escaping must handle (controls, bidi, lone surrogates, markup).
AWKWARD = st.sampled_from(["\x00", "\x1b", "\x07", "\x7f", "\x85", "\x9b", "\u202e", "\u2066", "\ud800", "\udfff",
                           "\ufeff", "\ufffe", "\n", "\r", "\t", "`", "|", "[", "]", "/", "<", ">", "&", "\\", "{",
                           "=", "@", "*", "_", "#", "-", " ", "\U0001f600"])
ANY_TEXT = st.text(max_size=40) | st.text(AWKWARD | st.characters(max_codepoint=0x2100), max_size=40)


@given(ANY_TEXT)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_text_in_a_finding_renders_in_every_format_and_reads_back_as_text(text):
    report = report_of([text, f"{text}|{text}", f"`{text}`"])
    table = render(report, "table", colour=True, width=3_000)  # wide enough that no cell wraps
    assert_terminal_safe(table)
    assert_table_intact(table, report)
    assert_json_round_trips(render(report, "json"), report)
    assert_sarif_valid(render(report, "sarif"), report)
    assert_junit_parses(render(report, "junit"), report)
    assert_markdown_shows(render(report, "markdown"), report)
    assert_html_shows(render(report, "html"), report)
    assert_csv_neutral(render(report, "csv"), report)


@given(ANY_TEXT)
@settings(max_examples=100, deadline=None)
def test_a_code_span_holds_any_text_whatever_its_backticks(text):
    page = parse_html(MARKDOWN.render(f"x {markdown_code(text, in_table=False)} y"))
    expected = visible(text.replace("\r\n", " ").replace("\r", " ").replace("\n", " "))
    if expected:
        codes = [t for t in page.text if t not in ("x ", " y", "\n")]
        assert "".join(codes) == expected


# ---- end to end: a hostile snapshot through `dr-audit run` -------------------------------------------------


def _hostile_snapshot(source: Path, target: Path) -> list[str]:
    """Rename every named thing of a real snapshot to a hostile string; return the names placed."""
    document = json.loads(source.read_text(encoding="utf-8"))
    placed: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "name" and isinstance(value, str):
                    name = f"{HOSTILE[len(placed) % 24]}#{len(placed)}"
                    node[key] = name
                    placed.append(name)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(document)
    target.write_text(json.dumps(document), encoding="utf-8")
    return placed


@pytest.fixture(scope="module")
def demo_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    path = folder / "demo.json"
    code = main(["run", "--demo", "--save-snapshot", str(path), "--format", "json", "--output",
                 str(folder / "r.json"), "--history", str(folder / "h.db")])
    assert code in (0, 1, 3) and path.exists()
    return path


def test_a_hostile_snapshot_runs_through_the_cli_in_all_seven_formats(tmp_path, demo_snapshot, capsys):
    snapshot = tmp_path / "hostile.json"
    placed = _hostile_snapshot(demo_snapshot, snapshot)
    assert placed
    out = tmp_path / "out"
    history = tmp_path / "history.db"
    formats = ["table", "json", "sarif", "junit", "markdown", "html", "csv"]
    code = main(["run", "--from-snapshot", str(snapshot), "--output-dir", str(out), "--history", str(history),
                 *[arg for fmt in formats for arg in ("--format", fmt)]])
    err = capsys.readouterr().err
    assert code in (0, 1, 3), err
    assert "internal error" not in err
    report = json.loads((out / "dr-audit.json").read_text(encoding="utf-8"))
    hostile_findings = [f for f in report["findings"] if any(name in json.dumps(f, ensure_ascii=False)
                                                             for name in placed)]
    assert hostile_findings, "no hostile name reached a finding: the run proves nothing"
    assert_terminal_safe((out / "dr-audit.txt").read_text(encoding="utf-8"))
    assert_sarif_valid((out / "dr-audit.sarif").read_text(encoding="utf-8"), report)
    assert_junit_parses((out / "dr-audit.xml").read_text(encoding="utf-8"), report)
    assert_markdown_shows((out / "dr-audit.md").read_text(encoding="utf-8"), report)
    assert_html_shows((out / "dr-audit.html").read_text(encoding="utf-8"), report)
    assert_csv_neutral((out / "dr-audit.csv").read_text(encoding="utf-8"), report)
    # The table on a colour terminal, as `history show` draws it from the recorded run.
    coloured = render(report, "table", colour=True, width=20_000)
    assert_terminal_safe(coloured)
    assert_table_intact(coloured, report)
    shown_names = [name for name in placed if visible(name) in SGR.sub("", coloured)]
    assert shown_names, "no hostile name reached the table"


def test_the_html_report_of_the_corpus_shows_every_value_as_text_in_a_browser(tmp_path):
    from .test_html_report import console_errors, load_in_chromium

    page = tmp_path / "report.html"
    page.write_text(render(REPORT, "html"), encoding="utf-8")
    dom, log, _ = load_in_chromium(page)
    assert 'data-dr-audit="ready"' in dom, log[-2000:]
    assert not console_errors(log)
    parsed = parse_html(dom)
    assert sum(1 for tag, _ in parsed.tags if tag == "script") == 2
    assert not any(tag in ("img", "iframe", "a", "b") for tag, _ in parsed.tags)
    cells = parsed.cells
    for f in REPORT["findings"]:
        if f["status"] != "PASS":
            assert any(cell.startswith(shown(f["message"])) for cell in cells), f["resource"]["id"][:60]
            assert any(cell.startswith(shown(f["resource"]["id"])) for cell in cells)
