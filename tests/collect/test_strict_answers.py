"""Strict reading through the real SDK over HTTP: an answer missing a field the collectors need is a failed read
naming the action and the field (a gap, or an unreadable attribute), never "none"; Unix times come in seconds or
milliseconds, and an implausible one is unknown, never a crash."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dr_audit.collect.tencent import cam, cbs
from dr_audit.collect.tencent.common import EARLIEST_EPOCH, LATEST_EPOCH, ImplausibleValue, epoch_time
from dr_audit.emulator import EmulatedCloud
from dr_audit.engine import evaluate
from dr_audit.findings import Status
from dr_audit.packs import load_pack
from dr_audit.registry import load_registry

from ..emulator.conftest import ACCOUNT, BJ, SH, small_estate
from .fake_api import FakeApi
from .service_run import COLLECTORS, collect_services
from .test_answer_shapes import REGION, run_collector

EVERY_SERVICE = tuple(COLLECTORS)


@pytest.fixture(scope="module")
def cloud():
    with EmulatedCloud(small_estate(), cos=False) as running:
        yield running


@pytest.fixture
def faults(cloud):
    yield cloud.faults
    cloud.faults.listless_actions.clear()
    cloud.faults.emptied_actions.clear()


def collected(cloud, *services: str):
    return collect_services(cloud.endpoint_url, ACCOUNT, [SH, BJ], services or EVERY_SERVICE)


def admin_status(estate, uin: str) -> Status:
    registry = load_registry()
    findings = evaluate(estate, load_pack(None, registry), registry, only=["cam_no_full_admin_principals"]).findings
    [status] = [f.status for f in findings if f.resource.id in (uin, "alice")]
    return status


def test_an_attachment_list_missing_from_its_answer_leaves_the_users_policies_unknown(cloud, faults):
    full = collected(cloud, "cam")
    alice = next(u for u in full.cam.users if u.name == "alice")
    assert alice.policy_ids == ["1"] and admin_status(full, alice.uin) is Status.FAIL  # AdministratorAccess

    faults.listless_actions.add("cam:ListAttachedUserPolicies")
    hollow = collected(cloud, "cam")
    alice = next(u for u in hollow.cam.users if u.name == "alice")
    assert alice.unreadable["policy_ids"] == "cam:ListAttachedUserPolicies answer has no List"
    assert admin_status(hollow, alice.uin) is Status.ERROR


def test_every_inventory_without_its_list_is_a_gap_naming_the_action_and_the_field(cloud, faults):
    faults.listless_actions.add("*")
    estate = collected(cloud)
    named = {(g.service, g.region, g.operation): (g.code, g.message) for g in estate.gaps}
    for service, region, action, field in [
        ("cam", "", "ListUsers", "Data"), ("cam", "", "ListGroups", "GroupInfo"),
        ("cam", "", "DescribeRoleList", "List"), ("cam", "", "ListPolicies", "List"),
        ("cvm", SH, "DescribeInstances", "InstanceSet"), ("cbs", BJ, "DescribeDisks", "DiskSet"),
        ("cbs", SH, "DescribeSnapshots", "SnapshotSet"), ("cbs", SH, "DescribeAutoSnapshotPolicies",
                                                          "AutoSnapshotPolicySet"),
        ("vpc", SH, "DescribeVpcs", "VpcSet"), ("vpc", BJ, "DescribeSecurityGroups", "SecurityGroupSet"),
        ("vpc", SH, "DescribeVpcPeeringConnections", "PeerConnectionSet"), ("vpc", "", "DescribeCcns", "CcnSet"),
        ("cdb", SH, "DescribeDBInstances", "Items"), ("dasb", SH, "DescribeAcls", "AclSet"),
        ("cloudaudit", "", "DescribeAuditTracks", "Tracks"),
    ]:
        assert named[(service, region, action)] == ("MissingField", f"{service}:{action} answer has no {field}")
    # Nothing was read as "none": no inventory holds a resource, and the root account's details are unknown.
    assert not estate.cam.users and not estate.cvm.instances and not estate.cbs.disks and not estate.vpc.vpcs
    [root] = estate.cam.accounts
    assert root.unreadable == {
        "login_protection": "cam:DescribeSafeAuthFlag answer has no LoginFlag",
        "action_protection": "cam:DescribeSafeAuthFlag answer has no LoginFlag",
        "root_access_keys": "cam:ListAccessKeys answer has no AccessKeys"}


@pytest.mark.parametrize(("action", "where", "attributes", "field"), [
    ("cdb:DescribeBackupConfig", "cdb", ("backup_config",), "BackupExpireDays"),
    ("cdb:DescribeRemoteBackupConfig", "cdb", ("remote_backup",), "RemoteBackupSave"),
    ("cdb:DescribeBackups", "cdb", ("backups",), "Items"),
    ("vpc:DescribeSecurityGroupPolicies", "vpc", ("ingress", "egress"), "SecurityGroupPolicySet"),
    ("vpc:DescribeCcnAttachedInstances", "vpc", ("attachments",), "InstanceSet"),
    ("cam:DescribeSafeAuthFlagColl", "cam", ("login_protection", "action_protection"), "LoginFlag"),
    ("cam:ListGroupsForUser", "cam", ("group_ids",), "GroupInfo"),
    ("cam:ListAccessKeys", "cam", ("access_keys",), "AccessKeys"),
    ("cam:GetPolicy", "cam", ("document",), "PolicyDocument"),
    ("cam:ListAttachedGroupPolicies", "cam", ("policy_ids",), "List"),
    ("cam:ListAttachedRolePolicies", "cam", ("policy_ids",), "List"),
    ("cam:GetSecurityLastUsed", "cam", ("access_keys",), "SecretIdLastUsedRows"),
])
def test_a_detail_read_with_no_field_leaves_that_detail_unreadable_with_action_and_field(
        cloud, faults, action, where, attributes, field):
    faults.emptied_actions.add(action)
    estate = collected(cloud, where)
    reason = f"{action} answer has no {field}"
    marked = [r for inventory in type(getattr(estate, where)).model_fields
              for r in getattr(getattr(estate, where), inventory)
              if hasattr(r, "unreadable") and all(r.unreadable.get(a) == reason for a in attributes)]
    assert marked, f"no resource has {attributes} unreadable for {reason!r}"
    assert not estate.gaps  # the inventories themselves were read


def test_last_logins_fall_back_to_one_read_per_user_when_the_batch_answer_has_no_list(cloud, faults):
    faults.emptied_actions.add("cam:DescribeSubAccounts")
    alice = next(u for u in collected(cloud, "cam").cam.users if u.name == "alice")
    assert "last_login_at" not in alice.unreadable and alice.last_login_at is not None  # read with GetUser
    faults.emptied_actions.add("cam:GetUser")
    alice = next(u for u in collected(cloud, "cam").cam.users if u.name == "alice")
    assert alice.unreadable["last_login_at"] == "cam:GetUser answer has no RecentlyLoginTime"


@pytest.mark.parametrize(("answer", "gap"), [
    ({"TotalCount": 2, "DiskSet": None}, "cbs:DescribeDisks answer has no DiskSet items although TotalCount is 2"),
    ({"TotalCount": 0}, "cbs:DescribeDisks answer has no DiskSet"),
    ({"TotalCount": 0, "DiskSet": None}, None),  # null with nothing to list is the API's "none"
])
def test_a_null_list_is_none_only_when_the_answer_counts_nothing(answer, gap):
    answers = {"cbs:DescribeDisks": answer, "cbs:DescribeAutoSnapshotPolicies": {"TotalCount": 0,
                                                                                  "AutoSnapshotPolicySet": []},
               "cbs:DescribeSnapshots": {"TotalCount": 0, "SnapshotSet": []}}
    with FakeApi(answers=answers) as fake:
        estate = run_collector(fake, cbs.collect, REGION)
    assert [g.message for g in estate.gaps] == ([gap] if gap else [])
    assert estate.cbs.disks == []


def key_answers(last_used: object) -> dict[str, object]:
    return {
        "cam:ListUsers": {"Data": [{"Uin": 2001, "Name": "ops", "ConsoleLogin": 0}]},
        "cam:ListGroupsForUser": {"TotalNum": 0, "GroupInfo": []},
        "cam:ListAttachedUserPolicies": {"TotalNum": 0, "List": []},
        "cam:DescribeSafeAuthFlagColl": {"LoginFlag": {}, "ActionFlag": {}},
        "cam:ListAccessKeys": lambda p: {"AccessKeys": [] if "TargetUin" not in p else [
            {"AccessKeyId": "AKIDkeyXXXXXXXXXXXXXXXXXXXXXXXXXwxyz", "Status": "Active",
             "CreateTime": "2020-01-01 08:00:00"}]},
        "cam:GetSecurityLastUsed": lambda p: {"SecretIdLastUsedRows": [
            {"SecretId": s, "LastUsedDate": "2026-10-01", "LastSecretUsedDate": last_used} for s in p["SecretIdList"]]},
        "cam:DescribeSubAccounts": {"SubAccounts": [{"Uin": 2001, "LastLoginTime": None}]},
        "cam:ListGroups": {"TotalNum": 0, "GroupInfo": []}, "cam:DescribeRoleList": {"TotalNum": 0, "List": []},
        "cam:ListPolicies": {"TotalNum": 0, "List": []},
        "cam:DescribeSafeAuthFlag": {"LoginFlag": {"Phone": 1}, "ActionFlag": {"Phone": 1}},
    }


@pytest.mark.parametrize("unit", [1, 1000])
def test_a_key_last_used_time_reads_the_same_in_seconds_or_milliseconds(unit):
    moment = datetime(2026, 10, 30, 6, 15, 0, tzinfo=UTC)
    with FakeApi(answers=key_answers(int(moment.timestamp()) * unit)) as fake:
        estate = run_collector(fake, cam.collect)
    [user] = estate.cam.users
    assert user.unreadable == {} and user.access_keys[0].last_used_at == moment


@pytest.mark.parametrize("value", [57_799 * 10**13, -5, 3_000_000_000_000_000, 1, "yesterday"])
def test_an_implausible_last_used_time_is_unknown_naming_field_and_value(value):
    with FakeApi(answers=key_answers(value)) as fake:
        estate = run_collector(fake, cam.collect)  # no crash: run_collector asserts no task crashed
    [user] = estate.cam.users
    assert user.unreadable["access_keys"].startswith(f"cam:GetSecurityLastUsed LastSecretUsedDate={value!r} ")
    assert user.access_keys[0].last_used_at is None


@settings(max_examples=200, deadline=None)
@given(st.integers(EARLIEST_EPOCH, LATEST_EPOCH - 1))
def test_every_plausible_time_reads_alike_in_seconds_and_milliseconds(seconds):
    assert epoch_time(seconds) == epoch_time(seconds * 1000) == datetime.fromtimestamp(seconds, UTC)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.integers(max_value=EARLIEST_EPOCH - 1).filter(lambda v: v != 0),
                 st.integers(LATEST_EPOCH, 1000 * EARLIEST_EPOCH - 1),
                 st.integers(min_value=1000 * LATEST_EPOCH)))
def test_every_implausible_time_is_refused_never_a_crash(value):
    with pytest.raises(ImplausibleValue):
        epoch_time(value, "LastSecretUsedDate")


def test_a_listed_entry_without_its_id_is_a_failed_read_not_a_dropped_entry():
    answers = key_answers(None)
    answers["cam:ListAttachedUserPolicies"] = {"TotalNum": 2, "List": [{"PolicyId": 7, "PolicyName": "a"},
                                                                       {"PolicyName": "AdministratorAccess"}]}
    answers["cam:ListGroups"] = {"TotalNum": 1, "GroupInfo": [{"GroupName": "admins"}]}
    answers["cam:GetPolicy"] = {"PolicyName": "a", "Type": 1, "PolicyDocument": '{"statement": []}'}
    with FakeApi(answers=answers) as fake:
        estate = run_collector(fake, cam.collect)
    [user] = estate.cam.users
    assert user.unreadable["policy_ids"] == "cam:ListAttachedUserPolicies answer has no List[].PolicyId"
    assert [(g.operation, g.message) for g in estate.gaps] == [
        ("ListGroups", "cam:ListGroups answer has no GroupInfo[].GroupId")]
