"""Whose estate failed: an account that cannot be identified, or whose collector crashed, is ERROR in every check
for that account and only that account. Through the real SDK over HTTP against the emulated cloud."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from dr_audit.cli import main
from dr_audit.collect.client import ApiClient, Endpoint, RetryPolicy
from dr_audit.collect.config import CollectConfig
from dr_audit.collect.errors import Secrets
from dr_audit.collect.live import collect
from dr_audit.emulator import DEMO_SECRET_ID, EmulatedCloud
from dr_audit.engine import evaluate
from dr_audit.estate import Estate, mask_key_id
from dr_audit.findings import Severity
from dr_audit.packs import load_pack
from dr_audit.registry import load_registry
from dr_audit.resources import bundled_dir
from dr_audit.runner import EXIT_ERROR, exit_code_for
from dr_audit.scenarios import build

NOW = datetime.now(UTC).replace(microsecond=0)
FAST = RetryPolicy(max_attempts=2, base=0.001, cap=0.002)
BAD_ID, BAD_KEY = "AKIDnotAnyoneWeKnow00000000000000000", "not-a-key-anyone-issued-0123456789"


def closed_port_url() -> str:
    """An address where nothing listens: bind a port, then free it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def pack_without_reachable_offsite(tmp_path: Path) -> Path:
    """The default pack, its off-site targets pointed where nothing listens (never a real endpoint)."""
    data = yaml.safe_load((bundled_dir("policies") / "weimob-2020.yaml").read_text())
    for target in data["scope"].get("offsite_targets", []):
        target["endpoint_url"] = closed_port_url()
    path = tmp_path / "pack.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def assert_every_check_errs_for(findings: list[dict[str, Any]], label: str, reason: str) -> None:
    assert findings
    assert {f["status"] for f in findings} == {"ERROR"}
    # Off-site targets belong to the pack, not to an account; here nothing listens where they point.
    mine = [f for f in findings if not f["resource"]["account"].startswith("offsite:")]
    assert {f["resource"]["account"] for f in mine} == {label}
    assert all(reason in f["message"] for f in mine), [f["message"] for f in mine if reason not in f["message"]]
    drills = {f["check_id"] for f in mine if f["check_id"].startswith("drill_")}
    assert drills == {"drill_monthly_cadence", "drill_quarterly_cadence", "drill_objectives_met"}


@pytest.fixture(scope="module")
def hardened_cloud():
    with EmulatedCloud(build("hardened", NOW), cos=False) as cloud:
        yield cloud


def test_keys_the_cloud_rejects_make_every_check_error_and_exit_3(hardened_cloud, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", BAD_ID)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", BAD_KEY)
    out = tmp_path / "report.json"
    code = main(["run", "--pack", str(pack_without_reachable_offsite(tmp_path)),
                 "--endpoint-url", hardened_cloud.endpoint_url, "--cos-endpoint-url", closed_port_url(),
                 "--region", "ap-shanghai", "--format", "json", "--output", str(out),
                 "--history", str(tmp_path / "history.db")])
    report = json.loads(out.read_text())
    label = f"unidentified:{mask_key_id(BAD_ID)}"
    assert code == EXIT_ERROR
    assert report["run"]["accounts"] == [label]
    assert_every_check_errs_for(report["findings"], label, "AuthFailure")
    text = out.read_text() + "".join(capsys.readouterr())
    assert BAD_KEY not in text and BAD_ID not in text


def test_an_endpoint_nobody_answers_makes_every_check_error_and_exit_3(tmp_path):
    endpoint = closed_port_url()
    estate = collect([Secrets(BAD_ID, BAD_KEY)], CollectConfig(endpoint_url=endpoint, cos_endpoint_url=endpoint,
                                                              regions=["ap-shanghai"], retry=FAST))
    registry = load_registry()
    pack = load_pack(str(pack_without_reachable_offsite(tmp_path)), registry)
    findings = [f.report_dict() for f in evaluate(estate, pack, registry).findings]
    label = f"unidentified:{mask_key_id(BAD_ID)}"
    assert estate.accounts == [label]
    assert_every_check_errs_for(findings, label, "ClientNetworkError")
    assert exit_code_for(findings, Severity.INFO) == EXIT_ERROR  # not even an info FAIL


# --- a collector that crashes -------------------------------------------------------------------------------------

FIRST, SECOND = "100000000001", "100000000002"
REGIONS = ["ap-shanghai", "ap-beijing"]


@pytest.fixture(scope="module")
def two_accounts():
    """The hardened world twice, under two UINs, reached through assumed roles (without COS: not needed here)."""
    first = build("hardened", NOW)
    second = Estate.model_validate_json(first.model_dump_json().replace(f'"{FIRST}"', f'"{SECOND}"'))
    merged = first.model_copy(deep=True)
    merged.accounts = [FIRST, SECOND]
    for domain in ("cam", "cvm", "cbs", "vpc", "cdb", "dasb", "cloudaudit"):
        for name in type(getattr(first, domain)).model_fields:
            getattr(getattr(merged, domain), name).extend(getattr(getattr(second, domain), name))
    with EmulatedCloud(merged, cos=False) as cloud:
        base = ApiClient(Secrets(DEMO_SECRET_ID, cloud.front.principals[DEMO_SECRET_ID].secret_key),
                         endpoint=Endpoint(cloud.endpoint_url), retry=FAST)
        from dr_audit.collect.credentials import assume_role

        keys = {account: assume_role(base, f"qcs::cam::uin/{account}:roleName/{first.cam.roles[0].name}")
                for account in (FIRST, SECOND)}
        yield cloud, keys, first


def collect_both(cloud: EmulatedCloud, keys: dict[str, Secrets]) -> Estate:
    return collect([keys[FIRST], keys[SECOND]], CollectConfig(
        endpoint_url=cloud.endpoint_url, cos_endpoint_url=closed_port_url(), regions=REGIONS,
        retry=FAST))


def test_a_collector_crash_is_blamed_on_the_account_service_and_region_where_it_happened(two_accounts, monkeypatch):
    from dr_audit.collect.tencent import cvm

    cloud, keys, scenario = two_accounts
    real = cvm.collect

    def crashing(run, region):
        if run.account == SECOND and region == "ap-beijing":
            raise RuntimeError("collector bug")
        real(run, region)

    monkeypatch.setattr(cvm, "collect", crashing)
    estate = collect_both(cloud, keys)
    crashes = {(g.account, g.service, g.region) for g in estate.gaps if g.code == "CollectorError"}
    assert crashes == {(SECOND, "cvm", "ap-beijing")}
    assert sorted(estate.accounts) == [FIRST, SECOND]
    # The healthy account lost nothing, and the crashing one only what crashed.
    assert not [g for g in estate.gaps if g.account == FIRST and g.service != "cos"]
    instances = {(i.account, i.region, i.instance_id) for i in estate.cvm.instances}
    first_instances = {(FIRST, i.region, i.instance_id) for i in scenario.cvm.instances if i.region in REGIONS}
    assert first_instances and {i for i in instances if i[0] == FIRST} == first_instances
    assert {i[1] for i in instances if i[0] == SECOND} == {"ap-shanghai"} & {i[1] for i in first_instances}
    assert {d.account for d in estate.cbs.disks} == {FIRST, SECOND}
    registry = load_registry()
    pack = load_pack(None, registry)
    findings = [f.report_dict() for f in evaluate(estate, pack, registry, only=["cvm_multi_az"]).findings]
    errors = {(f["resource"]["account"], f["resource"]["region"]) for f in findings if f["status"] == "ERROR"}
    assert (SECOND, "ap-beijing") in errors and not [a for a, _ in errors if a == FIRST]


def test_a_crash_before_the_account_is_known_is_blamed_on_those_keys(two_accounts, monkeypatch):
    from dr_audit.collect import credentials

    cloud, keys, scenario = two_accounts
    real = credentials.account_id

    def crashing(client):
        if client.secrets.secret_id == keys[SECOND].secret_id:
            raise ValueError("identity parser bug")
        return real(client)

    monkeypatch.setattr(credentials, "account_id", crashing)
    estate = collect_both(cloud, keys)
    label = f"unidentified:{mask_key_id(keys[SECOND].secret_id)}"
    assert sorted(estate.accounts) == sorted([FIRST, label])
    assert {g.service for g in estate.gaps if g.account == label} == set(estate.services)
    assert {g.code for g in estate.gaps if g.account == label} == {"CollectorError"}
    assert not [g for g in estate.gaps if g.account == FIRST and g.service != "cos"]


# --- roles that cannot be assumed ---------------------------------------------------------------------------------


def run_with_roles(cloud: EmulatedCloud, tmp_path: Path, monkeypatch, endpoint: str, *arns: str) -> tuple[int, dict]:
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", DEMO_SECRET_ID)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", cloud.front.principals[DEMO_SECRET_ID].secret_key)
    out = tmp_path / "report.json"
    argv = ["run", "--pack", str(pack_without_reachable_offsite(tmp_path)), "--endpoint-url", endpoint,
            "--cos-endpoint-url", closed_port_url(), "--region", "ap-shanghai", "--format", "json",
            "--output", str(out), "--history", str(tmp_path / "history.db")]
    for arn in arns:
        argv += ["--role-arn", arn]
    code = main(argv)
    return code, json.loads(out.read_text()) if out.exists() else {}


def test_a_role_that_cannot_be_assumed_leaves_its_account_in_error_and_the_others_judged(
        two_accounts, tmp_path, monkeypatch):
    cloud, _keys, scenario = two_accounts
    missing = "qcs::cam::uin/300000000009:roleName/auditor"
    code, report = run_with_roles(cloud, tmp_path, monkeypatch, cloud.endpoint_url,
                                  f"qcs::cam::uin/{FIRST}:roleName/{scenario.cam.roles[0].name}", missing)
    assert code != 2  # not bad input: the first account is judged (one region of it, so some FAILs)
    assert sorted(report["run"]["accounts"]) == sorted([FIRST, "300000000009"])
    assert_every_check_errs_for([f for f in report["findings"] if f["resource"]["account"] != FIRST],
                                "300000000009", "RoleNotExist")
    assert "PASS" in {f["status"] for f in report["findings"] if f["resource"]["account"] == FIRST}


def test_roles_behind_an_unreachable_sts_are_errors_not_bad_input(two_accounts, tmp_path, monkeypatch):
    cloud, _keys, _scenario = two_accounts
    code, report = run_with_roles(cloud, tmp_path, monkeypatch, closed_port_url(),
                                  f"qcs::cam::uin/{FIRST}:roleName/auditor")
    assert code == EXIT_ERROR
    assert_every_check_errs_for(report["findings"], FIRST, "ClientNetworkError")


def test_a_role_arn_sts_calls_malformed_is_bad_input(two_accounts, tmp_path, monkeypatch, capsys):
    cloud, _keys, _scenario = two_accounts
    code, report = run_with_roles(cloud, tmp_path, monkeypatch, cloud.endpoint_url, "not-an-arn")
    err = capsys.readouterr().err
    assert code == 2 and report == {}
    assert "--role-arn not-an-arn" in err and len(err.strip().splitlines()) == 1
