"""The terminal table: grouped by promise, what needs action first, a summary, and where the full report is."""

from __future__ import annotations

from dr_audit.render.table import render


def finding(check_id: str, status: str, promise: str, resource: str) -> dict:
    return {"id": resource, "check_id": check_id, "status": status, "severity": "high", "promise": promise,
            "resource": {"type": "cbs.disk", "id": resource, "region": "ap-shanghai", "account": "1"},
            "message": f"{resource} is {status.lower()}"}


REPORT = {
    "run": {"pack": "weimob-2020", "source": "demo", "accounts": ["1"], "regions": ["ap-shanghai"]},
    "summary": {"PASS": 2, "FAIL": 1, "ERROR": 1, "WAIVED": 0, "MANUAL": 0},
    "findings": [finding("cbs_a", "PASS", "W2.3", "disk-ok"), finding("cbs_a", "FAIL", "W2.3", "disk-bad"),
                 finding("cdb_b", "ERROR", "W3.1", "cdb-unknown"), finding("cam_c", "PASS", "W1.2", "alice")],
    "checks": [{"id": "cam_c", "title": "Least privilege", "applicable": True},
               {"id": "drill_d", "title": "Drills", "applicable": False}],
}


def test_groups_by_promise_hides_passes_and_ends_with_the_summary():
    text = render(REPORT, width=120)
    assert text.index("W1.2") < text.index("W2.3") < text.index("W3.1")
    assert "disk-bad" in text and "cdb-unknown" in text and "disk-ok" not in text
    assert "W1.2  all 1 passed: Least privilege" in text
    assert "PASS 2  FAIL 1  ERROR 1" in text and "not applicable to this source: drill_d" in text
    assert text.rstrip().endswith("(or --format html)")


def test_names_the_written_report_and_can_show_passes():
    text = render(REPORT, width=120, show_pass=True, report_path="out/report.json")
    assert "disk-ok" in text and text.rstrip().endswith("full report: out/report.json")
