"""Fixtures for the emulator's tests: a small hand-built Estate and real SDK clients pointed at the emulator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

from dr_audit.collect.clients import SDK_CLIENTS
from dr_audit.emulator import DEMO_SECRET_ID, DEMO_SECRET_KEY, EmulatedCloud
from dr_audit.estate import (
    AccessKey,
    AuditTrack,
    BackupConfig,
    BastionAcl,
    BastionDevice,
    BastionResource,
    CamAccount,
    CamGroup,
    CamPolicy,
    CamRole,
    CamUser,
    Ccn,
    CcnAttachment,
    Disk,
    DrLink,
    Estate,
    Instance,
    MysqlBackup,
    MysqlInstance,
    Peering,
    RemoteBackupConfig,
    RemoteCopy,
    SecurityGroup,
    SecurityGroupRule,
    Snapshot,
    SnapshotPolicy,
    SnapshotSchedule,
    Vpc,
)

NOW = datetime(2026, 11, 1, 12, 0, 0, tzinfo=UTC)
ACCOUNT = "100000000001"
SH, BJ = "ap-shanghai", "ap-beijing"


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


def small_estate() -> Estate:
    """A small estate in two regions touching every emulated service."""
    estate = Estate(source="snapshot", collected_at=NOW, accounts=[ACCOUNT], regions=[SH, BJ])
    cam = estate.cam
    cam.accounts.append(CamAccount(account=ACCOUNT, uin=ACCOUNT, login_protection=["phone"], action_protection=[],
                                   root_access_keys=[AccessKey(key_id="AKID****root", status="Active",
                                                               created_at=ago(days=400))]))
    cam.policies += [
        CamPolicy(account=ACCOUNT, policy_id="1", name="AdministratorAccess", kind="preset",
                  document={"version": "2.0", "statement": [{"effect": "allow", "action": "*", "resource": "*"}]}),
    ] + [CamPolicy(account=ACCOUNT, policy_id=str(200 + n), name=f"custom-{n}", kind="custom",
                   document={"version": "2.0", "statement": [
                       {"effect": "allow", "action": [f"cvm:Describe{n}"], "resource": ["*"]}]}) for n in range(7)]
    cam.groups.append(CamGroup(account=ACCOUNT, group_id="11", name="ops", policy_ids=["200", "201"]))
    cam.users += [
        CamUser(account=ACCOUNT, uin="300000000001", name="alice", console_login=True, group_ids=["11"],
                policy_ids=["1"], login_protection=["stoken"], action_protection=["stoken", "phone"],
                access_keys=[AccessKey(key_id=f"AKID****a{n:03d}", status="Active", created_at=ago(days=100),
                                       last_used_at=ago(days=3, hours=2)) for n in range(12)],
                last_login_at=ago(hours=5)),
        CamUser(account=ACCOUNT, uin="300000000002", name="bob", console_login=False, group_ids=[],
                policy_ids=["202"]),
    ]
    cam.roles.append(CamRole(account=ACCOUNT, role_id="4611686018427000001", name="ops-role", role_type="user",
                             trust_document={"version": "2.0", "statement": []}, policy_ids=["1"]))
    for region, prefix in ((SH, "sh"), (BJ, "bj")):
        estate.vpc.vpcs.append(Vpc(account=ACCOUNT, region=region, vpc_id=f"vpc-{prefix}prod", name=f"prod-{prefix}",
                                   cidr="10.0.0.0/16", extra_cidrs=["10.9.0.0/16"], tags={"env": "prod"}))
        for n in range(3):
            instance_id = f"ins-{prefix}{n:04d}"
            estate.cvm.instances.append(Instance(
                account=ACCOUNT, region=region, instance_id=instance_id, name=f"web-{prefix}-{n}",
                zone=f"{region}-2", vpc_id=f"vpc-{prefix}prod", security_group_ids=[f"sg-{prefix}web"],
                private_ips=[f"10.0.0.{n + 10}"], tags={"env": "prod" if n else "test", "app": "web"},
                disk_ids=[f"disk-{prefix}s{n}", f"disk-{prefix}d{n}"], created_at=ago(days=30)))
            for usage, disk_id in (("SYSTEM_DISK", f"disk-{prefix}s{n}"), ("DATA_DISK", f"disk-{prefix}d{n}")):
                estate.cbs.disks.append(Disk(account=ACCOUNT, region=region, disk_id=disk_id, usage=usage,
                                             instance_id=instance_id, attached=True, zone=f"{region}-2",
                                             tags={"env": "prod"}, policy_ids=[f"asp-{prefix}daily"] if n else []))
                for age in (1, 2, 3):
                    estate.cbs.snapshots.append(Snapshot(
                        account=ACCOUNT, region=region, snapshot_id=f"snap-{disk_id[5:]}-{age}", disk_id=disk_id,
                        created_at=ago(days=age, hours=n), state="NORMAL" if age < 3 else "CREATING"))
        estate.cbs.disks.append(Disk(account=ACCOUNT, region=region, disk_id=f"disk-{prefix}loose", attached=False,
                                     state="UNATTACHED", zone=f"{region}-1"))
        estate.cbs.policies.append(SnapshotPolicy(
            account=ACCOUNT, region=region, policy_id=f"asp-{prefix}daily", name="daily", activated=True,
            schedules=[SnapshotSchedule(days_of_week=list(range(7)), hours=[2])], retention_days=7,
            disk_ids=[d.disk_id for d in estate.cbs.disks if f"asp-{prefix}daily" in d.policy_ids]))
        estate.vpc.security_groups.append(SecurityGroup(
            account=ACCOUNT, region=region, security_group_id=f"sg-{prefix}web", name="web", tags={"env": "prod"},
            ingress=[SecurityGroupRule(protocol="tcp", port="22", cidr="0.0.0.0/0"),
                     SecurityGroupRule(protocol="ALL", port="ALL", source_security_group_id="sg-other")],
            egress=[SecurityGroupRule()]))
        estate.cdb.instances.append(MysqlInstance(
            account=ACCOUNT, region=region, instance_id=f"cdb-{prefix}0001", name=f"db-{prefix}", zone=f"{region}-2",
            multi_az=True, replica_zones=[f"{region}-3"], status=1, tags={"env": "prod"},
            dr_links=[DrLink(instance_id="cdb-dr000001", region=BJ, zone="ap-beijing-1", sync_status=2)],
            backup_config=BackupConfig(backup_expire_days=7, binlog_expire_days=7, method="physical"),
            remote_backup=RemoteBackupConfig(backup_enabled=True, binlog_enabled=True, regions=[BJ], expire_days=7),
            backups=[MysqlBackup(backup_id=str(9000 + k), started_at=ago(hours=24 * k + 6),
                                 finished_at=ago(hours=24 * k + 5), status="SUCCESS",
                                 remote=[RemoteCopy(region=BJ, status="SUCCESS")]) for k in range(3)]))
    estate.vpc.peerings.append(Peering(account=ACCOUNT, region=SH, peering_id="pcx-00000001", name="sh-bj",
                                       source_vpc_id="vpc-shprod", peer_vpc_id="vpc-bjprod", source_region=SH,
                                       destination_region=BJ))
    estate.vpc.ccns.append(Ccn(account=ACCOUNT, ccn_id="ccn-00000001", name="backbone", attachments=[
        CcnAttachment(instance_id="vpc-shprod", instance_region=SH, cidrs=["10.0.0.0/16"]),
        CcnAttachment(instance_id="vpc-bjprod", instance_region=BJ, cidrs=["10.0.0.0/16"])]))
    estate.dasb.resources.append(BastionResource(account=ACCOUNT, region=SH, bastion_id="bh-saas-test0001", status=1,
                                                 deployed=True, expire_at=ago(days=-100), vpc_id="vpc-shprod",
                                                 private_ips=["10.0.0.250"]))
    estate.dasb.devices.append(BastionDevice(account=ACCOUNT, region=SH, device_id="101", instance_id="ins-sh0001",
                                             name="web-sh-1", private_ip="10.0.0.11", kind=1,
                                             bastion_resource_id="bh-saas-test0001", vpc_id="vpc-shprod"))
    estate.dasb.acls.append(BastionAcl(account=ACCOUNT, region=SH, acl_id="7", name="ops", allow_any_account=True,
                                       cmd_template_ids=["3"], user_ids=["5"], device_ids=["101"], status=1,
                                       validate_to=ago(days=-30)))
    estate.cloudaudit.tracks.append(AuditTrack(account=ACCOUNT, track_id="5001", name="all", status=1,
                                               action_type="*", resource_type="*", event_names=["*"],
                                               storage_type="cos", storage_region=SH, storage_name="audit-logs",
                                               storage_prefix="trail"))
    return estate


@pytest.fixture(scope="module")
def estate() -> Estate:
    return small_estate()


@pytest.fixture(scope="module")
def cloud(estate: Estate) -> Iterator[EmulatedCloud]:
    with EmulatedCloud(estate, cos=False) as running:
        yield running


ClientFactory = Callable[..., Any]


def sdk_client(endpoint_url: str, service: str, region: str = "", *, secret_id: str = DEMO_SECRET_ID,
               secret_key: str = DEMO_SECRET_KEY) -> Any:
    """A real tencentcloud-sdk-python client for `service`, explicit credentials, plain HTTP to the emulator."""
    import importlib

    module_name, class_name = SDK_CLIENTS[service]
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=endpoint_url.removeprefix("http://"),
                                                    reqTimeout=10))
    client_class = getattr(importlib.import_module(module_name), class_name)
    return client_class(credential.Credential(secret_id, secret_key), region, profile)


@pytest.fixture
def client(cloud: EmulatedCloud) -> ClientFactory:
    def make(service: str, region: str = "", **keys: str) -> Any:
        return sdk_client(cloud.endpoint_url, service, region, **keys)
    return make


def call(client: Any, action: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """call_json's Response (the SDK raises TencentCloudSDKException on Response.Error)."""
    return client.call_json(action, params or {})["Response"]


def error_code(client: Any, action: str, params: dict[str, Any] | None = None) -> str:
    with pytest.raises(TencentCloudSDKException) as raised:
        client.call_json(action, params or {})
    return raised.value.get_code()
