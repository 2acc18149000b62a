"""The terminal table: findings grouped by promise, coloured by status, ending with a summary."""

from __future__ import annotations

import io
import shutil
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .common import CHANGE_ORDER, grouped_by_promise
from .escape import terminal, terminal_text

STYLE = {"PASS": "green", "FAIL": "bold red", "ERROR": "yellow", "WAIVED": "cyan", "MANUAL": "magenta"}
CHANGE_STYLE = {"weakened": "bold red", "improved": "green", "new": "", "unchanged": "dim"}


def render(report: dict[str, Any], *, colour: bool = False, show_pass: bool = False, width: int | None = None,
           report_path: str | None = None, **_: Any) -> str:
    buffer = io.StringIO()
    width = width or shutil.get_terminal_size((140, 40)).columns
    console = Console(file=buffer, force_terminal=colour, no_color=not colour, width=width, highlight=False,
                      markup=False, emoji=False)  # a stray string is still never read as markup
    run = report["run"]
    # Every value below comes from the estate or a file: it is added as Text, never parsed as markup.
    console.print(Text.assemble(("dr-audit", "bold"), f" pack {terminal(run['pack'])} · {terminal(run['source'])} · "
                                f"account(s) {', '.join(map(terminal, run['accounts'])) or '-'} · region(s) "
                                f"{', '.join(map(terminal, run['regions'])) or '-'}"))
    # A plan marks each finding weakened, improved, unchanged or new against the estate it replaces (DESIGN.md).
    changes = any("change" in f for f in report["findings"])
    if changes:
        weakened = sum(1 for f in report["findings"] if f.get("change") == "weakened")
        console.print(Text(f"{weakened} safeguard(s) weakened by this change", "bold red" if weakened else ""))
    console.print()
    titles = {c["id"]: c["title"] for c in report.get("checks", [])}
    for promise, group in grouped_by_promise(report["findings"]):
        # What a change improved is shown beside what it broke, as the Markdown summary does.
        shown = group if show_pass else [f for f in group if f["status"] != "PASS" or f.get("change") == "improved"]
        if changes:
            shown = sorted(shown, key=lambda f: CHANGE_ORDER.get(f.get("change", ""), 9))
        passed = sum(1 for f in group if f["status"] == "PASS")
        # A PASS over nothing must not read like a PASS over something.
        vacuous = sum(1 for f in group if f["status"] == "PASS" and (f.get("evidence") or {}).get("examined") == 0)
        passed_text = f"{passed} passed" + (f", {vacuous} of them 0 examined" if vacuous else "")
        table = Table(title=terminal_text(f"{promise}  ({len(group) - passed} to act on, {passed_text})"),
                      title_justify="left",
                      show_lines=False, expand=True)
        if changes:
            table.add_column("change", no_wrap=True)
        table.add_column("status", no_wrap=True)
        table.add_column("sev", no_wrap=True)
        table.add_column("check", overflow="fold")
        table.add_column("resource", overflow="fold")
        table.add_column("why", overflow="fold", ratio=2)
        for f in shown:
            res = f["resource"]
            where = " ".join(part for part in (res.get("region", ""),) if part)
            marker = [terminal_text(f.get("change", ""), CHANGE_STYLE.get(f.get("change", ""), ""))] if changes else []
            table.add_row(*marker, terminal_text(f["status"], STYLE.get(f["status"], "")), terminal_text(f["severity"]),
                          terminal_text(f["check_id"]),
                          terminal_text(f"{res['id']}" + (f" ({where})" if where else "")), terminal_text(f["message"]))
        if shown:
            console.print(table)
        else:
            console.print(Text.assemble((terminal(promise), "bold"), f"  all {passed_text}: " + ", ".join(
                sorted({terminal(titles.get(f['check_id'], f['check_id'])) for f in group}))))
    summary = report["summary"]
    console.print()
    parts: list[str | tuple[str, str]] = []
    for status, count in summary.items():
        parts += [(f"{terminal(status)} {count}", STYLE.get(status, "")), "  "]
    console.print(Text.assemble(*parts[:-1]))
    not_applicable = [c["id"] for c in report.get("checks", []) if not c["applicable"]]
    if not_applicable:
        console.print(Text(f"not applicable to this source: {', '.join(map(terminal, not_applicable))}"))
    if report_path:
        console.print(Text(f"full report: {terminal(report_path)}"))
    else:
        console.print("full report: rerun with --format json --output report.json (or --format html)")
    return buffer.getvalue()
