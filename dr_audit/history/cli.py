"""`dr-audit history list|show`: the runs the history store holds. Thin: parse and call."""

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

history_app = typer.Typer(help="Runs recorded in the history store.", no_args_is_help=True)

HistoryOption = Annotated[Path | None, typer.Option("--history", help="History store (SQLite file) [user data dir].")]
HistoryUrlOption = Annotated[str | None, typer.Option("--history-url", help="History store URL: SQLite or PostgreSQL.")]
DemoStoreOption = Annotated[bool, typer.Option("--demo", help="Use the demo's history store (runs with --demo).")]


class Format(StrEnum):
    table = "table"
    json = "json"


def _table(rows: list[dict[str, Any]]) -> str:
    from ..render.escape import terminal  # sources, packs and users come from files and the environment

    if not rows:
        return "no runs in the history store\n"
    headers = ["id", "kind", "started", "source", "pack", "FAIL", "ERROR", "PASS", "who"]
    table = [[terminal(value) for value in (r["id"], r["kind"], r["started_at"], r["source"], r["pack"],
                                            r["summary"].get("FAIL", 0), r["summary"].get("ERROR", 0),
                                            r["summary"].get("PASS", 0), r["who"])] for r in rows]
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *table, strict=False)]
    return "\n".join("  ".join(str(v).ljust(w) for v, w in zip(line, widths, strict=True)).rstrip()
                     for line in [headers, *table]) + "\n"


@history_app.command("list")
def list_runs(
    fmt: Annotated[Format, typer.Option("--format", help="table or json.")] = Format.table,
    limit: Annotated[int, typer.Option(help="Show this many of the newest runs.", min=1)] = 50,
    history: HistoryOption = None,
    history_url: HistoryUrlOption = None,
    demo: DemoStoreOption = False,
) -> None:
    """The newest runs, plans and drill openings: id, when, source, pack, summary, who ran them."""
    from . import HistoryStore
    from .location import store_for

    history, history_url = store_for(history, history_url, demo)

    with HistoryStore.open(history, history_url) as store:
        rows = store.list_runs(limit)
    sys.stdout.write(json.dumps(rows, indent=2) + "\n" if fmt is Format.json else _table(rows))


@history_app.command("show")
def show(
    run_id: Annotated[str, typer.Argument(help="A run id from `dr-audit history list`.")],
    fmt: Annotated[Format, typer.Option("--format", help="table or json (the run's JSON report).")] = Format.table,
    history: HistoryOption = None,
    history_url: HistoryUrlOption = None,
    demo: DemoStoreOption = False,
) -> None:
    """One stored run: its JSON report (--format json, usable by `dr-audit diff`) or the findings table."""
    from ..render import render
    from ..render.escape import json_dumps, terminal
    from . import HistoryStore
    from .location import store_for

    history, history_url = store_for(history, history_url, demo)

    with HistoryStore.open(history, history_url) as store:
        report = store.get_run(run_id)
    if fmt is Format.json:
        report.pop("history", None)
        sys.stdout.write(json_dumps(report, indent=2) + "\n")
    else:
        meta = report["history"]
        sys.stdout.write(terminal(f"run {run_id} ({meta['kind']}) by {meta['who']}, {report['run']['started_at']}")
                         + "\n")
        sys.stdout.write(render(report, "table"))


def load_report_or_run(reference: str, history: Path | None, history_url: str | None) -> dict[str, Any]:
    """A report from a JSON file, or a stored run's report when `reference` is not a file but a run id."""
    from ..diff import load_report
    from ..errors import BadInput
    from . import HistoryStore

    path = Path(reference)
    if path.exists() or not reference.startswith("run-"):
        return load_report(path)
    with HistoryStore.open(history, history_url) as store:
        if not store.has_run(reference):
            raise BadInput(f"{reference}: neither a report file nor a run in the history store {store.location}")
        report = store.get_run(reference)
    report.pop("history", None)
    return report
