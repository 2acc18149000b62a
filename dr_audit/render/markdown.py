"""Markdown: a report short enough for a pull-request comment; what needs action comes first."""

from __future__ import annotations

from typing import Any

from .common import CHANGE_ORDER, STATUS_ORDER, grouped_by_promise
from .escape import markdown_code, markdown_text


def render(report: dict[str, Any], *, max_rows: int = 500, **_: Any) -> str:
    run, summary = report["run"], report["summary"]
    lines = [
        f"# dr-audit: {markdown_text(run['pack'])} ({markdown_text(run['source'])})",
        "",
        " · ".join(f"**{markdown_text(status)}** {count}" for status, count in summary.items()),
        "",
    ]
    findings = report["findings"]
    if any("change" in f for f in findings):
        weakened = [f for f in findings if f.get("change") == "weakened"]
        lines += [f"**{len(weakened)} safeguard(s) weakened by this change.**", ""]
        findings = sorted(findings, key=lambda f: (CHANGE_ORDER.get(f.get("change", ""), 9), STATUS_ORDER[f["status"]]))
        lines += ["| change | status | severity | check | resource | message |", "|---|---|---|---|---|---|"]
        # A PR comment shows what needs a look: every non-PASS, and the passes this change brought about.
        shown = [f for f in findings if f["status"] != "PASS" or f.get("change") == "improved"]
        for f in shown[:max_rows]:
            lines.append(f"| {markdown_text(f.get('change', ''))} | {markdown_text(f['status'])} | "
                         f"{markdown_text(f['severity'])} | {markdown_code(f['check_id'])} | "
                         f"{markdown_code(f['resource']['id'])} | {markdown_text(f['message'])} |")
        if len(shown) > max_rows:
            lines.append(f"\n_Only the first {max_rows} findings are shown; see the JSON report for all._")
        return "\n".join(lines + _waiver_lines(report)) + "\n"
    written = 0
    for promise, group in grouped_by_promise(findings):
        actionable = [f for f in group if f["status"] != "PASS"]
        vacuous = sum(1 for f in group if f["status"] == "PASS" and (f.get("evidence") or {}).get("examined") == 0)
        lines.append(f"## {markdown_text(promise)}: {len(actionable)} to act on, {len(group) - len(actionable)} passed"
                     + (f" ({vacuous} of them 0 examined)" if vacuous else ""))
        lines.append("")
        if actionable:
            lines += ["| status | severity | check | resource | message | remediation |", "|---|---|---|---|---|---|"]
            for f in actionable:
                if written >= max_rows:
                    break
                written += 1
                res = f["resource"]
                # An account-wide finding's id is the account: saying it twice in one cell tells nothing more.
                account = res.get("account", "") if res.get("account") != res["id"] else ""
                where = "/".join(part for part in (account, res.get("region", "")) if part)
                lines.append(f"| {markdown_text(f['status'])} | {markdown_text(f['severity'])} | "
                             f"{markdown_code(f['check_id'])} | {markdown_code(res['id'])} {markdown_text(where)} | "
                             f"{markdown_text(f['message'])} | {markdown_text(f.get('remediation', ''))} |")
            lines.append("")
    if written >= max_rows:
        lines.append(f"_Only the first {max_rows} findings are shown; see the JSON report for all._")
    return "\n".join(lines + _waiver_lines(report)) + "\n"


def _waiver_lines(report: dict[str, Any]) -> list[str]:
    """Expired and stale waivers, so the PR that could clean them up sees them."""
    waivers = report.get("waivers") or {}
    lines = []
    for kind, why in (("expired", "expired: the FAIL is reported again"), ("stale", "stale: matches no FAIL")):
        for w in waivers.get(kind, []):
            lines.append(f"- {markdown_code(w['check'], in_table=False)} on "
                         f"{markdown_code(w['resource'], in_table=False)} (owner {markdown_text(w['owner'])}, "
                         f"expires {markdown_text(w['expires'])}): {why}")
    return ["", "**Waivers needing attention**", "", *lines] if lines else []
