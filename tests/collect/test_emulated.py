"""The collectors over HTTP against the emulated cloud, through the real SDK and boto3 clients (nothing patched):
round trips for both scenarios, paging, throttling storms, denials, dropped connections, malformed bodies, wrong
signatures, and the auditor policy covering every action a full collection sends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from dr_audit.cli import main
from dr_audit.collect.client import ApiClient, Endpoint, ReadOnlyViolation, RetryPolicy
from dr_audit.collect.config import CollectConfig
from dr_audit.collect.errors import Secrets
from dr_audit.collect.live import collect
from dr_audit.collect.s3 import make_client
from dr_audit.emulator import DEMO_SECRET_ID, DEMO_SECRET_KEY, EmulatedCloud
from dr_audit.estate import Disk, Estate, SecurityGroup, Snapshot
from dr_audit.readonly import cam_actions, is_read_action
from dr_audit.resources import bundled_dir
from dr_audit.scenarios import build
from dr_audit.scope import OffsiteTarget

NOW = datetime.now(UTC).replace(microsecond=0)
FAST = RetryPolicy(max_attempts=10, base=0.002, cap=0.02)
DEMO = Secrets(DEMO_SECRET_ID, DEMO_SECRET_KEY)


def targets_for(estate: Estate, cloud: EmulatedCloud) -> list[OffsiteTarget]:
    return [OffsiteTarget(name=c.target, endpoint_url=cloud.offsite_endpoint_url, region=c.region or "us-east-1",
                          bucket=c.bucket, source_bucket=c.source_bucket) for c in estate.offsite.copies]


def collect_from(cloud: EmulatedCloud, estate: Estate, secrets: Secrets = DEMO, **config: Any) -> Estate:
    options = {"endpoint_url": cloud.endpoint_url, "cos_endpoint_url": cloud.cos_endpoint_url,
               "offsite_targets": targets_for(estate, cloud), "offsite_secrets": Secrets("k", "s"),
               "retry": FAST, "source": "demo"} | config
    return collect([secrets], CollectConfig(**options))


def canonical(estate: Estate) -> dict[str, Any]:
    """The observed state: without when it was observed, the drills (history store) and the order of inventories
    (collectors read concurrently); an off-site copy's endpoint is wherever this run found the target."""
    data = estate.model_dump(mode="json", exclude={"source", "collected_at", "drills"})
    for copy in data["offsite"]["copies"]:
        copy["endpoint_url"] = ""
    for value in data.values():
        for items in value.values() if isinstance(value, dict) else []:
            if isinstance(items, list):
                items.sort(key=lambda item: json.dumps(item, sort_keys=True))
    data["gaps"].sort(key=lambda item: json.dumps(item, sort_keys=True))
    data["regions"].sort()
    return data


class Clouds:
    """One emulated cloud at a time (COS bucket names are global to the process): started on demand per scenario
    and reused by the tests that ask for the same one, since starting moto costs seconds."""

    def __init__(self) -> None:
        self.name: str | None = None
        self.current: tuple[Estate, EmulatedCloud] | None = None

    def get(self, name: str) -> tuple[Estate, EmulatedCloud]:
        if self.name != name or self.current is None:
            self.stop()
            scenario = build(name, NOW)
            self.current, self.name = (scenario, EmulatedCloud(scenario).start()), name
        return self.current

    def stop(self) -> None:
        if self.current is not None:
            self.current[1].stop()
        self.current, self.name = None, None


@pytest.fixture(scope="module")
def clouds() -> Iterator[Clouds]:
    pool = Clouds()
    yield pool
    pool.stop()


@pytest.fixture
def weimob(clouds: Clouds) -> tuple[Estate, EmulatedCloud]:
    """The shared weimob-2020 cloud for the fault tests; each test sets its own faults and restores them."""
    return clouds.get("weimob-2020")


@contextmanager
def faults(cloud: EmulatedCloud, **settings: Any) -> Iterator[None]:
    saved = {name: getattr(cloud.faults, name) for name in settings}
    for name, value in settings.items():
        setattr(cloud.faults, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(cloud.faults, name, value)


@pytest.fixture(scope="module", params=["weimob-2020", "hardened"])
def round_trip(request, clouds: Clouds) -> tuple[Estate, Estate, list]:
    scenario, cloud = clouds.get(request.param)
    before = len(cloud.requests)
    collected = collect_from(cloud, scenario)
    return scenario, collected, list(cloud.requests[before:])


def test_collecting_the_emulated_scenario_gives_the_scenario_back(round_trip):
    scenario, collected, _ = round_trip
    assert collected.gaps == []
    assert canonical(collected) == canonical(scenario)
    assert collected.source == "demo" and collected.accounts == scenario.accounts


def test_the_auditor_policy_covers_every_action_a_full_collection_sends_and_only_reads(round_trip):
    _, _, requests = round_trip
    allowed = set(cam_actions())
    sent = {(r.service, r.action) for r in requests}
    assert {"cam", "cvm", "cbs", "vpc", "cdb", "dasb", "cloudaudit", "sts", "region"} <= {s for s, _ in sent}
    for service, action in sent:
        assert is_read_action(service, action) and f"name/{service}:{action}" in allowed


def test_last_logins_are_read_fifty_users_a_call_not_one_by_one(round_trip):
    scenario, _, requests = round_trip
    users = len(scenario.cam.users)
    actions = [r.action for r in requests if r.service == "cam"]
    assert actions.count("DescribeSubAccounts") == -(-users // 50) and "GetUser" not in actions


def test_every_list_is_read_to_its_last_page(clouds):
    clouds.stop()
    estate = build("weimob-2020", NOW)
    region = "ap-shanghai"
    estate.cbs.disks += [Disk(account=estate.accounts[0], region=region, disk_id=f"disk-x{n:04d}", attached=False,
                              state="UNATTACHED", zone="ap-shanghai-2") for n in range(230)]
    estate.cbs.snapshots += [Snapshot(account=estate.accounts[0], region=region, snapshot_id=f"snap-x{n:04d}",
                                      disk_id=f"disk-x{n:04d}", created_at=NOW) for n in range(230)]
    estate.vpc.security_groups += [SecurityGroup(account=estate.accounts[0], region=region,
                                                 security_group_id=f"sg-x{n:04d}") for n in range(120)]
    with EmulatedCloud(estate) as cloud:
        collected = collect_from(cloud, estate)
        pages = [r for r in cloud.requests if r.action == "DescribeDisks" and r.region == region]
    assert len(pages) == 3
    assert canonical(collected) == canonical(estate)


def test_a_throttling_storm_gives_the_same_estate_as_a_clean_run(weimob):
    scenario, cloud = weimob
    with faults(cloud, throttle_fraction=0.3):
        stormy = collect_from(cloud, scenario)
    assert stormy.gaps == []
    assert canonical(stormy) == canonical(scenario)


def test_dropped_connections_and_malformed_bodies_become_gaps_for_that_service_only(weimob):
    scenario, cloud = weimob
    with faults(cloud, drop_actions={"cvm:DescribeInstances"}, malformed_actions={"cbs:DescribeDisks"}):
        collected = collect_from(cloud, scenario, retry=RetryPolicy(max_attempts=2, base=0.001))
    codes = {(g.service, g.operation, g.code) for g in collected.gaps}
    assert codes == {("cvm", "DescribeInstances", "ClientNetworkError"), ("cbs", "DescribeDisks", "MalformedResponse")}
    assert {g.region for g in collected.gaps} == set(scenario.regions)
    assert canonical(collected)["vpc"] == canonical(scenario)["vpc"]


def test_a_wrong_signature_is_a_gap_for_every_service_and_the_secret_is_nowhere(weimob):
    scenario, cloud = weimob
    wrong = Secrets(DEMO_SECRET_ID, "not-the-demo-key-but-a-secret-0123")
    collected = collect_from(cloud, scenario, secrets=wrong, offsite_targets=[])
    assert collected.gaps and {g.code for g in collected.gaps} == {"AuthFailure.SignatureFailure"}
    assert {g.service for g in collected.gaps} >= {"cam", "cvm", "cbs", "vpc", "cos", "cdb", "dasb", "cloudaudit"}
    text = collected.to_json()
    assert wrong.secret_key not in text and DEMO_SECRET_ID not in text


def test_the_client_refuses_a_write_without_any_request_reaching_the_cloud(weimob):
    scenario, cloud = weimob
    before = len(cloud.requests)
    client = ApiClient(DEMO, scenario.accounts[0], endpoint=Endpoint(cloud.endpoint_url), retry=FAST)
    with pytest.raises(ReadOnlyViolation):
        client.call("cvm", "TerminateInstances", {"InstanceIds": ["ins-mall0001"]}, "ap-shanghai")
    with pytest.raises(ReadOnlyViolation):
        client.call("cam", "AttachUserPolicy", {"PolicyId": 1, "AttachUin": 1})
    s3 = make_client("cos", cloud.cos_endpoint_url, "ap-shanghai", DEMO)
    name = scenario.cos.buckets[0].name
    with pytest.raises(ReadOnlyViolation):
        s3.delete_bucket(Bucket=name)
    assert len(cloud.requests) == before
    assert name in {b["Name"] for b in s3.list_buckets()["Buckets"]}


def _pack_with_every_check(tmp_path: Path, offsite_url: str) -> Path:
    """The bundled scope (off-site targets pointed at the emulator) with every registered check enabled."""
    from dr_audit.registry import load_registry

    scope = (yaml.safe_load((bundled_dir("policies") / "weimob-2020.yaml").read_text()) or {}).get("scope") or {}
    for target in scope.get("offsite_targets") or []:
        target["endpoint_url"] = offsite_url
    pack = {"name": "emulated", "scope": scope, "checks": {spec.id: {} for spec in load_registry()}}
    path = tmp_path / "pack.yaml"
    path.write_text(yaml.safe_dump(pack))
    return path


def _run(tmp_path: Path, cloud: EmulatedCloud, monkeypatch, name: str) -> list[dict[str, Any]]:
    """`dr-audit run` against the emulated cloud as a live source: keys and endpoints from the environment."""
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", DEMO_SECRET_ID)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", DEMO_SECRET_KEY)
    monkeypatch.setenv("DR_AUDIT_ENDPOINT_URL", cloud.endpoint_url)
    monkeypatch.setenv("DR_AUDIT_COS_ENDPOINT_URL", cloud.cos_endpoint_url)
    output = tmp_path / f"{name}.json"
    main(["run", "--pack", str(_pack_with_every_check(tmp_path, cloud.offsite_endpoint_url)), "--format", "json",
          "--output", str(output), "--history", str(tmp_path / f"{name}.db")])
    report = json.loads(output.read_text())
    assert report["run"]["source"] == "live"
    assert DEMO_SECRET_KEY not in output.read_text()
    return report["findings"]


def test_cam_denied_makes_every_cam_check_error_and_leaves_the_rest_as_a_clean_run(weimob, tmp_path, monkeypatch):
    scenario, cloud = weimob
    clean = _run(tmp_path, cloud, monkeypatch, "clean")
    with faults(cloud, deny_services={"cam"}):
        denied_estate = collect_from(cloud, scenario)
        denied = _run(tmp_path, cloud, monkeypatch, "denied")
    assert denied_estate.gaps and {g.service for g in denied_estate.gaps} == {"cam"}
    cam_denied = [f for f in denied if f["check_id"].startswith("cam_")]
    assert cam_denied and {f["status"] for f in cam_denied} == {"ERROR"}
    assert {f["check_id"] for f in cam_denied} == {f["check_id"] for f in clean if f["check_id"].startswith("cam_")}

    def rest(findings: list[dict[str, Any]]) -> dict[str, str]:
        return {f["id"]: f["status"] for f in findings if not f["check_id"].startswith("cam_")}

    assert rest(denied) == rest(clean)
    assert "FAIL" in rest(clean).values()


def test_accounts_reached_through_assumed_roles_are_collected_concurrently_into_one_estate(clouds):
    from dr_audit.collect.credentials import assume_role

    clouds.stop()
    first = build("weimob-2020", NOW)
    # A second account: the hardened world under another UIN, without COS (bucket names are global).
    second = Estate.model_validate_json(
        build("hardened", NOW).model_dump_json().replace('"100000000001"', '"100000000002"'))
    second.cos.buckets, second.offsite.copies = [], []
    merged = first.model_copy(deep=True)
    merged.accounts = [*first.accounts, *second.accounts]
    for domain in ("cam", "cvm", "cbs", "vpc", "cdb", "dasb", "cloudaudit"):
        for name in type(getattr(first, domain)).model_fields:
            getattr(getattr(merged, domain), name).extend(getattr(getattr(second, domain), name))
    with EmulatedCloud(merged) as cloud:
        base = ApiClient(DEMO, endpoint=Endpoint(cloud.endpoint_url), retry=FAST)
        keys = [assume_role(base, f"qcs::cam::uin/{e.accounts[0]}:roleName/{e.cam.roles[0].name}")
                for e in (first, second)]
        collected = collect(keys, CollectConfig(endpoint_url=cloud.endpoint_url,
                                                cos_endpoint_url=cloud.cos_endpoint_url, retry=FAST, source="demo"))
        assumed = [r for r in cloud.requests if r.action == "AssumeRole"]
    assert len(assumed) == 2 and collected.gaps == []
    assert sorted(collected.accounts) == sorted(merged.accounts)
    expected, got = canonical(merged), canonical(collected)
    expected["offsite"] = got["offsite"] = {}
    expected["accounts"].sort()
    got["accounts"].sort()
    assert got == expected


def test_device_groups_are_read_so_acls_that_reach_devices_through_groups_are_judged():
    scenario = build("hardened", NOW)
    scenario.dasb.devices[0].group_ids = ["41", "42"]
    with EmulatedCloud(scenario) as cloud:
        collected = collect_from(cloud, scenario)
    by_id = {d.device_id: d.group_ids for d in collected.dasb.devices}
    assert by_id[scenario.dasb.devices[0].device_id] == ["41", "42"]
    assert canonical(collected)["dasb"] == canonical(scenario)["dasb"]
