"""JUnit XML: one test case per check and resource, so CI systems show failures the way they show failed tests."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from typing import Any

from .escape import xml_text


def _case_name(finding: dict[str, Any]) -> str:
    resource = finding["resource"]
    region = f" ({resource['region']})" if resource.get("region") else ""
    return xml_text(f"{resource['id']}{region}")


def render(report: dict[str, Any], **_: Any) -> str:
    by_check: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for finding in report["findings"]:
        by_check[finding["check_id"]].append(finding)
    checks = report.get("checks", [])
    order = [c["id"] for c in checks] + sorted(set(by_check) - {c["id"] for c in checks})
    titles = {c["id"]: c for c in checks}
    root = ElementTree.Element("testsuites", name="dr-audit")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for check_id in order:
        check = titles.get(check_id, {})
        suite = ElementTree.SubElement(root, "testsuite", name=xml_text(check_id))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        if check.get("title"):  # the usual schema puts a suite's properties before its test cases
            suite_properties = ElementTree.SubElement(suite, "properties")
            ElementTree.SubElement(suite_properties, "property", name="title", value=xml_text(check["title"]))
        if check and not check.get("applicable", True):
            case = ElementTree.SubElement(suite, "testcase", classname=xml_text(f"dr-audit.{check_id}"),
                                          name="not applicable")
            ElementTree.SubElement(case, "skipped",
                                   message=xml_text(check.get("note") or "not applicable to this source"))
            counts["tests"] += 1
            counts["skipped"] += 1
        for finding in by_check.get(check_id, []):
            counts["tests"] += 1
            case = ElementTree.SubElement(suite, "testcase", classname=xml_text(f"dr-audit.{check_id}"),
                                          name=_case_name(finding))
            status, message = finding["status"], xml_text(finding.get("message", ""))
            if status == "FAIL":
                counts["failures"] += 1
                failure = ElementTree.SubElement(case, "failure", message=message, type=xml_text(finding["severity"]))
                failure.text = xml_text(finding.get("remediation", ""))
            elif status == "ERROR":
                counts["errors"] += 1
                ElementTree.SubElement(case, "error", message=message, type="could-not-evaluate")
            elif status in ("WAIVED", "MANUAL"):
                counts["skipped"] += 1
                waiver = finding.get("waiver") or {}
                reason = (f"waived until {waiver.get('expires')}: {waiver.get('reason', '')}" if status == "WAIVED"
                          else f"needs human evidence: {message}")
                ElementTree.SubElement(case, "skipped", message=xml_text(reason))
            properties = ElementTree.SubElement(case, "properties")
            for key in ("severity", "promise", "change", "baseline"):
                if finding.get(key):
                    ElementTree.SubElement(properties, "property", name=key, value=xml_text(finding[key]))
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"
