"""What the backends answer, service by service: the Estate in the API's own terms and wire formats."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from dr_audit.estate import mask_key_id

from .conftest import ACCOUNT, BJ, SH, ago, call, error_code

BEIJING = timezone(timedelta(hours=8))


def beijing(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)


# ---- CAM ---------------------------------------------------------------------------------------------------------

def test_access_keys_are_full_unique_secret_ids_whose_mask_is_the_estates(client, estate):
    cam = client("cam")
    alice = estate.cam.users[0]
    keys = call(cam, "ListAccessKeys", {"TargetUin": int(alice.uin)})["AccessKeys"]
    ids = [k["AccessKeyId"] for k in keys]
    assert len(set(ids)) == 12 and all(len(i) == 36 for i in ids)
    assert [mask_key_id(i) for i in ids] == [k.key_id for k in alice.access_keys]


def test_list_access_keys_without_a_target_answers_for_the_root(client):
    keys = call(client("cam"), "ListAccessKeys")["AccessKeys"]
    assert [mask_key_id(k["AccessKeyId"]) for k in keys] == ["AKID****root"]
    assert keys[0]["Status"] == "Active"


def test_last_used_dates_are_answered_by_secret_id_at_most_ten_at_a_time(client):
    cam = client("cam")
    ids = [k["AccessKeyId"] for k in call(cam, "ListAccessKeys", {"TargetUin": 300000000001})["AccessKeys"]]
    rows = call(cam, "GetSecurityLastUsed", {"SecretIdList": ids[10:]})["SecretIdLastUsedRows"]
    assert [r["SecretId"] for r in rows] == ids[10:]
    assert beijing(rows[0]["LastUsedDate"]) == ago(days=3, hours=2)
    assert rows[0]["LastSecretUsedDate"] == int(ago(days=3, hours=2).timestamp())
    assert error_code(cam, "GetSecurityLastUsed", {"SecretIdList": ids[:11]}) == "InvalidParameterValue"


def test_effective_policies_include_those_inherited_through_groups(client):
    cam = client("cam")
    listed = call(cam, "ListAttachedUserAllPolicies", {"TargetUin": 300000000001, "Rp": 20, "Page": 1,
                                                       "AttachType": 0})
    by_id = {p["PolicyId"]: p for p in listed["PolicyList"]}
    assert set(by_id) == {"1", "200", "201"} and listed["TotalNum"] == 3
    assert by_id["1"]["Groups"] == [] and by_id["1"]["StrategyType"] == "2"
    assert by_id["200"]["Groups"] == [{"GroupId": 11, "GroupName": "ops"}]
    direct = call(cam, "ListAttachedUserAllPolicies", {"TargetUin": 300000000001, "AttachType": 1})
    assert [p["PolicyId"] for p in direct["PolicyList"]] == ["1"]
    assert [p["PolicyId"] for p in call(cam, "ListAttachedUserPolicies", {"TargetUin": 300000000001})["List"]] == [1]


def test_who_holds_a_policy(client):
    entities = call(client("cam"), "ListEntitiesForPolicy", {"PolicyId": 1})["List"]
    assert {(e["RelatedType"], e["Name"]) for e in entities} == {(1, "alice"), (3, "ops-role")}
    users_only = call(client("cam"), "ListEntitiesForPolicy", {"PolicyId": 1, "EntityFilter": "User"})["List"]
    assert [e["Uin"] for e in users_only] == [300000000001]


def test_policy_documents_are_json_strings(client, estate):
    answer = call(client("cam"), "GetPolicy", {"PolicyId": 1})
    assert isinstance(answer["PolicyDocument"], str)
    assert json.loads(answer["PolicyDocument"]) == estate.cam.policies[0].document
    assert answer["Type"] == 2
    assert error_code(client("cam"), "GetPolicy", {"PolicyId": 424242}) == "ResourceNotFound.PolicyIdNotExist"


def test_groups_and_members_both_ways(client):
    cam = client("cam")
    assert [g["GroupName"] for g in call(cam, "ListGroupsForUser", {"SubUin": 300000000001})["GroupInfo"]] == ["ops"]
    uid = call(cam, "GetUser", {"Name": "alice"})["Uid"]
    assert [g["GroupId"] for g in call(cam, "ListGroupsForUser", {"Uid": uid})["GroupInfo"]] == [11]
    assert [u["Name"] for u in call(cam, "ListUsersForGroup", {"GroupId": 11})["UserInfo"]] == ["alice"]
    assert [p["PolicyId"] for p in call(cam, "ListAttachedGroupPolicies", {"TargetGroupId": 11})["List"]] == [200, 201]


def test_mfa_flags_for_the_root_and_each_sub_user(client):
    cam = client("cam")
    root = call(cam, "DescribeSafeAuthFlag")
    assert root["LoginFlag"]["Phone"] == 1 and not any(root["ActionFlag"].values())
    alice = call(cam, "DescribeSafeAuthFlagColl", {"SubUin": 300000000001})
    assert alice["LoginFlag"] | {"Stoken": 0} == dict.fromkeys(alice["LoginFlag"], 0)
    assert alice["ActionFlag"]["Stoken"] == 1 and alice["ActionFlag"]["Phone"] == 1
    assert error_code(cam, "DescribeSafeAuthFlagColl", {"SubUin": 1}) == "ResourceNotFound.UserNotExist"


def test_get_user_gives_the_last_login_in_beijing_time(client):
    alice = call(client("cam"), "GetUser", {"Name": "alice"})
    assert beijing(alice["RecentlyLoginTime"]) == ago(hours=5)
    assert alice["ConsoleLogin"] == 1 and alice["Uin"] == 300000000001
    assert call(client("cam"), "GetUser", {"Name": "bob"})["RecentlyLoginTime"] is None


def test_roles_carry_their_trust_policy_and_attachments(client):
    cam = client("cam")
    role = call(cam, "DescribeRoleList", {"Page": 1, "Rp": 10})["List"][0]
    assert json.loads(role["PolicyDocument"]) == {"version": "2.0", "statement": []}
    assert role["RoleArn"] == f"qcs::cam::uin/{ACCOUNT}:roleName/ops-role"
    attached = call(cam, "ListAttachedRolePolicies", {"RoleId": role["RoleId"]})["List"]
    assert [(p["PolicyId"], p["PolicyType"]) for p in attached] == [(1, "QCS")]


def test_caller_identity_and_regions(client):
    assert call(client("sts"), "GetCallerIdentity")["AccountId"] == ACCOUNT
    regions = call(client("region"), "DescribeRegions", {"Product": "cvm"})["RegionSet"]
    assert [r["Region"] for r in regions] == [SH, BJ]
    assert error_code(client("region"), "DescribeRegions") == "MissingParameter"


# ---- compute, storage, network ------------------------------------------------------------------------------------

def test_times_on_the_wire_are_as_each_api_gives_them(client):
    snapshot = call(client("cbs", SH), "DescribeSnapshots", {"SnapshotIds": ["snap-shd1-1"]})["SnapshotSet"][0]
    assert beijing(snapshot["CreateTime"]) == ago(days=1, hours=1)  # Beijing time, no zone on the wire
    instance = call(client("cvm", SH), "DescribeInstances", {"InstanceIds": ["ins-sh0001"]})["InstanceSet"][0]
    assert instance["CreatedTime"] == ago(days=30).strftime("%Y-%m-%dT%H:%M:%SZ")  # ISO 8601 UTC
    backup = call(client("cdb", SH), "DescribeBackups", {"InstanceId": "cdb-sh0001"})["Items"][0]
    assert beijing(backup["StartTime"]) == ago(hours=6) and backup["BackupId"] == 9000


def test_an_instance_lists_its_disks_network_and_tags(client):
    instance = call(client("cvm", SH), "DescribeInstances", {"InstanceIds": ["ins-sh0001"]})["InstanceSet"][0]
    assert instance["SystemDisk"]["DiskId"] == "disk-shs1"
    assert [d["DiskId"] for d in instance["DataDisks"]] == ["disk-shd1"]
    assert instance["VirtualPrivateCloud"]["VpcId"] == "vpc-shprod"
    assert instance["Tags"] == [{"Key": "env", "Value": "prod"}, {"Key": "app", "Value": "web"}]
    assert instance["PublicIpAddresses"] is None  # null, as the real API answers for no public address


def test_an_unattached_disk_has_an_empty_instance_id(client):
    disk = call(client("cbs", SH), "DescribeDisks", {"DiskIds": ["disk-shloose"]})["DiskSet"][0]
    assert disk["InstanceId"] == "" and disk["Attached"] is False and disk["DiskState"] == "UNATTACHED"


def test_snapshot_policies_carry_schedule_retention_and_disks(client):
    policy = call(client("cbs", SH), "DescribeAutoSnapshotPolicies")["AutoSnapshotPolicySet"][0]
    assert policy["Policy"] == [{"DayOfWeek": list(range(7)), "Hour": [2], "DayOfMonth": [], "IntervalDays": None}]
    assert policy["RetentionDays"] == 7 and policy["IsActivated"] is True
    assert sorted(policy["DiskIdSet"]) == ["disk-shd1", "disk-shd2", "disk-shs1", "disk-shs2"]
    assert sorted(policy["InstanceIdSet"]) == ["ins-sh0001", "ins-sh0002"]


def test_security_group_rules(client):
    rules = call(client("vpc", SH), "DescribeSecurityGroupPolicies", {"SecurityGroupId": "sg-shweb"})[
        "SecurityGroupPolicySet"]
    ssh, from_group = rules["Ingress"]
    assert (ssh["Protocol"], ssh["Port"], ssh["CidrBlock"], ssh["Action"]) == ("tcp", "22", "0.0.0.0/0", "ACCEPT")
    assert from_group["SecurityGroupId"] == "sg-other" and from_group["CidrBlock"] == ""
    assert len(rules["Egress"]) == 1
    assert error_code(client("vpc", BJ), "DescribeSecurityGroupPolicies", {"SecurityGroupId": "sg-shweb"}) \
        == "ResourceNotFound"


def test_mysql_replicas_dr_links_and_backup_settings(client):
    cdb = client("cdb", SH)
    item = call(cdb, "DescribeDBInstances")["Items"][0]
    assert (item["DeployMode"], item["SlaveInfo"]["First"]["Zone"], item["InstanceType"]) == (1, "ap-shanghai-3", 1)
    assert (item["DrInfo"][0]["Region"], item["DrInfo"][0]["SyncStatus"]) == (BJ, 2)
    assert item["TagList"] == [{"TagKey": "env", "TagValue": "prod"}]
    config = call(cdb, "DescribeBackupConfig", {"InstanceId": "cdb-sh0001"})
    assert (config["BackupExpireDays"], config["BinlogExpireDays"]) == (7, 7)
    remote = call(cdb, "DescribeRemoteBackupConfig", {"InstanceId": "cdb-sh0001"})
    assert (remote["RemoteBackupSave"], remote["RemoteRegion"]) == ("on", [BJ])
    backups = call(cdb, "DescribeBackups", {"InstanceId": "cdb-sh0001", "MinStartTime": "2026-10-31 00:00:00"})
    assert backups["TotalCount"] == 2 and backups["Items"][0]["RemoteInfo"][0]["Status"] == "SUCCESS"
    # An instance of another region is not found here.
    assert error_code(cdb, "DescribeBackupConfig", {"InstanceId": "cdb-bj0001"}) == "InvalidParameter.InstanceNotFound"


def test_bastion_resources_devices_and_acls(client):
    dasb = client("dasb", SH)
    resource = call(dasb, "DescribeResources")["ResourceSet"][0]
    assert (resource["Status"], resource["Deployed"], resource["Expired"]) == (1, True, False)
    device = call(dasb, "DescribeDevices")["DeviceSet"][0]
    assert (device["Id"], device["InstanceId"], device["Resource"]["ResourceId"]) == (
        101, "ins-sh0001", "bh-saas-test0001")
    acl = call(dasb, "DescribeAcls")["AclSet"][0]
    assert acl["AllowAnyAccount"] is True and [t["Id"] for t in acl["CmdTemplateSet"]] == [3]
    assert [d["InstanceId"] for d in acl["DeviceSet"]] == ["ins-sh0001"]
    assert datetime.fromisoformat(acl["ValidateTo"]) == ago(days=-30)


def test_audit_tracks_and_their_storage(client):
    audit = client("cloudaudit", SH)
    track = call(audit, "DescribeAuditTrack", {"TrackId": 5001})
    assert (track["Status"], track["ActionType"], track["ResourceType"]) == (1, "*", "*")
    assert track["Storage"]["StorageName"] == "audit-logs" and track["Storage"]["StorageType"] == "cos"
    assert error_code(audit, "DescribeAuditTrack", {"TrackId": 1}) == "ResourceNotFound"
