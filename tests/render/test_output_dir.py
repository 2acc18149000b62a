"""Several --format values with --output-dir write one file per format, each readable by its consumer."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ElementTree

from dr_audit.cli import main

from ..plan.helpers import BUCKET_PLAN, PACK


def test_every_ci_format_in_one_run(tmp_path):
    out = tmp_path / "results"
    code = main(["plan", str(BUCKET_PLAN), "--pack", PACK, "--format", "sarif", "--format", "junit",
                 "--format", "csv", "--format", "markdown", "--format", "json", "--output-dir", str(out)])
    assert code == 1
    assert sorted(p.name for p in out.iterdir()) == ["dr-audit.csv", "dr-audit.json", "dr-audit.md",
                                                      "dr-audit.sarif", "dr-audit.xml"]
    assert json.loads((out / "dr-audit.sarif").read_text())["version"] == "2.1.0"
    ElementTree.parse(out / "dr-audit.xml")
    assert len(list(csv.reader((out / "dr-audit.csv").open()))) == \
        len(json.loads((out / "dr-audit.json").read_text())["findings"]) + 1
    assert (out / "dr-audit.md").read_text().count("| weakened |") == 1
