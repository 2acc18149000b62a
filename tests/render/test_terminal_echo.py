"""Commands that echo names to the terminal (errors, diff, history list, checks list) show them as data."""

from __future__ import annotations

import json
from pathlib import Path

from dr_audit.cli import main
from dr_audit.estate import CbsState, Disk
from dr_audit.render.escape import visible

from ..conftest import ACCOUNT, make_estate
from .hostile import HOSTILE, MARKDOWN, assert_markdown_without_html, assert_terminal_safe, parse_html, report_of

EVIL = "\x1b]0;pwned\x07[/]\x1b[2J\u202e[link=https://evil.example]x[/link]"
# What input files may hold: the readers refuse lone surrogates and names past their length limit.
READABLE = [text for text in HOSTILE if len(text) < 1000 and not any(0xD800 <= ord(c) <= 0xDFFF for c in text)]


def test_an_error_naming_a_hostile_file_is_one_visible_line(tmp_path, capsys):
    name = "\x1b]0;pwned\x07[bold red]\x1b[2J\u202egnp\x9b.json"  # a file name holds no slash
    assert main(["run", "--from-snapshot", str(tmp_path / name)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("dr-audit: error: ")
    assert_terminal_safe(err)
    assert visible(name) in err


def _reports(tmp_path: Path) -> tuple[Path, Path, dict]:
    new = report_of(READABLE)
    old = json.loads(json.dumps(new))
    for f in old["findings"]:
        f["status"] = "PASS"
    old_path, new_path = tmp_path / "old.json", tmp_path / "new.json"
    old_path.write_text(json.dumps(old), encoding="utf-8")
    new_path.write_text(json.dumps(new), encoding="utf-8")
    return old_path, new_path, new


def test_diff_shows_hostile_findings_as_text_in_the_terminal_and_in_markdown(tmp_path, capsys):
    old, new, report = _reports(tmp_path)
    assert main(["diff", str(old), str(new)]) == 1
    out = capsys.readouterr().out
    assert_terminal_safe(out)
    lines = out.splitlines()
    for f in report["findings"]:
        if f["status"] in ("FAIL", "ERROR"):
            assert any(visible(f["resource"]["id"]) in line for line in lines)
    main(["diff", str(old), str(new), "--format", "markdown"])
    markdown = capsys.readouterr().out
    page = assert_markdown_without_html(markdown)
    cells = [c.strip(" ") for c in page.cells]
    for f in report["findings"]:
        if f["status"] in ("FAIL", "ERROR"):
            one_line = visible(f["message"].replace("\r\n", " ").replace("\r", " ").replace("\n", " ")).strip(" ")
            assert one_line in cells


def test_history_list_shows_a_hostile_pack_name_as_text(tmp_path, capsys):
    pack = tmp_path / "pack.yaml"
    pack.write_text(json.dumps({"name": EVIL, "checks": {"cbs_daily_snapshot_policy": {}}}), encoding="utf-8")
    estate = tmp_path / "estate.json"
    make_estate(cbs=CbsState(disks=[Disk(account=ACCOUNT, region="ap-shanghai", disk_id="disk-1")])).save(estate)
    history = tmp_path / "history.db"
    code = main(["run", "--pack", str(pack), "--from-snapshot", str(estate), "--history", str(history)])
    captured = capsys.readouterr()
    assert code in (0, 1), captured.err
    assert_terminal_safe(captured.out)
    assert main(["history", "list", "--history", str(history)]) == 0
    out = capsys.readouterr().out
    assert_terminal_safe(out)
    assert visible(EVIL) in out and len(out.splitlines()) == 2  # the header and one run: no forged line


HOSTILE_CHECK = '''
from dr_audit.api import CheckParams, Result, check, account_ref


@check(id="acme_hostile", title=TITLE, promise="W2.3", severity="low", remediation="Nothing.", requires=("cbs",))
def hostile(estate, params: CheckParams):
    for account in estate.accounts:
        yield Result.ok(account_ref(account), "fine")
'''


def test_checks_list_shows_a_hostile_title_as_text(tmp_path, capsys):
    checks = tmp_path / "checks"
    checks.mkdir()
    title = "<img src=x onerror=alert(1)> `` | " + EVIL
    (checks / "acme.py").write_text(f"TITLE = {title!r}\n" + HOSTILE_CHECK, encoding="utf-8")
    assert main(["checks", "list", "--checks-dir", str(checks)]) == 0
    out = capsys.readouterr().out
    assert_terminal_safe(out)
    assert visible(title) in out
    assert main(["checks", "list", "--checks-dir", str(checks), "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out
    assert_markdown_without_html(markdown)
    assert visible(title) in [c.strip(" ") for c in parse_html(MARKDOWN.render(markdown)).cells]


def test_a_pack_promise_of_any_text_groups_findings_in_every_format(tmp_path, capsys):
    promise = "W\u00b2.[/]\x1b[2J<b>|"  # "²" passes str.isdigit() but not int()
    pack = tmp_path / "pack.yaml"
    pack.write_text(json.dumps({"name": "p", "checks": {"cbs_daily_snapshot_policy": {"promise": promise}}}),
                    encoding="utf-8")
    estate = tmp_path / "estate.json"
    make_estate(cbs=CbsState(disks=[Disk(account=ACCOUNT, region="ap-shanghai", disk_id="disk-1")])).save(estate)
    out = tmp_path / "out"
    code = main(["run", "--pack", str(pack), "--from-snapshot", str(estate), "--output-dir", str(out),
                 *[arg for fmt in ("table", "markdown", "html") for arg in ("--format", fmt)]])
    assert code in (0, 1), capsys.readouterr().err  # exit 4 before: int("²") in the promise sort
    table = (out / "dr-audit.txt").read_text(encoding="utf-8")
    assert_terminal_safe(table)
    assert visible(promise) in table
    markdown = (out / "dr-audit.md").read_text(encoding="utf-8")
    headings = "".join(parse_html(MARKDOWN.render(markdown)).text)
    assert_markdown_without_html(markdown)
    assert f"{visible(promise)}: 0 to act on, 1 passed" in headings


def test_pack_show_and_validate_echo_a_hostile_pack_as_text(tmp_path, capsys):
    pack = tmp_path / "pack.yaml"
    pack.write_text(json.dumps({"name": EVIL, "title": "<b>\x1b]0;title\x07\u202e",
                                "checks": {"cbs_daily_snapshot_policy": {}}}), encoding="utf-8")
    assert main(["pack", "show", str(pack)]) == 0
    shown_pack = capsys.readouterr().out
    assert_terminal_safe(shown_pack)
    assert visible(EVIL) in shown_pack.splitlines()[0]
    assert main(["pack", "validate", str(pack)]) == 0
    validated = capsys.readouterr().out
    assert_terminal_safe(validated)
    assert validated.count("\n") == 1
