"""The HTML reports: self-contained, every value escaped, and working in a real browser (headless Chromium)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from dr_audit.render import render
from dr_audit.render.html import compact_findings, trend_svg

EVIL = "<script>alert(1)</script>"


def finding(i: int, *, resource_id: str | None = None, status: str = "FAIL", message: str = "") -> dict[str, Any]:
    return {"id": f"{i:020x}", "check_id": "cbs_snapshot_fresh" if i % 2 else "cos_versioning_enabled",
            "status": status, "severity": ("critical", "high", "medium", "low")[i % 4],
            "promise": ("W2.3", "W2.4", "W1.2")[i % 3],
            "resource": {"type": "cbs.disk", "id": resource_id or f"disk-{i:06d}", "region": "ap-shanghai",
                         "account": "100000000001"},
            "message": message or f"newest snapshot is {i % 90} h old", "remediation": "Bind a daily policy.",
            "evidence": {}}


def report(findings: list[dict[str, Any]]) -> dict[str, Any]:
    summary = {s: sum(f["status"] == s for f in findings) for s in ("PASS", "FAIL", "ERROR", "WAIVED", "MANUAL")}
    return {"schema_version": 1, "tool": {"name": "dr-audit", "version": "0.1.0"},
            "run": {"source": "snapshot", "pack": "weimob-2020", "pack_sha256": "a" * 64,
                    "started_at": "2026-11-01T12:00:00Z", "finished_at": "2026-11-01T12:00:05Z",
                    "accounts": ["100000000001"], "regions": ["ap-shanghai"], "estate_sha256": "b" * 64},
            "summary": summary, "findings": findings,
            "checks": [{"id": "cbs_snapshot_fresh", "title": "Snapshots are fresh", "promise": "W2.3",
                        "severity": "high", "applicable": True, "examined": 1, "note": "", "risk": ""}]}


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed under CI (.ci/run installs it)")
        pytest.skip("chromium not installed")
    return found


def load_in_chromium(page: Path) -> tuple[str, str, float]:
    """(DOM after scripts ran, browser log, seconds) for a page opened in headless Chromium."""
    with tempfile.TemporaryDirectory() as profile:
        began = time.perf_counter()
        done = subprocess.run(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
             "--enable-logging=stderr", "--v=0", "--dump-dom", page.resolve().as_uri()],
            capture_output=True, text=True, timeout=180)
        elapsed = time.perf_counter() - began
    return done.stdout, done.stderr, elapsed


def console_errors(log: str) -> list[str]:
    return [line for line in log.splitlines() if "CONSOLE" in line and ("Uncaught" in line or "Error" in line)]


def test_a_hostile_resource_name_is_text_not_markup(tmp_path: Path) -> None:
    findings = [finding(1, resource_id=EVIL, message="</script><script>alert(2)</script>"), finding(2)]
    html = render(report(findings), "html")
    assert "<script>alert" not in html and "</script><script>" not in html
    assert html.count("<script") == 2  # the data island and the report's own code, nothing injected
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    dom, log, _ = load_in_chromium(page)
    assert 'data-dr-audit="ready"' in dom, log[-2000:]
    assert "<td>&lt;script&gt;alert(1)&lt;/script&gt; (cbs.disk, ap-shanghai / 100000000001)</td>" in dom
    assert dom.count("<script") == 2
    assert not console_errors(log)


def test_the_run_report_loads_without_script_errors_and_filters(tmp_path: Path) -> None:
    findings = [finding(i, status="FAIL" if i % 5 else "PASS") for i in range(300)]
    page = tmp_path / "report.html"
    page.write_text(render(report(findings), "html", trend=[
        {"run_id": "run-1", "started_at": "2026-10-30T00:00:00Z", "failures": {"W2.3": 90, "W2.4": 70}},
        {"run_id": "run-2", "started_at": "2026-11-01T00:00:00Z", "failures": {"W2.3": 80, "W2.4": 80}}]),
        encoding="utf-8")
    dom, log, _ = load_in_chromium(page)
    assert 'data-dr-audit="ready"' in dom, log[-2000:]
    assert not console_errors(log)
    assert "240 of 300 findings match" in dom  # PASS is filtered out by default
    assert "showing 80 of 80 matching" in dom  # a promise section with its rows rendered
    assert "<polyline" in dom and "failures per promise" in dom


def test_a_hundred_thousand_findings_stay_usable(tmp_path: Path) -> None:
    findings = [finding(i, status="FAIL" if i % 3 else "PASS") for i in range(100_000)]
    began = time.perf_counter()
    html = render(report(findings), "html")
    render_seconds = time.perf_counter() - began
    page = tmp_path / "big.html"
    page.write_text(html, encoding="utf-8")
    size_mb = page.stat().st_size / 1e6
    dom, log, load_seconds = load_in_chromium(page)
    print(f"100,000 findings: {size_mb:.1f} MB page, rendered in {render_seconds:.1f} s, "
          f"loaded in headless Chromium in {load_seconds:.1f} s")
    assert size_mb < 25
    assert 'data-dr-audit="ready"' in dom, log[-2000:]
    assert not console_errors(log)
    # Rows are drawn a page at a time: the DOM holds a few hundred rows, not 100,000.
    assert len(re.findall(r"<tr>", dom)) < 1000


def test_compact_findings_intern_repeated_strings() -> None:
    data = compact_findings([finding(i) for i in range(1000)])
    assert len(data["rows"]) == 1000 and len(data["strings"]) < 1200
    row = data["rows"][7]
    assert data["strings"][row[5]] == "disk-000007"


def test_trend_svg_escapes_and_draws_each_promise() -> None:
    svg = trend_svg([{"run_id": "<b>", "started_at": "2026-11-01T00:00:00Z", "failures": {"W2.3": 3}},
                     {"run_id": "r2", "started_at": "2026-11-02T00:00:00Z", "failures": {"W2.3": 1, "W2.4": 2}}])
    assert svg.count("<polyline") == 2 and "&lt;b&gt;" in svg and "<b>" not in svg


def test_run_html_charts_failures_per_promise_over_stored_runs(tmp_path: Path) -> None:
    from dr_audit.cli import main
    from dr_audit.estate import Disk, Estate
    from dr_audit.estate.cbs import CbsState

    snapshot = tmp_path / "estate.json"
    Estate(source="snapshot", accounts=["100000000001"], regions=["ap-shanghai"],
           cbs=CbsState(disks=[Disk(account="100000000001", region="ap-shanghai", disk_id="disk-1", attached=True,
                                     instance_id="ins-1")])).save(snapshot)
    pack = Path(__file__).parents[1] / "drill" / "pack.yaml"
    db = tmp_path / "history.db"
    for n in range(2):
        main(["run", "--from-snapshot", str(snapshot), "--pack", str(pack), "--history", str(db), "--format", "html",
              "--output", str(tmp_path / f"run{n}.html")])
    html = (tmp_path / "run1.html").read_text()
    assert "Failures per promise over the last 2 stored runs" in html
    assert html.count("<polyline") == 2  # W2.3 (the disk has no policy) and W2.5 (no drills)


def test_the_console_error_detector_sees_a_broken_script(tmp_path: Path) -> None:
    """Guards the browser tests above: a page with a script error must be reported, or they prove nothing."""
    page = tmp_path / "broken.html"
    page.write_text("<html><body><script>undefinedFunction();</script></body></html>")
    _, log, _ = load_in_chromium(page)
    assert any("undefinedFunction" in line for line in console_errors(log))
