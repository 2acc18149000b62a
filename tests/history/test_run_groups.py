"""Run groups in the history store, on SQLite and PostgreSQL: a sharded run records its group, shard and count
(schema version 4, migrated onto stores with runs in them), and a group reads back as each shard's newest run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dr_audit.cli import main
from dr_audit.errors import BadInput
from dr_audit.history import HistoryStore
from dr_audit.history.groups import group_shards

from .conftest import columns, report, sql


def shard(index: int, count: int, group: str = "nightly", *, started: str = "2026-12-04T02:00:00Z",
          account: str = "100000000001") -> dict[str, Any]:
    document = report(4, started=started)
    for finding in document["findings"]:
        finding["resource"]["account"] = account
        finding["id"] = f"{account}-{finding['id']}"
    document["run"] |= {"accounts": [account], "run_group": {"id": group, "shard": index, "shards": count},
                        "account_status": [{"account": account, "status": "audited", "name": "", "unit": "",
                                            "reason": ""}]}
    return document


def test_a_store_with_runs_migrates_to_run_groups_and_old_runs_belong_to_none(store_url: str) -> None:
    with HistoryStore.open(url=store_url, migrate_to=3) as old:
        old.record_run(report(3), run_id="run-before")
    with HistoryStore.open(url=store_url) as store:
        assert {"run_group", "shard_index", "shard_count"} <= columns(store_url, "runs")
        assert store.get_run("run-before")["findings"] == report(3)["findings"]
        assert store.group_runs("nightly") == []
        store.record_run(shard(2, 3), run_id="run-after")
        [row] = store.group_runs("nightly")
        assert (row["id"], row["shard_index"], row["shard_count"]) == ("run-after", 2, 3)


def test_a_group_is_each_shards_newest_run(store_url: str) -> None:
    with HistoryStore.open(url=store_url) as store:
        store.record_run(shard(1, 3, started="2026-12-04T02:00:00Z"), run_id="run-1-first")
        store.record_run(shard(3, 3, account="100000000003"), run_id="run-3")
        store.record_run(shard(1, 3, started="2026-12-04T03:00:00Z"), run_id="run-1-again")
        store.record_run(shard(2, 3, group="another"), run_id="run-other")
        count, shards = group_shards(store, "nightly")
    assert count == 3
    assert [(s.index, s.run_id) for s in shards] == [(1, "run-1-again"), (3, "run-3")]
    assert shards[1].report["run"]["accounts"] == ["100000000003"] and "history" not in shards[1].report


def test_shards_that_disagree_on_the_count_or_a_group_with_no_run_is_bad_input(store_url: str) -> None:
    with HistoryStore.open(url=store_url) as store:
        store.record_run(shard(1, 2), run_id="run-a")
        store.record_run(shard(2, 4), run_id="run-b")
        with pytest.raises(BadInput, match="mixes shard counts 2, 4"):
            group_shards(store, "nightly")
        with pytest.raises(BadInput, match="no run in run group 'weekly'"):
            group_shards(store, "weekly")


def test_report_merges_a_stored_group_and_exits_3_naming_a_missing_shard(store_url: str, tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    with HistoryStore.open(url=store_url) as store:
        store.record_run(shard(1, 3), run_id="run-1")
        store.record_run(shard(2, 3, account="100000000002"), run_id="run-2")
    out = tmp_path / "merged.md"
    code = main(["report", "--run-group", "nightly", "--history-url", store_url, "--format", "markdown",
                 "--output", str(out), "--fail-on", "critical"])
    err = capsys.readouterr().err
    assert code == 3 and "shard(s) 3/3 have not reported" in err
    text = out.read_text()
    assert "MISSING shard(s) 3/3" in text and "100000000002" in text and "### Promise by account" in text
    assert main(["report", "--run-group", "nightly", "--history-url", store_url, "--format", "json",
                 "--fail-on", "high"]) == 1  # the stored reports FAIL at high: as for run, a FAIL outranks


def test_report_on_an_unknown_group_or_with_a_bad_group_id_exits_2(store_url: str,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--run-group", "nothing-here", "--history-url", store_url]) == 2
    assert "no run in run group 'nothing-here'" in capsys.readouterr().err
    assert main(["report", "--run-group", "a b", "--history-url", store_url]) == 2
    assert "--run-group 'a b'" in capsys.readouterr().err


def test_shards_opening_a_new_store_together_all_find_it_migrated(store_url: str) -> None:
    """Every shard of a group opens the shared store at about the same time; on a new one, one migrates it and the
    others wait for it, rather than failing on tables created under them."""
    from concurrent.futures import ThreadPoolExecutor

    from dr_audit.history.migrations import LATEST

    def open_and_record(index: int) -> int:
        with HistoryStore.open(url=store_url) as store:
            store.record_run(shard(index, 6), run_id=f"run-{index}")
        [(version,)] = sql(store_url, "SELECT MAX(version) FROM dr_audit_schema")
        return int(version or 0)

    with ThreadPoolExecutor(6) as pool:
        assert list(pool.map(open_and_record, range(1, 7))) == [LATEST] * 6
    with HistoryStore.open(url=store_url) as store:
        assert sorted(row["shard_index"] for row in store.group_runs("nightly")) == [1, 2, 3, 4, 5, 6]
