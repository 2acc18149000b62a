"""CSV: one row per finding, with the plan's change and waivers, and cells that spreadsheets cannot execute."""

from __future__ import annotations

import csv
import io

from dr_audit.render.csv_report import COLUMNS, render


def test_csv_rows_and_formula_guard():
    report = {"findings": [{
        "id": "abc", "check_id": "cos_not_public", "status": "FAIL", "severity": "high", "promise": "W1.2",
        "resource": {"type": "cos.bucket", "id": "=HYPERLINK(\"http://x\")", "region": "ap-shanghai",
                     "account": "terraform"},
        "message": "its ACL is public-read, \"really\"", "remediation": "make it private", "change": "weakened",
        "waiver": {"expires": "2026-12-01", "owner": "ops"}}]}
    rows = list(csv.reader(io.StringIO(render(report))))
    assert tuple(rows[0]) == COLUMNS
    row = dict(zip(COLUMNS, rows[1], strict=True))
    assert row["resource_id"].startswith("'=")
    assert row["message"] == "its ACL is public-read, \"really\""
    assert (row["change"], row["waiver_expires"], row["status"]) == ("weakened", "2026-12-01", "FAIL")
