"""SARIF 2.1.0: findings as code-scanning results, each check a rule, pointing at the .tf line when it is known."""

from __future__ import annotations

from typing import Any

from .escape import json_dumps, sarif_markdown, sarif_text, visible

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/dr-audit/dr-audit"
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
# GitHub code scanning ranks security results by this number (0-10).
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}
REPORTED = ("FAIL", "ERROR", "WAIVED", "MANUAL")  # a PASS is not something to show in code scanning


def _uri(path: str) -> str:
    return path.replace("\\", "/").removeprefix("./")


def _rule(check: dict[str, Any], remediation: str) -> dict[str, Any]:
    severity = check.get("severity", "medium")
    help_text = remediation or check["title"]
    rule: dict[str, Any] = {
        "id": check["id"],
        "name": "".join(part.capitalize() for part in check["id"].split("_")),
        # Message strings: plain text where a viewer may still find embedded links, GFM where it renders Markdown.
        "shortDescription": {"text": sarif_text(check["title"])},
        "fullDescription": {"text": sarif_text(check.get("risk") or check["title"])},
        "help": {"text": sarif_text(help_text),
                 "markdown": f"**{sarif_markdown(check['title'])}**\n\n{sarif_markdown(help_text)}"},
        "defaultConfiguration": {"level": LEVEL.get(severity, "warning")},
        "properties": {"tags": ["security", "disaster-recovery", check.get("promise", "")],
                       "security-severity": SECURITY_SEVERITY.get(severity, "5.0"), "precision": "high",
                       "problem.severity": "error" if LEVEL.get(severity) == "error" else "warning"},
    }
    return rule


def _result(finding: dict[str, Any], rule_index: int, input_file: str | None) -> dict[str, Any]:
    resource = finding["resource"]
    status = finding["status"]
    text = finding.get("message") or finding["check_id"]
    if status == "ERROR":
        text = f"could not be evaluated: {text}"
    result: dict[str, Any] = {
        "ruleId": finding["check_id"],
        "ruleIndex": rule_index,
        # SARIF allows a level other than "none" only for kind "fail".
        "kind": "fail" if status in ("FAIL", "WAIVED") else "open" if status == "ERROR" else "review",
        "level": LEVEL.get(finding["severity"], "warning") if status in ("FAIL", "WAIVED") else "none",
        "message": {"text": sarif_text(f"{resource['id']}: {text}")},
        "partialFingerprints": {"drAuditFindingId/v1": finding["id"]},
        "properties": {"status": status, "severity": finding["severity"], "promise": finding.get("promise", ""),
                       "resourceType": resource.get("type", ""), "region": resource.get("region", ""),
                       "account": resource.get("account", "")},
    }
    for key in ("change", "baseline"):
        if key in finding:
            result["properties"][key] = finding[key]
    location: dict[str, Any] = {"logicalLocations": [{"fullyQualifiedName": visible(resource["id"]),
                                                      "kind": "resource"}]}
    where = finding.get("location") or {}
    artifact = where.get("file") or input_file
    if artifact:
        physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(artifact)}}
        if where.get("line"):
            physical["region"] = {"startLine": int(where["line"])}
        location["physicalLocation"] = physical
    result["locations"] = [location]
    waiver = finding.get("waiver")
    if status == "WAIVED" and waiver:
        result["suppressions"] = [{"kind": "external", "status": "accepted",
                                   "justification": visible(f"{waiver.get('reason', '')} (owner "
                                                            f"{waiver.get('owner', '')}, expires "
                                                            f"{waiver.get('expires', '')})", keep="\n")}]
    return result


def render(report: dict[str, Any], **_: Any) -> str:
    findings = [f for f in report["findings"] if f["status"] in REPORTED]
    remediation: dict[str, str] = {}
    for finding in report["findings"]:
        if finding.get("remediation"):
            remediation.setdefault(finding["check_id"], finding["remediation"])
    checks = {c["id"]: c for c in report.get("checks", [])}
    for finding in findings:  # a finding of a check the report does not describe still needs its rule
        checks.setdefault(finding["check_id"], {"id": finding["check_id"], "title": finding["check_id"],
                                                "severity": finding["severity"], "promise": finding.get("promise")})
    rules = [_rule(check, remediation.get(check_id, "")) for check_id, check in checks.items()]
    index = {rule["id"]: position for position, rule in enumerate(rules)}
    input_file = (report.get("plan") or {}).get("input")
    document = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "dr-audit", "version": report["tool"]["version"],
                                "informationUri": INFORMATION_URI, "rules": rules}},
            "automationDetails": {"id": f"dr-audit/{report['run']['pack']}/{report['run']['source']}/"},
            "invocations": [{"executionSuccessful": True, "startTimeUtc": report["run"]["started_at"],
                             "endTimeUtc": report["run"]["finished_at"]}],
            "results": [_result(f, index[f["check_id"]], input_file) for f in findings],
            "properties": {"summary": report["summary"]},
        }],
    }
    return json_dumps(document, indent=2) + "\n"
