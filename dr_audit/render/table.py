"""The terminal table: findings grouped by promise, coloured by status, ending with a summary."""

from __future__ import annotations

import io
import shutil
from typing import Any

from rich.console import Console
from rich.table import Table

from .common import grouped_by_promise

STYLE = {"PASS": "green", "FAIL": "bold red", "ERROR": "yellow", "WAIVED": "cyan", "MANUAL": "magenta"}


def render(report: dict[str, Any], *, colour: bool = False, show_pass: bool = False, width: int | None = None,
           report_path: str | None = None, **_: Any) -> str:
    buffer = io.StringIO()
    width = width or shutil.get_terminal_size((140, 40)).columns
    console = Console(file=buffer, force_terminal=colour, no_color=not colour, width=width, highlight=False)
    run = report["run"]
    console.print(f"[bold]dr-audit[/] pack {run['pack']} · {run['source']} · account(s) "
                  f"{', '.join(run['accounts']) or '-'} · region(s) {', '.join(run['regions']) or '-'}")
    console.print()
    titles = {c["id"]: c["title"] for c in report.get("checks", [])}
    for promise, group in grouped_by_promise(report["findings"]):
        shown = group if show_pass else [f for f in group if f["status"] != "PASS"]
        passed = sum(1 for f in group if f["status"] == "PASS")
        # A PASS over nothing must not read like a PASS over something.
        vacuous = sum(1 for f in group if f["status"] == "PASS" and (f.get("evidence") or {}).get("examined") == 0)
        passed_text = f"{passed} passed" + (f", {vacuous} of them 0 examined" if vacuous else "")
        table = Table(title=f"{promise}  ({len(group) - passed} to act on, {passed_text})", title_justify="left",
                      show_lines=False, expand=True)
        table.add_column("status", no_wrap=True)
        table.add_column("sev", no_wrap=True)
        table.add_column("check", overflow="fold")
        table.add_column("resource", overflow="fold")
        table.add_column("why", overflow="fold", ratio=2)
        for f in shown:
            res = f["resource"]
            where = " ".join(part for part in (res.get("region", ""),) if part)
            table.add_row(f"[{STYLE[f['status']]}]{f['status']}[/]", f["severity"], f["check_id"],
                          f"{res['id']}" + (f" ({where})" if where else ""), f["message"])
        if shown:
            console.print(table)
        else:
            console.print(f"[bold]{promise}[/]  all {passed_text}: " + ", ".join(
                sorted({titles.get(f['check_id'], f['check_id']) for f in group})))
    summary = report["summary"]
    console.print()
    console.print("  ".join(f"[{STYLE[s]}]{s} {n}[/]" for s, n in summary.items()))
    not_applicable = [c["id"] for c in report.get("checks", []) if not c["applicable"]]
    if not_applicable:
        console.print(f"not applicable to this source: {', '.join(not_applicable)}")
    if report_path:
        console.print(f"full report: {report_path}")
    else:
        console.print("full report: rerun with --format json --output report.json (or --format html)")
    return buffer.getvalue()
