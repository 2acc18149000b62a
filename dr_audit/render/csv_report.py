"""CSV: one row per finding, for spreadsheets and ticket imports."""

from __future__ import annotations

import csv
import io
from typing import Any

from .escape import csv_cell

COLUMNS = ("id", "check_id", "status", "severity", "promise", "resource_type", "resource_id", "region", "account",
           "change", "baseline", "waiver_expires", "waiver_owner", "message", "remediation")


def render(report: dict[str, Any], **_: Any) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for f in report["findings"]:
        resource, waiver = f["resource"], f.get("waiver") or {}
        row = (f["id"], f["check_id"], f["status"], f["severity"], f.get("promise", ""), resource.get("type", ""),
               resource["id"], resource.get("region", ""), resource.get("account", ""), f.get("change", ""),
               f.get("baseline", ""), waiver.get("expires", ""), waiver.get("owner", ""), f.get("message", ""),
               f.get("remediation", ""))
        writer.writerow([csv_cell(v) for v in row])
    return buffer.getvalue()
