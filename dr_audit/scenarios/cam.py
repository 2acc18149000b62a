"""Scenario part: CAM principals, policies, MFA settings and API keys.

`weimob-2020`: the operations engineer holds AdministratorAccess without MFA, custom policies grant `svc:*` on
everything, a deployer role can wipe disks and snapshots alike, an old key lies unused and the root account has an
API key. `hardened`: production operators and backup administrators are separate groups with resource-scoped
policies (and explicit denies on the other side), everyone has MFA, only the break-glass user is an administrator.
"""

from __future__ import annotations

from typing import Any, Literal

from ..estate import AccessKey, CamAccount, CamGroup, CamPolicy, CamRole, CamUser, Estate
from .world import (
    ACCOUNT,
    APPID,
    BREAK_GLASS_USER,
    MYSQL_DR,
    MYSQL_PROD,
    PRIMARY,
    PROTECTED_BUCKETS,
    REPLICA_BUCKETS,
    World,
)

OPS_ENGINEER = "ops-wang"  # the operations engineer of the incident
BACKUP_ADMIN = "backup-sun"
DBA = "dba-li"
DEVELOPERS = ("dev-chen", "dev-zhang")
AUDITOR = "auditor-zhao"
DEPLOYER_ROLE = "ci-deployer"

# Policy ids as CAM gives them (PolicyId; AdministratorAccess is 1 in Tencent's documentation).
ADMINISTRATOR_ACCESS = "1"
READ_ONLY_ACCESS = "2"
OPS_FULL = "160000001"
DEV_COS_CLEANUP = "160000002"
DEPLOYER = "160000003"
PROD_OPERATOR = "160000011"
BACKUP_OPERATOR = "160000012"
DEVELOPER = "160000013"

BUCKET_REGIONS = {"media-replica-bj": "ap-beijing", "media-replica-nj": "ap-nanjing",
                  "orders-replica-bj": "ap-beijing"}


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"version": "2.0", "statement": list(statements)}


def _allow(actions: list[str], resources: list[str] | str = "*") -> dict[str, Any]:
    return {"effect": "allow", "action": actions, "resource": resources}


def _deny(actions: list[str], resources: list[str] | str = "*") -> dict[str, Any]:
    return {"effect": "deny", "action": actions, "resource": resources}


def _bucket_region(name: str) -> str:
    short = name.removesuffix(f"-{APPID}")
    return BUCKET_REGIONS.get(short, PRIMARY)


def _bucket_qcs(name: str) -> str:
    return f"qcs::cos:{_bucket_region(name)}:uid/{APPID}:{name}/*"


def _key(suffix: str, created: Any, last_used: Any,
         status: Literal["Active", "Inactive"] = "Active") -> AccessKey:
    # Only the masked form is ever kept (mask_key_id keeps the first and last four characters).
    return AccessKey(key_id=f"AKID****{suffix}", status=status, created_at=created, last_used_at=last_used)


def _preset_policies() -> list[CamPolicy]:
    return [
        CamPolicy(account=ACCOUNT, policy_id=ADMINISTRATOR_ACCESS, name="AdministratorAccess", kind="preset",
                  document=_doc(_allow(["*"]))),
        CamPolicy(account=ACCOUNT, policy_id=READ_ONLY_ACCESS, name="ReadOnlyAccess", kind="preset",
                  document=_doc(_allow(["*:Describe*", "*:List*", "*:Get*", "*:Head*", "*:Inquiry*"]))),
    ]


def _weimob_policies() -> list[CamPolicy]:
    return [
        CamPolicy(account=ACCOUNT, policy_id=OPS_FULL, name="OpsFullAccess", kind="custom",
                  document=_doc(_allow(["name/cvm:*", "name/cbs:*", "name/cdb:*", "name/cos:*"]))),
        CamPolicy(account=ACCOUNT, policy_id=DEV_COS_CLEANUP, name="DevCosCleanup", kind="custom",
                  document=_doc(_allow(["cos:GetObject", "cos:PutObject", "cos:Delete*"]))),
        CamPolicy(account=ACCOUNT, policy_id=DEPLOYER, name="DeployerPolicy", kind="custom",
                  document=_doc(_allow(["cvm:*"]))),
    ]


def _hardened_policies(world: World) -> list[CamPolicy]:
    uin = f"uin/{ACCOUNT}"
    instances = [f"qcs::cvm:{h.region}:{uin}:instance/{h.instance_id}" for h in world.prod_hosts]
    volumes = [f"qcs::cvm:{h.region}:{uin}:volume/{d}" for h in world.prod_hosts for d in h.disk_ids]
    databases = [f"qcs::cdb:{PRIMARY}:{uin}:instanceId/{db}" for db in MYSQL_PROD]
    dr_databases = [f"qcs::cdb:::instanceId/{db}" for db in MYSQL_DR.values()]
    protected = [_bucket_qcs(b) for b in PROTECTED_BUCKETS]
    replicas = [_bucket_qcs(b) for b in REPLICA_BUCKETS]
    non_prod = [f"qcs::cvm:{h.region}:{uin}:instance/{h.instance_id}" for h in world.hosts if h.env != "prod"]
    return [
        CamPolicy(account=ACCOUNT, policy_id=PROD_OPERATOR, name="ProdOperator", kind="custom", document=_doc(
            _allow(["cvm:Describe*", "cbs:Describe*", "cdb:Describe*", "cos:GetService"]),
            _allow(["cvm:StartInstances", "cvm:StopInstances", "cvm:RebootInstances", "cvm:TerminateInstances"],
                   instances),
            _allow(["cbs:AttachDisks", "cbs:DetachDisks", "cbs:TerminateDisks"], volumes),
            _allow(["cdb:RestartDBInstances", "cdb:IsolateDBInstance"], databases),
            _allow(["cos:GetObject", "cos:PutObject", "cos:DeleteObject"], protected),
            # Belt and braces: production operators can never touch the copies.
            _deny(["cbs:DeleteSnapshots", "cvm:DeleteSnapshots", "cdb:DeleteBackup", "cdb:ModifyBackupConfig"]),
            _deny(["cos:Delete*", "cos:PutBucketLifecycle"], replicas),
            _deny(["cdb:IsolateDBInstance", "cdb:OfflineIsolatedInstances"], dr_databases),
        )),
        CamPolicy(account=ACCOUNT, policy_id=BACKUP_OPERATOR, name="BackupOperator", kind="custom", document=_doc(
            _allow(["cbs:Describe*", "cdb:Describe*", "cos:GetService"]),
            _allow(["cbs:CreateSnapshot", "cbs:CopySnapshotCrossRegions", "cbs:DeleteSnapshots"],
                   ["qcs::cvm:::snapshot/*"]),
            _allow(["cdb:CreateBackup", "cdb:DeleteBackup"], databases),
            _allow(["cos:GetObject", "cos:PutObject", "cos:DeleteObject"], replicas),
            _deny(["cvm:TerminateInstances", "cbs:TerminateDisks", "cvm:TerminateDisks", "cdb:IsolateDBInstance",
                   "cdb:OfflineIsolatedInstances"]),
            _deny(["cos:Delete*", "cos:PutBucketLifecycle"], protected),
        )),
        CamPolicy(account=ACCOUNT, policy_id=DEVELOPER, name="DeveloperAccess", kind="custom", document=_doc(
            _allow(["cvm:Describe*", "cbs:Describe*"]),
            _allow(["cvm:*"], non_prod),
        )),
        CamPolicy(account=ACCOUNT, policy_id=DEPLOYER, name="DeployerPolicy", kind="custom", document=_doc(
            _allow(["cvm:Describe*", "cvm:RunInstances", "cvm:StartInstances", "cvm:StopInstances"]),
        )),
    ]


def _user(uin: str, name: str, *, groups: tuple[str, ...] = (), policies: tuple[str, ...] = (),
          console: bool = True, mfa: bool = False, login_mfa: bool = False,
          keys: tuple[AccessKey, ...] = ()) -> CamUser:
    """`mfa` turns on both login and operation protection; `login_mfa` login protection only."""
    return CamUser(account=ACCOUNT, uin=uin, name=name, console_login=console, group_ids=list(groups),
                   policy_ids=list(policies), login_protection=["stoken"] if mfa or login_mfa else [],
                   action_protection=["stoken"] if mfa else [], access_keys=list(keys))


def build(world: World, estate: Estate) -> None:
    cam = estate.cam
    ago = world.ago
    if world.hardened:
        cam.accounts.append(CamAccount(account=ACCOUNT, uin=ACCOUNT, login_protection=["phone"],
                                       action_protection=["phone"]))
        cam.policies.extend([*_preset_policies(), *_hardened_policies(world)])
        cam.groups.extend([
            CamGroup(account=ACCOUNT, group_id="1001", name="prod-operators", policy_ids=[PROD_OPERATOR]),
            CamGroup(account=ACCOUNT, group_id="1002", name="backup-admins", policy_ids=[BACKUP_OPERATOR]),
            CamGroup(account=ACCOUNT, group_id="1003", name="developers", policy_ids=[DEVELOPER, READ_ONLY_ACCESS]),
        ])
        cam.users.extend([
            _user("200000000001", OPS_ENGINEER, groups=("1001",),
                  keys=(_key("a1b2", ago(days=30), ago(days=1)),), mfa=True),
            _user("200000000002", BACKUP_ADMIN, groups=("1002",), mfa=True),
            _user("200000000003", BREAK_GLASS_USER, policies=(ADMINISTRATOR_ACCESS,), mfa=True),
            _user("200000000004", DBA, groups=("1001",), mfa=True),
            *(_user(f"20000000001{i}", dev, groups=("1003",), mfa=True) for i, dev in enumerate(DEVELOPERS)),
            _user("200000000020", AUDITOR, policies=(READ_ONLY_ACCESS,), mfa=True),
        ])
        cam.roles.append(CamRole(account=ACCOUNT, role_id="4611686018427000001", name=DEPLOYER_ROLE,
                                 role_type="user", policy_ids=[DEPLOYER]))
        return

    cam.accounts.append(CamAccount(account=ACCOUNT, uin=ACCOUNT, login_protection=["phone"],
                                   root_access_keys=[_key("r00t", ago(days=1400), ago(days=2))]))
    cam.policies.extend([*_preset_policies(), *_weimob_policies()])
    cam.groups.extend([
        CamGroup(account=ACCOUNT, group_id="1001", name="ops", policy_ids=[OPS_FULL]),
        CamGroup(account=ACCOUNT, group_id="1003", name="developers", policy_ids=[DEV_COS_CLEANUP, READ_ONLY_ACCESS]),
    ])
    cam.users.extend([
        # The incident: unrestricted rights, no second factor, an everyday API key.
        _user("200000000001", OPS_ENGINEER, policies=(ADMINISTRATOR_ACCESS,),
              keys=(_key("a1b2", ago(days=700), ago(days=1)),)),
        _user("200000000003", BREAK_GLASS_USER, policies=(ADMINISTRATOR_ACCESS,), mfa=True),
        _user("200000000004", DBA, groups=("1001",), login_mfa=True),
        _user("200000000010", DEVELOPERS[0], groups=("1003",)),
        # A key made for a one-off script and forgotten: never used since it was created.
        _user("200000000011", DEVELOPERS[1], groups=("1003",), console=False,
              keys=(_key("c3d4", ago(days=400), None),)),
        _user("200000000020", AUDITOR, policies=(READ_ONLY_ACCESS,), login_mfa=True),
    ])
    cam.roles.append(CamRole(account=ACCOUNT, role_id="4611686018427000001", name=DEPLOYER_ROLE,
                             role_type="user", policy_ids=[DEPLOYER]))
