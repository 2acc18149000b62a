"""HTML: a self-contained run report (no external assets) that stays usable with 100,000 findings.

Findings travel as compact JSON inside the page (strings interned once, `<` escaped so no value can close the
script element) and plain JavaScript renders them lazily, a page of rows per promise at a time, through
textContent only. Everything else goes through Jinja2 with autoescape on. The SVG helpers here serve the drill
report too.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from ..resources import bundled_dir
from .common import _promise_key
from .escape import html_text as escape
from .escape import markdown_code, markdown_text, script_json, template_value, visible

STATUSES = ("FAIL", "ERROR", "WAIVED", "MANUAL", "PASS")
SEVERITIES = ("critical", "high", "medium", "low", "info")
COLOURS = ("#c62828", "#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#827717", "#4e342e", "#ad1457",
           "#283593")


def environment() -> Environment:
    """Templates from reports/ (bundled in the wheel); HTML and Markdown templates alike are autoescaped for HTML
    only when their name says .html."""
    env = Environment(loader=FileSystemLoader(str(bundled_dir("reports"))),
                      autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                      finalize=template_value)  # no control character reaches a page, whatever the template forgot
    env.filters["md"] = markdown_text
    env.filters["code"] = markdown_code
    return env


def compact_findings(findings: list[dict[str, Any]]) -> dict[str, Any]:
    """Findings as rows of indexes into one string table: a 100,000-finding report stays a few megabytes."""
    strings: list[str] = []
    index: dict[str, int] = {}

    def ref(value: Any) -> int:
        text = visible(value, keep="\n\t")  # shown through textContent, so only controls need care
        found = index.get(text)
        if found is None:
            found = index[text] = len(strings)
            strings.append(text)
        return found

    rows = []
    for f in findings:
        res = f["resource"]
        rows.append([ref(f["status"]), ref(f["severity"]), ref(f["check_id"]), ref(f["promise"]), ref(res["type"]),
                     ref(res["id"]), ref(res.get("region", "")), ref(res.get("account", "")), ref(f.get("message")),
                     ref(f.get("remediation")), ref(f.get("change", ""))])
    return {"strings": strings, "rows": rows}


def trend_svg(trend: list[dict[str, Any]], width: int = 760, height: int = 220) -> Markup:
    """Failures per promise over the stored runs: one line per promise, oldest run on the left."""
    promises = sorted({p for run in trend for p in run["failures"]}, key=_promise_key)
    if len(trend) < 1 or not promises:
        return Markup("")
    left, right, top, bottom = 44, 150, 14, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([max(run["failures"].values(), default=0) for run in trend] + [1])
    step = plot_w / max(len(trend) - 1, 1)

    def x(i: int) -> float:
        return left + (i * step if len(trend) > 1 else plot_w / 2)

    def y(value: int) -> float:
        return top + plot_h - value / peak * plot_h

    parts = [f'<svg role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" aria-label="failures per promise over the last {len(trend)} runs">',
             f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fafafa" stroke="#ccc"/>',
             f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="11">{peak}</text>',
             f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" font-size="11">0</text>',
             f'<text x="{left}" y="{height - 8}" font-size="11">{escape(trend[0]["started_at"][:10])}</text>',
             f'<text x="{left + plot_w}" y="{height - 8}" text-anchor="end" font-size="11">'
             f'{escape(trend[-1]["started_at"][:10])}</text>']
    for n, promise in enumerate(promises):
        colour = COLOURS[n % len(COLOURS)]
        points = " ".join(f"{x(i):.1f},{y(run['failures'].get(promise, 0)):.1f}" for i, run in enumerate(trend))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        for i, run in enumerate(trend):
            count = run["failures"].get(promise, 0)
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(count):.1f}" r="2.5" fill="{colour}">'
                         f'<title>{escape(promise)}: {count} FAIL in {escape(run["run_id"])}</title></circle>')
        parts.append(f'<rect x="{left + plot_w + 12}" y="{top + n * 16}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{left + plot_w + 28}" y="{top + n * 16 + 9}" font-size="11">{escape(promise)} '
                     f'({trend[-1]["failures"].get(promise, 0)})</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped


def objectives_svg(rows: list[dict[str, Any]], width: int = 980) -> Markup:
    """Measured against target per row (a tier of a drill, or a drill): bars scaled to the target, red when over.

    Each row: label, objective (RTO/RPO), target and measured minutes (measured None = not measured).
    """
    if not rows:
        return Markup("")
    bar_h, gap, left, right = 16, 10, 250, 230
    height = len(rows) * (bar_h + gap) + 30
    plot_w = width - left - right
    scale = max([max(r["target"], r["measured"] or 0) for r in rows] + [1])
    parts = [f'<svg role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" aria-label="measured RTO and RPO against targets">']
    for i, row in enumerate(rows):
        top = 10 + i * (bar_h + gap)
        target_x = left + row["target"] / scale * plot_w
        measured = row["measured"]
        parts.append(f'<text x="{left - 8}" y="{top + 12}" text-anchor="end" font-size="12">'
                     f'{escape(row["label"])} {escape(row["objective"])}</text>')
        if measured is None:
            parts.append(f'<rect x="{left}" y="{top}" width="{plot_w}" height="{bar_h}" fill="none" '
                         f'stroke="#b71c1c" stroke-dasharray="4 3"/>')
            text = f"not measured (target {row['target']:g} min)"
        else:
            colour = "#2e7d32" if measured <= row["target"] else "#c62828"
            parts.append(f'<rect x="{left}" y="{top}" width="{max(measured / scale * plot_w, 1):.1f}" '
                         f'height="{bar_h}" fill="{colour}"><title>{measured:g} min</title></rect>')
            text = f"{measured:g} / {row['target']:g} min"
        parts.append(f'<line x1="{target_x:.1f}" x2="{target_x:.1f}" y1="{top - 3}" y2="{top + bar_h + 3}" '
                     f'stroke="#000" stroke-width="2"><title>target {row["target"]:g} min</title></line>')
        parts.append(f'<text x="{left + plot_w + 8}" y="{top + 12}" font-size="12">{escape(text)}</text>')
    parts.append(f'<text x="{left}" y="{height - 4}" font-size="11">bar: measured; black line: target '
                 f'(scale 0 to {scale:g} min)</text></svg>')
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped


def render(report: dict[str, Any], *, trend: list[dict[str, Any]] | None = None, page_size: int = 100,
           **_: Any) -> str:
    findings = report["findings"]
    by_promise: dict[str, Counter[str]] = {}
    for f in findings:
        by_promise.setdefault(f["promise"], Counter())[f["status"]] += 1
    promises = [(p, " · ".join(f"{s} {by_promise[p][s]}" for s in STATUSES if by_promise[p][s]))
                for p in sorted(by_promise, key=_promise_key)]
    titles = {c["id"]: c["title"] for c in report.get("checks", [])}
    data = compact_findings(findings) | {"titles": titles, "pageSize": page_size}
    template = environment().get_template("run.html.j2")
    return template.render(report=report, run=report["run"], summary=report["summary"], promises=promises,
                           statuses=STATUSES, severities=SEVERITIES, data=script_json(data),
                           trend=trend_svg(trend) if trend else Markup(""), trend_runs=len(trend or []),
                           not_applicable=[c for c in report.get("checks", []) if not c.get("applicable", True)])
