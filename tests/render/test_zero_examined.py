"""A PASS over nothing reads as such: the table and Markdown count the 0-examined passes the engine produces."""

from __future__ import annotations

from dr_audit.engine import evaluate
from dr_audit.estate import CbsState
from dr_audit.packs import PackCheck, PromisePack
from dr_audit.render import markdown, table
from dr_audit.report import RunInfo, build_report

from ..conftest import NOW, make_estate


def report_for(registry, estate) -> dict:
    pack = PromisePack(name="t", checks={"cbs_daily_snapshot_policy": PackCheck()})
    evaluation = evaluate(estate, pack, registry)
    run = RunInfo(source="snapshot", pack="t", pack_sha256="", started_at=NOW, accounts=estate.accounts,
                  regions=estate.regions)
    return build_report(run, evaluation, registry)


def test_a_pass_with_nothing_examined_says_so_in_the_table_and_markdown(registry):
    report = report_for(registry, make_estate(cbs=CbsState(disks=[])))
    assert [f["status"] for f in report["findings"]] == ["PASS"]
    assert report["findings"][0]["message"].startswith("0 examined")
    assert "all 1 passed, 1 of them 0 examined" in table.render(report, width=160)
    assert "1 passed (1 of them 0 examined)" in markdown.render(report)
