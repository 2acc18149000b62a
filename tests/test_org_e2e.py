"""An organization audited in four shards, each a separate `dr-audit run --shard I/4` process over HTTP against the
emulated organization, recorded into one history store (PostgreSQL when DR_AUDIT_TEST_PG_URL is set, as under CI;
SQLite otherwise), then merged by `dr-audit report --run-group`: the same findings, with the same statuses, as one
process auditing the whole organization; a member whose role is denied is an audited account with errors, never a
missing one."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from dr_audit.cli import main
from dr_audit.emulator import DEMO_SECRET_ID, DEMO_SECRET_KEY, EmulatedCloud
from dr_audit.emulator.organization import organization_estate
from dr_audit.estate import Estate
from dr_audit.readonly import DEFAULT_MEMBER_ROLE, member_role_arn

MEMBERS = 49  # and the management account: 50 accounts
SHARDS = 4
PG_ENV = "DR_AUDIT_TEST_PG_URL"
# Resource ids the generated member estates share; a real cloud's ids are unique across accounts.
ID_PREFIX = re.compile(r'"(disk|ins|vpc|sg|snap|bh|cdb|asp|subnet)-')


def unique_ids(estate: Estate) -> Estate:
    """The organization with each account's resource ids made its own (the generator reuses them in every member,
    and a single run would then judge one member's host by another's security group of the same id)."""
    for domain_name in ("cam", "cvm", "cbs", "vpc", "cos", "offsite", "cdb", "dasb", "cloudaudit"):
        domain = getattr(estate, domain_name)
        for list_name in type(domain).model_fields:
            items = getattr(domain, list_name)
            for i, resource in enumerate(items):
                tag = resource.account[-3:]
                text = ID_PREFIX.sub(lambda m, tag=tag: f'"{m[1]}-{tag}', resource.model_dump_json())
                items[i] = type(resource).model_validate_json(text)
    return estate


@pytest.fixture(scope="module")
def org() -> Iterator[tuple[EmulatedCloud, object]]:
    estate, spec = organization_estate(MEMBERS)
    with EmulatedCloud(unique_ids(estate), organization=spec, cos=False) as cloud:
        cloud.faults.deny_roles.add(member_role_arn(spec.members[7].account, DEFAULT_MEMBER_ROLE))
        yield cloud, spec


@pytest.fixture
def history_url(tmp_path: Path) -> Iterator[str]:
    """The shared store: a fresh PostgreSQL database when DR_AUDIT_TEST_PG_URL is set (always under CI), else a
    SQLite file on a developer machine. One backend per run keeps this minute-long test to one minute."""
    admin = os.environ.get(PG_ENV)
    if not admin:
        if os.environ.get("CI"):
            pytest.fail(f"{PG_ENV} is not set under CI: the sharded run must be proven on PostgreSQL")
        yield f"sqlite:///{tmp_path / 'history.db'}"
        return
    import psycopg

    admin_url = admin.replace("postgresql+psycopg://", "postgresql://", 1)
    name = f"dr_audit_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{admin_url.rpartition('/')[0]}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def statuses(report: dict) -> dict[str, str]:
    return {f["id"]: f["status"] for f in report["findings"]}


def test_four_shard_processes_merge_into_the_single_process_report(org, history_url, tmp_path, monkeypatch,
                                                                    capsys):
    cloud, spec = org
    env = {**os.environ, "TENCENTCLOUD_SECRET_ID": DEMO_SECRET_ID, "TENCENTCLOUD_SECRET_KEY": DEMO_SECRET_KEY,
           "DR_AUDIT_HISTORY_URL": history_url, "CI": "1"}
    where = ["--endpoint-url", cloud.endpoint_url, "--cos-endpoint-url", cloud.cos_endpoint_url]
    shards = [subprocess.Popen(
        [sys.executable, "-c", "from dr_audit.cli import entry; entry()", "run", "--organization", *where,
         "--shard", f"{i}/{SHARDS}", "--run-group", "nightly-1", "--format", "json",
         "--output", str(tmp_path / f"shard-{i}.json")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for i in range(1, SHARDS + 1)]
    for shard in shards:
        _, err = shard.communicate(timeout=240)
        assert shard.returncode in (1, 3), err  # the emulated members fail checks: findings, not a broken run

    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", DEMO_SECRET_ID)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", DEMO_SECRET_KEY)
    single_db = f"sqlite:///{tmp_path / 'single.db'}"
    single_code = main(["run", "--organization", *where, "--history-url", single_db, "--format", "json",
                        "--output", str(tmp_path / "single.json")])
    merged_code = main(["report", "--run-group", "nightly-1", "--history-url", history_url, "--format", "json",
                        "--output", str(tmp_path / "merged.json")])
    single = json.loads((tmp_path / "single.json").read_text())
    merged = json.loads((tmp_path / "merged.json").read_text())

    # Finding for finding: the same ids, each with the same status; the same exit code.
    assert statuses(merged) == statuses(single)
    assert merged["summary"] == single["summary"]
    assert merged_code == single_code
    # Each shard audited its own share, about a quarter of the 50 accounts, and no account twice.
    parts = [json.loads((tmp_path / f"shard-{i}.json").read_text())["run"] for i in range(1, SHARDS + 1)]
    shares = [set(p["accounts_audited"]) for p in parts]
    assert sum(map(len, shares)) == len(set().union(*shares)) == MEMBERS + 1
    assert max(map(len, shares)) - min(map(len, shares)) <= 1
    assert [p["run_group"] for p in parts] == [{"id": "nightly-1", "shard": i, "shards": SHARDS}
                                               for i in range(1, SHARDS + 1)]
    # The denied member is audited, with errors: failed, every finding ERROR, never missing.
    denied = spec.members[7].account
    run = merged["run"]
    assert run["run_group"]["missing"] == [] and run["accounts_missing"] == []
    assert run["accounts_failed"] == [denied] == single["run"]["accounts_failed"]
    assert sorted(run["accounts_audited"]) == sorted(single["run"]["accounts_audited"])
    assert {f["status"] for f in merged["findings"] if f["resource"]["account"] == denied} == {"ERROR"}
    [row] = [r for r in merged["account_rollup"] if r["account"] == denied]
    assert row["status"] == "failed" and row["summary"]["ERROR"] > 0 and row["summary"]["PASS"] == 0
    [cells] = [r["cells"] for r in merged["promise_matrix"]["rows"] if r["account"] == denied]
    assert set(cells.values()) == {"ERROR"}

    # A shard that never reported is named, its accounts are missing, and the exit code is 3 (or 1 on a FAIL).
    capsys.readouterr()
    from tests.history.conftest import sql

    [(gone,)] = sql(history_url, "SELECT id FROM runs WHERE run_group = 'nightly-1' AND shard_index = 3")
    sql(history_url, "DELETE FROM findings WHERE run_id = ?", (gone,))
    sql(history_url, "DELETE FROM runs WHERE id = ?", (gone,))
    code = main(["report", "--run-group", "nightly-1", "--history-url", history_url, "--format", "json",
                 "--output", str(tmp_path / "partial.json"), "--fail-on", "critical"])
    err = capsys.readouterr().err
    partial = json.loads((tmp_path / "partial.json").read_text())
    assert partial["run"]["run_group"]["missing"] == [3] and "shard(s) 3/4 have not reported" in err
    assert {m["account"] for m in partial["run"]["accounts_missing"]} == shares[2]
    assert not shares[2] & {f["resource"]["account"] for f in partial["findings"]}
    has_critical_fail = any(f["status"] == "FAIL" and f["severity"] == "critical" for f in partial["findings"])
    assert code == (1 if has_critical_fail else 3)


def test_a_role_arn_list_is_sharded_by_account_too(org, tmp_path, monkeypatch):
    cloud, spec = org
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", DEMO_SECRET_ID)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", DEMO_SECRET_KEY)
    chosen = [spec.members[n].account for n in (12, 7, 30, 3, 21)]  # 7 is the denied member
    arns = [flag for account in chosen for flag in ("--role-arn", member_role_arn(account, DEFAULT_MEMBER_ROLE))]
    history = f"sqlite:///{tmp_path / 'h.db'}"
    reports = {}
    for index in (1, 2):
        out = tmp_path / f"shard-{index}.json"
        main(["run", *arns, "--endpoint-url", cloud.endpoint_url, "--cos-endpoint-url", cloud.cos_endpoint_url,
              "--shard", f"{index}/2", "--run-group", "arns", "--history-url", history, "--format", "json",
              "--output", str(out)])
        reports[index] = json.loads(out.read_text())["run"]
    ordered = sorted(chosen)
    for index, run in reports.items():
        mine = ordered[index - 1::2]
        assert sorted(run["accounts_audited"]) == sorted(mine)
        assert sorted(run["accounts_excluded"]) == sorted(set(chosen) - set(mine))
        assert all(s["reason"] == f"audited by shard {3 - index}/2 (this run is --shard {index}/2)"
                   and s["shard"] == 3 - index for s in run["account_status"] if s["status"] == "excluded")
    assert main(["report", "--run-group", "arns", "--history-url", history, "--format", "json",
                 "--output", str(tmp_path / "merged.json")]) in (1, 3)
    merged = json.loads((tmp_path / "merged.json").read_text())["run"]
    assert sorted(merged["accounts_audited"]) == ordered and merged["accounts_excluded"] == []
    assert merged["accounts_failed"] == [spec.members[7].account] and merged["accounts_missing"] == []
