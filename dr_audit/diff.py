"""Comparing two reports: what is new, resolved, persisting, regressed or newly unevaluable, and baselines for CI.

Findings are matched on their stable id (check, account, region, resource). `load_report` is the one place a
report is read, so other sources of runs (the history store) can hand reports in the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import BadInput
from .findings import Severity, Status
from .inputs import parse_json, read_text

BAD = ("FAIL", "ERROR")


def load_report(path: Path) -> dict[str, Any]:
    """A JSON report (DESIGN.md §6) from a file; anything else is one line of bad input."""
    report = parse_json(read_text(path, "report file"), path, "report")
    version = report.get("schema_version") if isinstance(report, dict) else None
    if type(version) is not int or version != 1:  # `true == 1` in Python: a boolean is not a version
        raise BadInput(f"{path}: not a dr-audit JSON report with schema_version 1 "
                       "(write one with --format json)")
    findings = report.get("findings")
    if not isinstance(findings, list):
        raise BadInput(f"{path}: the report's findings are not a list of findings with id and status")
    for position, finding in enumerate(findings):
        if problem := finding_problem(finding):
            raise BadInput(f"{path}: findings[{position}]: {problem}")
    return report


STATUSES = frozenset(Status)
SEVERITIES = frozenset(Severity)


def finding_problem(finding: Any) -> str | None:
    """Why a report's finding cannot be compared, or None: the fields a diff or baseline reads, of their types."""
    if not isinstance(finding, dict):
        return "not an object with id and status"
    if not isinstance(finding.get("id"), str):
        return "id is missing or not a string"
    status = finding.get("status")
    if not isinstance(status, str) or status not in STATUSES:
        return f"status {str(finding.get('status'))[:40]!r} is not one of {', '.join(sorted(STATUSES))}"
    severity = finding.get("severity", "info")
    if not isinstance(severity, str) or severity not in SEVERITIES:
        return f"severity {str(finding['severity'])[:40]!r} is not one of {', '.join(sorted(SEVERITIES))}"
    for key in ("check_id", "message"):
        if key in finding and not isinstance(finding[key], str):
            return f"{key} is not a string"
    resource = finding.get("resource")
    if resource is not None and not (isinstance(resource, dict) and isinstance(resource.get("id", ""), str)):
        return "resource is not an object with a string id"
    return None


@dataclass
class ReportDiff:
    new: list[dict[str, Any]] = field(default_factory=list)
    resolved: list[dict[str, Any]] = field(default_factory=list)
    persisting: list[dict[str, Any]] = field(default_factory=list)
    regressed: list[dict[str, Any]] = field(default_factory=list)
    newly_unevaluable: list[dict[str, Any]] = field(default_factory=list)

    CATEGORIES = ("regressed", "new", "newly_unevaluable", "persisting", "resolved")

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.CATEGORIES}


def diff_reports(old: dict[str, Any], new: dict[str, Any]) -> ReportDiff:
    """Classify every finding that is a problem in either report."""
    before = {f["id"]: f for f in old["findings"]}
    after = {f["id"]: f for f in new["findings"]}
    result = ReportDiff()
    for finding_id, finding in after.items():
        earlier = before.get(finding_id)
        entry = _entry(finding, earlier)
        status = finding["status"]
        if status == "ERROR":
            if earlier is None or earlier["status"] != "ERROR":
                result.newly_unevaluable.append(entry)
        elif status == "FAIL":
            if earlier is None:
                result.new.append(entry)
            elif earlier["status"] == "FAIL":
                result.persisting.append(entry)
            else:
                result.regressed.append(entry)
        elif earlier is not None and earlier["status"] in BAD:
            result.resolved.append(entry)
    for finding_id, earlier in before.items():
        if finding_id not in after and earlier["status"] in BAD:
            result.resolved.append({**_entry(earlier, earlier), "status": "gone", "was": earlier["status"]})
    return result


def _entry(finding: dict[str, Any], earlier: dict[str, Any] | None) -> dict[str, Any]:
    resource = finding.get("resource") or {}
    return {"id": finding["id"], "check_id": finding.get("check_id", ""), "severity": finding.get("severity", "info"),
            "status": finding["status"], "was": earlier["status"] if earlier else None,
            "resource": resource, "message": finding.get("message", "")}


def diff_exit_code(diff: ReportDiff, fail_on: Severity) -> int:
    """1 when something regressed or a new FAIL is at/above fail_on; 3 when only evaluability got worse; else 0."""
    if diff.regressed or any(Severity(e["severity"]).at_least(fail_on) for e in diff.new):
        return 1
    if diff.newly_unevaluable:
        return 3
    return 0


def render_diff(diff: ReportDiff, fmt: str) -> str:
    from .render.escape import json_dumps, markdown_code, markdown_text, terminal

    if fmt == "json":
        counts = {name: len(getattr(diff, name)) for name in diff.CATEGORIES}
        return json_dumps({"counts": counts, **diff.as_dict()}, indent=2) + "\n"
    titles = {"regressed": "Regressed (was passing, now FAIL)", "new": "New FAIL",
              "newly_unevaluable": "Newly unevaluable (now ERROR)", "persisting": "Still failing",
              "resolved": "Resolved"}
    lines: list[str] = []
    if fmt == "markdown":
        lines += ["# dr-audit diff", "",
                  " · ".join(f"**{titles[n]}** {len(getattr(diff, n))}" for n in diff.CATEGORIES), ""]
        for name in diff.CATEGORIES:
            entries = getattr(diff, name)
            if not entries:
                continue
            lines += [f"## {titles[name]}", "", "| severity | check | resource | was → now | message |",
                      "|---|---|---|---|---|"]
            for e in entries:
                lines.append(f"| {markdown_text(e['severity'])} | {markdown_code(e['check_id'])} | "
                             f"{markdown_code(e['resource'].get('id', ''))} | {markdown_text(e['was'] or '-')} → "
                             f"{markdown_text(e['status'])} | {markdown_text(e['message'])} |")
            lines.append("")
        return "\n".join(lines) + "\n"
    for name in diff.CATEGORIES:
        entries = getattr(diff, name)
        lines.append(f"{titles[name]}: {len(entries)}")
        for e in entries:
            lines.append(terminal(f"  {e['severity']:<8} {e['check_id']:<36} {e['resource'].get('id', '')}  "
                                  f"({e['was'] or '-'} -> {e['status']}) {e['message']}"))
    return "\n".join(lines) + "\n"


def apply_baseline(report: dict[str, Any], baseline: dict[str, Any]) -> None:
    """Mark each finding new, regressed or existing against the baseline report (the exit code counts the first two).

    Regressed: the finding is now FAIL or ERROR and was neither in the baseline. A finding that was ERROR and is now
    FAIL is regressed too: the baseline never showed it failing.
    """
    before = {f["id"]: f for f in baseline["findings"]}
    for finding in report["findings"]:
        earlier = before.get(finding["id"])
        if earlier is None:
            finding["baseline"] = "new"
        elif finding["status"] in BAD and (earlier["status"] not in BAD or
                                           (finding["status"] == "FAIL" and earlier["status"] == "ERROR")):
            finding["baseline"] = "regressed"
        else:
            finding["baseline"] = "existing"


def gating_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The findings that decide the exit code: under a baseline only the new and regressed ones."""
    findings = report["findings"]
    if any("baseline" in f for f in findings):
        return [f for f in findings if f.get("baseline") in ("new", "regressed")]
    return findings
