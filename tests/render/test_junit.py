"""JUnit XML: parses, one test case per check and resource, FAIL/ERROR/WAIVED/not applicable mapped as CI expects."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from datetime import date, timedelta
from pathlib import Path

from dr_audit.cli import main

from ..plan.helpers import BUCKET_PLAN, PACK


def test_junit_parses_and_maps_statuses(tmp_path: Path):
    waivers = tmp_path / "w.yaml"
    waivers.write_text(
        "- check: cos_cross_region_replication\n  resource: tencentcloud_cos_bucket.media\n  reason: single region\n"
        f"  owner: storage\n  approved_by: ciso\n  expires: {date.today() + timedelta(days=5)}\n")
    output = tmp_path / "junit.xml"
    main(["plan", str(BUCKET_PLAN), "--pack", PACK, "--waivers", str(waivers), "--format", "junit",
          "--output", str(output)])
    root = ElementTree.parse(output).getroot()
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    versioning = suites["cos_versioning_enabled"]
    cases = {c.get("name"): c for c in versioning.findall("testcase")}
    failed = cases["tencentcloud_cos_bucket.media (ap-shanghai)"]
    assert failed.find("failure") is not None and failed.find("failure").get("type") == "high"
    assert cases["tencentcloud_cos_bucket.archive (ap-beijing)"].find("failure") is None
    waived = {c.get("name"): c for c in suites["cos_cross_region_replication"].findall("testcase")}
    assert waived["tencentcloud_cos_bucket.media (ap-shanghai)"].find("skipped") is not None
    not_applicable = suites["cbs_snapshot_fresh"].find("testcase")
    assert not_applicable.find("skipped") is not None
    # Counts agree with the cases, suite by suite and in total.
    for suite in suites.values():
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == sum(c.find("failure") is not None for c in cases)
        assert int(suite.get("errors")) == sum(c.find("error") is not None for c in cases)
        assert int(suite.get("skipped")) == sum(c.find("skipped") is not None for c in cases)
        assert suite[0].tag in ("properties", "testcase")  # properties come first, as the schema orders them
    assert int(root.get("tests")) == sum(int(s.get("tests")) for s in suites.values())
    assert int(root.get("failures")) >= 1
