"""The collectors read real answers as they are (docs §7): Beijing times, nulls, tags twice, bare-string policy
actions, lower-case protocols, zero dates; and they page, fall back, and mark what failed."""

from __future__ import annotations

from datetime import UTC, datetime

from dr_audit.collect.client import ApiClient, Endpoint, RateLimiter, RetryPolicy
from dr_audit.collect.errors import Secrets
from dr_audit.collect.tasks import TaskGroup
from dr_audit.collect.tencent import cam, cbs, cdb, cvm, vpc
from dr_audit.collect.tencent.common import AccountRun, Harvest, beijing_time
from dr_audit.estate import Estate

from .fake_api import FakeApi

ACCOUNT = "100000000001"
REGION = "ap-shanghai"


def run_collector(fake: FakeApi, collect, *args) -> Estate:
    client = ApiClient(Secrets("AKIDshape0000000000000000000000000", "k"), ACCOUNT, endpoint=Endpoint(fake.url),
                       limiter=RateLimiter(enabled=False), retry=RetryPolicy(max_attempts=2, base=0.001))
    tasks = TaskGroup(4)
    run = AccountRun(client=client, account=ACCOUNT, regions=[REGION], tasks=tasks,
                     harvest=Harvest(Estate(accounts=[ACCOUNT])))
    collect(run, *args)
    tasks.wait()
    tasks.close()
    assert not tasks.crashes
    return run.estate


def test_beijing_time_strings_become_aware_utc_and_zero_dates_none():
    assert beijing_time("2026-11-01 10:00:00") == datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    assert beijing_time("2026-11-01T10:00:00+08:00") == datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    assert beijing_time("0000-00-00 00:00:00") is None and beijing_time(None) is None and beijing_time("") is None


def test_cvm_tags_given_twice_nulls_and_utc_created_time():
    instance = {"InstanceId": "ins-1", "InstanceName": "web", "Placement": {"Zone": "ap-shanghai-2"},
                "InstanceState": "RUNNING", "VirtualPrivateCloud": {"VpcId": "vpc-1", "SubnetId": "subnet-1"},
                "SecurityGroupIds": ["sg-1"], "PrivateIpAddresses": ["10.0.0.1"], "PublicIpAddresses": None,
                "Tags": [{"Key": "env", "Value": "prod", "tagKey": "env", "tagValue": "prod"}],
                "SystemDisk": {"DiskId": "disk-s"}, "DataDisks": None, "CreatedTime": "2024-01-02T03:04:05Z"}
    with FakeApi(answers={"cvm:DescribeInstances": {"TotalCount": 1, "InstanceSet": [instance]}}) as fake:
        estate = run_collector(fake, cvm.collect, REGION)
    [found] = estate.cvm.instances
    assert found.tags == {"env": "prod"} and found.public_ips == [] and found.disk_ids == ["disk-s"]
    assert found.created_at == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_cbs_keeps_the_newest_snapshot_per_disk_and_every_copy_and_reads_null_bindings_disk_by_disk():
    disks = [{"DiskId": "disk-a", "DiskUsage": "DATA_DISK", "InstanceId": "ins-1", "Attached": True,
              "Placement": {"Zone": "ap-shanghai-2"}, "DiskState": "ATTACHED", "Tags": None,
              "AutoSnapshotPolicyIds": ["asp-1"]},
             {"DiskId": "disk-b", "DiskUsage": "SYSTEM_DISK", "InstanceId": "ins-1", "Attached": True,
              "Placement": {"Zone": "ap-shanghai-2"}, "DiskState": "ATTACHED", "AutoSnapshotPolicyIds": None}]
    snaps = [  # deliberately not newest-first, across two pages
        {"SnapshotId": "snap-old", "DiskId": "disk-a", "CreateTime": "2026-10-01 01:00:00"},
        {"SnapshotId": "snap-new", "DiskId": "disk-a", "CreateTime": "2026-10-30 09:00:00"},
        *[{"SnapshotId": f"snap-b{n}", "DiskId": "disk-b", "CreateTime": f"2026-10-{n + 1:02d} 00:00:00"}
          for n in range(20)],
        {"SnapshotId": "snap-copy", "DiskId": "disk-z", "CreateTime": "2026-10-29 00:00:00", "CopyFromRemote": True},
    ] * 5
    snaps = snaps[:23] + [dict(s, SnapshotId=s["SnapshotId"] + f"-{i}") for i, s in enumerate(snaps[23:])]

    def snapshot_page(params):
        assert params["Order"] == "DESC" and params["OrderField"] == "CREATE_TIME" and params["Limit"] == 100
        return {"TotalCount": len(snaps), "SnapshotSet": snaps[params["Offset"]:params["Offset"] + 100]}

    answers = {
        "cbs:DescribeDisks": lambda p: {"TotalCount": 2, "DiskSet": disks} if p["ReturnBindAutoSnapshotPolicy"]
        else {},
        "cbs:DescribeDiskAssociatedAutoSnapshotPolicy": {"TotalCount": 1,
                                                         "AutoSnapshotPolicySet": [{"AutoSnapshotPolicyId": "asp-2"}]},
        "cbs:DescribeAutoSnapshotPolicies": {"TotalCount": 1, "AutoSnapshotPolicySet": [
            {"AutoSnapshotPolicyId": "asp-1", "IsActivated": True, "AutoSnapshotPolicyState": "NORMAL",
             "Policy": [{"DayOfWeek": [0, 1, 2, 3, 4, 5, 6], "Hour": [2]}], "RetentionDays": 7, "DiskIdSet": None}]},
        "cbs:DescribeSnapshots": snapshot_page,
    }
    with FakeApi(answers=answers) as fake:
        estate = run_collector(fake, cbs.collect, REGION)
        assert len(fake.calls("cbs:DescribeSnapshots")) == 2
    by_disk = {d.disk_id: d for d in estate.cbs.disks}
    assert by_disk["disk-a"].policy_ids == ["asp-1"] and by_disk["disk-b"].policy_ids == ["asp-2"]
    newest = {s.disk_id: s.snapshot_id for s in estate.cbs.snapshots if not s.copy_from_remote}
    assert newest == {"disk-a": "snap-new", "disk-b": "snap-b19"}
    assert estate.cbs.snapshots_of("disk-a")[0].created_at == datetime(2026, 10, 30, 1, 0, tzinfo=UTC)
    assert sum(s.copy_from_remote for s in estate.cbs.snapshots) == 5  # every copy kept
    [policy] = estate.cbs.policies
    assert policy.schedules[0].days_of_week == list(range(7)) and policy.retention_days == 7 and policy.disk_ids == []


def test_cam_policy_documents_with_bare_strings_keys_masked_and_group_inheritance():
    document = '{"version":"2.0","statement":{"effect":"allow","action":"cvm:*","resource":"*"}}'
    answers = {
        "cam:ListUsers": {"Data": [{"Uin": 2001, "Name": "ops", "ConsoleLogin": 1}]},
        "cam:ListGroupsForUser": {"TotalNum": 1, "GroupInfo": [{"GroupId": 7, "GroupName": "admins"}]},
        "cam:ListAttachedUserPolicies": {"TotalNum": 0, "List": None},
        "cam:DescribeSafeAuthFlagColl": {"LoginFlag": {"Phone": 0, "Stoken": 1}, "ActionFlag": {"Phone": 0}},
        "cam:ListAccessKeys": lambda p: {"AccessKeys": [
            {"AccessKeyId": f"AKIDuser{p.get('TargetUin', 'root')}XXXXXXXXXXXXwxyz", "Status": "Active",
             "CreateTime": "2020-01-01 08:00:00"}]},
        "cam:GetSecurityLastUsed": lambda p: {"SecretIdLastUsedRows": [
            {"SecretId": s, "LastUsedDate": None, "LastSecretUsedDate": None} for s in p["SecretIdList"]]},
        "cam:DescribeSubAccounts": {"SubAccounts": [{"Uin": 2001, "LastLoginTime": "2026-10-01 08:00:00"}]},
        "cam:ListGroups": {"TotalNum": 1, "GroupInfo": [{"GroupId": 7, "GroupName": "admins"}]},
        "cam:ListAttachedGroupPolicies": {"TotalNum": 1, "List": [{"PolicyId": 55, "PolicyName": "cvm-all",
                                                                   "PolicyType": "User"}]},
        "cam:DescribeRoleList": {"TotalNum": 0, "List": []},
        "cam:ListPolicies": {"TotalNum": 1, "List": [{"PolicyId": 55, "PolicyName": "cvm-all", "Type": 1}]},
        "cam:GetPolicy": {"PolicyName": "cvm-all", "Type": 1, "PolicyDocument": document},
        "cam:DescribeSafeAuthFlag": {"LoginFlag": {"Phone": 1}, "ActionFlag": {"Phone": 1, "Token": 0}},
    }
    with FakeApi(answers=answers) as fake:
        estate = run_collector(fake, cam.collect)
        assert len(fake.calls("cam:GetPolicy")) == 1  # once per policy, however often it is attached
        assert len(fake.calls("cam:GetSecurityLastUsed")) == 1  # user and root keys batched together
    [user] = estate.cam.users
    assert user.group_ids == ["7"] and user.policy_ids == [] and estate.cam.effective_policy_ids(user) == ["55"]
    assert user.login_protection == ["stoken"] and user.action_protection == []
    assert user.last_login_at == datetime(2026, 10, 1, 0, 0, tzinfo=UTC)
    assert [k.key_id for k in user.access_keys] == ["AKID****wxyz"] and user.access_keys[0].last_used_at is None
    [policy] = estate.cam.policies
    assert policy.kind == "custom" and policy.document["statement"]["action"] == "cvm:*"
    [root] = estate.cam.accounts
    assert root.action_protection == ["phone"] and root.root_access_keys[0].key_id == "AKID****wxyz"
    assert "AKIDuser" not in estate.to_json()


def test_a_failed_per_resource_read_marks_only_that_attribute_unreadable():
    answers = {"cam:ListUsers": {"Data": [{"Uin": 2001, "Name": "ops", "ConsoleLogin": 1}]},
               "cam:ListGroupsForUser": {"TotalNum": 0, "GroupInfo": []},
               "cam:ListAttachedUserPolicies": {"TotalNum": 0, "List": []},
               "cam:ListAccessKeys": {"AccessKeys": []},
               "cam:DescribeSubAccounts": {"SubAccounts": [{"Uin": 2001, "LastLoginTime": None}]},
               "cam:ListGroups": {"TotalNum": 0, "GroupInfo": []}, "cam:DescribeRoleList": {"TotalNum": 0, "List": []},
               "cam:ListPolicies": {"TotalNum": 0, "List": []}, "cam:DescribeSafeAuthFlag": {}}
    faults = {"cam:DescribeSafeAuthFlagColl": ["AuthFailure.UnauthorizedOperation"]}
    with FakeApi(answers=answers, faults=faults) as fake:
        estate = run_collector(fake, cam.collect)
    [user] = estate.cam.users
    assert set(user.unreadable) == {"login_protection", "action_protection"}
    assert "AuthFailure.UnauthorizedOperation" in user.unreadable["action_protection"]
    assert estate.gaps == []


def test_a_failed_inventory_becomes_a_gap_for_that_service_and_region():
    with FakeApi(faults={"cvm:DescribeInstances": ["AuthFailure.UnauthorizedOperation"]}) as fake:
        estate = run_collector(fake, cvm.collect, REGION)
    [gap] = estate.gaps
    assert (gap.account, gap.service, gap.region, gap.operation, gap.code) == (
        ACCOUNT, "cvm", REGION, "DescribeInstances", "AuthFailure.UnauthorizedOperation")


def test_vpc_rules_keep_evaluation_order_and_lower_case_protocols():
    rules = {"Version": "3", "Ingress": [
        {"PolicyIndex": 1, "Protocol": "tcp", "Port": "22,3389", "CidrBlock": "0.0.0.0/0", "Action": "ACCEPT",
         "SecurityGroupId": "", "AddressTemplate": {"AddressId": "", "AddressGroupId": ""}},
        {"PolicyIndex": 0, "Protocol": "ALL", "Port": "ALL", "CidrBlock": "", "SecurityGroupId": "sg-bastion",
         "Action": "ACCEPT"}], "Egress": None}
    answers = {"vpc:DescribeVpcs": {"TotalCount": 1, "VpcSet": [{"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16",
                                                                 "TagSet": [{"Key": "env", "Value": "prod"}],
                                                                 "AssistantCidrSet": None}]},
               "vpc:DescribeSecurityGroups": {"TotalCount": "1", "SecurityGroupSet": [{"SecurityGroupId": "sg-1"}]},
               "vpc:DescribeSecurityGroupPolicies": {"SecurityGroupPolicySet": rules},
               "vpc:DescribeVpcPeeringConnections": {"TotalCount": 0, "PeerConnectionSet": []},
               "vpc:DescribeCcns": {"TotalCount": 0, "CcnSet": []}}
    with FakeApi(answers=answers) as fake:
        estate = run_collector(fake, vpc.collect, REGION)
        assert {r.params["Limit"] for r in fake.calls("vpc:DescribeVpcs")} == {"100"}
    [group] = estate.vpc.security_groups
    assert [r.source_security_group_id for r in group.ingress] == ["sg-bastion", None]
    assert (group.ingress[1].protocol, group.ingress[1].port, group.ingress[1].cidr) == ("tcp", "22,3389",
                                                                                         "0.0.0.0/0")
    assert group.egress == [] and estate.vpc.vpcs[0].tags == {"env": "prod"}


def test_cdb_running_backups_with_zero_dates_sort_first_and_times_are_beijing():
    backups = [{"BackupId": 1, "StartTime": "2026-10-30 02:00:00", "FinishTime": "2026-10-30 02:10:00",
                "Status": "SUCCESS", "Way": "automatic", "RemoteInfo": [{"Region": "ap-beijing", "Status": "SUCCESS"}]},
               {"BackupId": 3, "StartTime": "0000-00-00 00:00:00", "FinishTime": "0000-00-00 00:00:00",
                "Status": "RUNNING", "RemoteInfo": None},
               {"BackupId": 2, "StartTime": "2026-10-31 02:00:00", "FinishTime": "2026-10-31 02:10:00",
                "Status": "SUCCESS", "Way": "automatic"}]
    answers = {"cdb:DescribeDBInstances": {"TotalCount": 1, "Items": [
        {"InstanceId": "cdb-1", "InstanceType": 1, "Region": REGION, "Zone": "ap-shanghai-2", "DeployMode": 1,
         "SlaveInfo": {"First": {"Zone": "ap-shanghai-3"}, "Second": None}, "DrInfo": None, "TagList": None}]},
        "cdb:DescribeBackupConfig": {"BackupExpireDays": 7, "BinlogExpireDays": 7, "BackupMethod": "physical"},
        "cdb:DescribeRemoteBackupConfig": {"RemoteBackupSave": "on", "RemoteBinlogSave": "off",
                                           "RemoteRegion": ["ap-beijing"], "ExpireDays": 7},
        "cdb:DescribeBackups": {"TotalCount": 3, "Items": backups}}
    with FakeApi(answers=answers) as fake:
        estate = run_collector(fake, cdb.collect, REGION)
    [db] = estate.cdb.instances
    assert [b.backup_id for b in db.backups] == ["3", "2", "1"]
    assert db.backups[1].started_at == datetime(2026, 10, 30, 18, 0, tzinfo=UTC)
    assert db.multi_az and db.replica_zones == ["ap-shanghai-3"] and db.remote_backup.backup_enabled
    assert not db.remote_backup.binlog_enabled and db.backup_config.backup_expire_days == 7


def test_an_account_without_any_listed_region_is_a_gap_not_an_empty_estate(monkeypatch):
    from dr_audit.collect.run import collect_live
    from dr_audit.options import RunOptions

    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", "AKIDnoregion0000000000")
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", "k")
    answers = {"sts:GetCallerIdentity": {"AccountId": ACCOUNT},
               "region:DescribeRegions": {"TotalCount": 0, "RegionSet": None}}
    with FakeApi(answers=answers) as fake:
        estate = collect_live(RunOptions(endpoint_url=fake.url, cos_endpoint_url=fake.url))
    assert {g.service for g in estate.gaps if g.code == "NoRegions"} == {"cvm", "cbs", "vpc", "cdb", "dasb"}
    assert fake.calls("region:DescribeRegions")[0].params == {"Product": "cvm"}


def test_last_logins_fall_back_to_get_user_when_the_batch_read_fails():
    answers = {"cam:ListUsers": {"Data": [{"Uin": 2001, "Name": "ops", "ConsoleLogin": 1},
                                          {"Uin": 2002, "Name": "dev", "ConsoleLogin": 1}]},
               "cam:ListGroupsForUser": {"TotalNum": 0, "GroupInfo": []},
               "cam:ListAttachedUserPolicies": {"TotalNum": 0, "List": []},
               "cam:DescribeSafeAuthFlagColl": {"LoginFlag": {}, "ActionFlag": {}},
               "cam:ListAccessKeys": {"AccessKeys": []},
               "cam:GetUser": lambda p: {"Name": p["Name"], "RecentlyLoginTime": "2026-10-02 08:00:00"
                                         if p["Name"] == "ops" else ""},
               "cam:ListGroups": {"TotalNum": 0, "GroupInfo": []}, "cam:DescribeRoleList": {"TotalNum": 0, "List": []},
               "cam:ListPolicies": {"TotalNum": 0, "List": []}, "cam:DescribeSafeAuthFlag": {}}
    with FakeApi(answers=answers, faults={"cam:DescribeSubAccounts": ["InternalError"] * 5}) as fake:
        estate = run_collector(fake, cam.collect)
        assert sorted(r.params["Name"] for r in fake.calls("cam:GetUser")) == ["dev", "ops"]
    logins = {u.name: u.last_login_at for u in estate.cam.users}
    assert logins == {"ops": datetime(2026, 10, 2, 0, 0, tzinfo=UTC), "dev": None}
    assert all(not u.unreadable for u in estate.cam.users)


def test_a_lone_surrogate_in_an_answer_becomes_a_replacement_character_and_the_snapshot_still_saves(tmp_path):
    instance = {"InstanceId": "ins-1", "InstanceName": "web\ud800", "Placement": {"Zone": "ap-shanghai-2"},
                "InstanceState": "RUNNING", "VirtualPrivateCloud": {"VpcId": "vpc-1", "SubnetId": "subnet-1"},
                "SecurityGroupIds": ["sg-1"], "PrivateIpAddresses": ["10.0.0.1"], "PublicIpAddresses": None,
                "Tags": [{"Key": "env\udfff", "Value": "prod"}], "SystemDisk": {"DiskId": "disk-s"},
                "DataDisks": None, "CreatedTime": "2024-01-02T03:04:05Z"}
    with FakeApi(answers={"cvm:DescribeInstances": {"TotalCount": 1, "InstanceSet": [instance]}}) as fake:
        estate = run_collector(fake, cvm.collect, REGION)
    [found] = estate.cvm.instances
    assert found.name == "web\ufffd" and found.tags == {"env\ufffd": "prod"}
    estate.save(tmp_path / "estate.json")
    assert "web\ufffd" in (tmp_path / "estate.json").read_text(encoding="utf-8")
