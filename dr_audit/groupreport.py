"""`dr-audit report --run-group ID`: read a run group's shards from the history store, merge them, and write the
merged report in any format, with the run group, per-account and promise-by-account sections where a format has
room for them (table, Markdown, HTML; JSON carries them as fields)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import BadInput
from .findings import Severity, Status
from .outputs import check_output_dir, check_output_file, write_atomic
from .render import FORMATS, render
from .render.escape import html_text, markdown_text, terminal
from .runner import EXIT_ERROR, EXIT_FAIL, EXTENSIONS, exit_code_for

COUNTED = (Status.FAIL, Status.ERROR, Status.WAIVED, Status.MANUAL, Status.PASS)


@dataclass
class GroupOutcome:
    report: dict[str, Any]
    exit_code: int
    stdout: str = ""
    written: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def report_group(run_group: str, formats: list[str], output: Path | None, output_dir: Path | None,
                 fail_on: Severity, history: Path | None, history_url: str | None,
                 colour: bool = False) -> GroupOutcome:
    """Merge the group's shards and write the report; exit codes as for `run`, a missing shard counting as an
    audit that could not be completed (3, unless a FAIL at or above `fail_on` makes it 1)."""
    from .history import HistoryStore
    from .history.groups import group_shards
    from .merge import merge_group
    from .shards import check_run_group

    check_run_group(run_group)
    _check_outputs(formats, output, output_dir)
    with HistoryStore.open(history, history_url) as store:
        count, shards = group_shards(store, run_group)
    report = merge_group(run_group, count, shards)
    outcome = GroupOutcome(report, exit_code(report, fail_on))
    missing = report["run"]["run_group"]["missing"]
    if missing:
        outcome.notes.append(f"run group {run_group}: shard(s) {', '.join(f'{i}/{count}' for i in missing)} have not "
                             f"reported; {len(report['run']['accounts_missing'])} account(s) known to be unaudited")
    texts = {fmt: render_merged(report, fmt, colour=colour and output is None and output_dir is None)
             for fmt in formats}
    if output_dir is not None:
        try:
            output_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BadInput(f"--output-dir {output_dir}: cannot create it: {exc.strerror}") from None
        for fmt, text in texts.items():
            path = output_dir / f"dr-audit.{EXTENSIONS[fmt]}"
            write_atomic(path, text, "--output-dir")
            outcome.written.append(path)
    elif output is not None:
        write_atomic(output, texts[formats[0]])
        outcome.written.append(output)
    else:
        outcome.stdout = texts[formats[0]]
    return outcome


def exit_code(report: dict[str, Any], fail_on: Severity) -> int:
    """As for `run`; shards that have not reported make the audit incomplete, like an ERROR."""
    code = exit_code_for(report["findings"], fail_on)
    return EXIT_ERROR if code != EXIT_FAIL and report["run"]["run_group"]["missing"] else code


def _check_outputs(formats: list[str], output: Path | None, output_dir: Path | None) -> None:
    for fmt in formats:
        if fmt not in FORMATS:
            raise BadInput(f"--format {fmt!r} is not available (choose from {', '.join(sorted(FORMATS))})")
    if len(formats) > 1 and output_dir is None:
        raise BadInput("several --format values need --output-dir DIR (one file per format)")
    if output is not None and output_dir is not None:
        raise BadInput("give --output or --output-dir, not both")
    if output is not None:
        check_output_file(output, "--output")
    if output_dir is not None:
        check_output_dir(output_dir, "--output-dir")


def render_merged(report: dict[str, Any], fmt: str, **options: Any) -> str:
    """The format's own rendering of the merged report, with the group's sections added to table, Markdown and HTML
    (SARIF, JUnit and CSV hold findings only; the JSON document has the sections as fields)."""
    text = render(report, fmt, **options)
    sections: dict[str, Callable[[dict[str, Any]], str]] = {"table": table_sections,
                                                            "markdown": markdown_sections}
    if fmt in sections:
        return text.rstrip("\n") + "\n\n" + sections[fmt](report)
    if fmt == "html":
        where = text.rfind("</body>")
        return text[:where] + html_sections(report) + text[where:] if where >= 0 else text + html_sections(report)
    return text


def _group_line(report: dict[str, Any]) -> str:
    group = report["run"]["run_group"]
    line = f"Run group {group['id']}: {len(group['present'])} of {group['shards']} shard(s) reported"
    if group["missing"]:
        line += "; MISSING shard(s) " + ", ".join(f"{i}/{group['shards']}" for i in group["missing"])
    return line


def _rollup_rows(report: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    headers = ["account", "name", "unit", "status", "shard", *COUNTED]
    rows = [[r["account"], r["name"], r["unit"], r["status"], "" if r["shard"] is None else str(r["shard"]),
             *(str(r["summary"].get(s, 0)) for s in COUNTED)] for r in report["account_rollup"]]
    return headers, rows


def _matrix_rows(report: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    matrix = report["promise_matrix"]
    headers = ["account", *matrix["promises"]]
    rows = [[row["account"], *(row["cells"][p] or "-" for p in matrix["promises"])] for row in matrix["rows"]]
    return headers, rows


def _fixed(headers: list[str], rows: list[list[str]]) -> str:
    cells = [[terminal(v) for v in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells)


def table_sections(report: dict[str, Any]) -> str:
    parts = [terminal(_group_line(report)), "", "Accounts", _fixed(*_rollup_rows(report)), "",
             "Promise by account (worst status)", _fixed(*_matrix_rows(report))]
    excluded = [s for s in report["run"]["account_status"] if s["status"] == "excluded"]
    if excluded:
        parts += ["", "Excluded", *(terminal(f"{s['account']}  {s.get('reason', '')}") for s in excluded)]
    return "\n".join(parts) + "\n"


def _markdown_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(markdown_text(h) for h in headers) + " |", "|" + "---|" * len(headers),
            *("| " + " | ".join(markdown_text(v) for v in row) + " |" for row in rows)]


def markdown_sections(report: dict[str, Any]) -> str:
    lines = [f"## {markdown_text(_group_line(report))}", "", "### Accounts", "",
             *_markdown_table(*_rollup_rows(report)), "", "### Promise by account (worst status)", "",
             *_markdown_table(*_matrix_rows(report))]
    return "\n".join(lines) + "\n"


def _html_table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html_text(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html_text(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def html_sections(report: dict[str, Any]) -> str:
    return (f'<section id="run-group"><h2>{html_text(_group_line(report))}</h2>'
            f"<h3>Accounts</h3>{_html_table(*_rollup_rows(report))}"
            f"<h3>Promise by account (worst status)</h3>{_html_table(*_matrix_rows(report))}</section>\n")
