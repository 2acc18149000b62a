"""A large, realistic synthetic Estate for benchmarks: many regions, disks, users, buckets and databases.

The mix is what audits of real estates find: most disks bound to a daily policy but some unbound or weekly, some
stale snapshots, sub-users with and without MFA and old keys, buckets with and without versioning, replication and
locks, databases with and without DR. Deterministic for a seed.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter

from ..estate import (
    AuditTrack,
    BackupConfig,
    BastionAcl,
    BastionDevice,
    BastionResource,
    Bucket,
    BucketAcl,
    CamAccount,
    CamGroup,
    CamPolicy,
    CamRole,
    CamUser,
    Disk,
    DrLink,
    Estate,
    Instance,
    LifecycleRule,
    MysqlBackup,
    MysqlInstance,
    ObjectLock,
    OffsiteCopy,
    RemoteBackupConfig,
    RemoteCopy,
    Replication,
    ReplicationRule,
    SecurityGroup,
    SecurityGroupRule,
    Snapshot,
    SnapshotPolicy,
    Transition,
    Vpc,
)
from ..gcpause import collector_paused

ACCOUNT = "200000000001"
APPID = "1300000001"
ALL_REGIONS = (
    "ap-shanghai", "ap-beijing", "ap-nanjing", "ap-guangzhou", "ap-chengdu", "ap-chongqing", "ap-hongkong",
    "ap-singapore", "ap-tokyo", "ap-seoul", "ap-bangkok", "ap-jakarta", "eu-frankfurt", "na-siliconvalley",
    "na-ashburn", "sa-saopaulo",
)
_INSTANCES = TypeAdapter(list[Instance])
_DISKS = TypeAdapter(list[Disk])
_SNAPSHOTS = TypeAdapter(list[Snapshot])
_POLICIES = TypeAdapter(list[SnapshotPolicy])
_USERS = TypeAdapter(list[CamUser])
ENVS = ("prod", "prod", "prod", "test", "dev")  # most hosts are production
APPS = ("mall", "crm", "pay", "search", "ads", "erp", "im", "bi")
ADMIN_POLICY = "1"  # AdministratorAccess
READONLY_POLICY = "219188"  # ReadOnlyAccess
FACTORS = ("phone", "stoken", "token", "wechat", "mail", "u2f_token")


def _c(model: Any, **fields: Any) -> Any:
    """Build one Estate model (validated: pydantic-core does 20,000 disks in about a tenth of a second)."""
    return model(**fields)


def synthetic_estate(*, regions: int = 10, disks: int = 20_000, users: int = 2_000, buckets: int = 2_000,
                     mysql: int = 500, now: datetime | None = None, seed: int = 0) -> Estate:
    rng = random.Random(seed)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    if not 1 <= regions <= len(ALL_REGIONS):
        raise ValueError(f"regions must be between 1 and {len(ALL_REGIONS)}")
    region_names = list(ALL_REGIONS[:regions])
    estate = Estate(source="demo", collected_at=now, accounts=[ACCOUNT], regions=region_names)

    def ago(**delta: float) -> datetime:
        return now - timedelta(**delta)

    # Tens of thousands of new objects and no garbage: the cyclic collector would only rescan them again and again.
    with collector_paused():
        _network(estate, rng, region_names)
        _compute(estate, rng, region_names, disks, ago)
        _cam(estate, rng, users, ago)
        _storage(estate, rng, region_names, buckets, ago)
        _databases(estate, rng, region_names, mysql, ago)
        _bastion_and_audit(estate, rng, region_names, ago)
    return estate


def _network(estate: Estate, rng: random.Random, regions: list[str]) -> None:
    for r, region in enumerate(regions):
        for e, env in enumerate(("prod", "test", "dev")):
            vpc_id = f"vpc-{r:02d}{env[:3]}{e:03d}"
            estate.vpc.vpcs.append(_c(Vpc, account=ACCOUNT, region=region, vpc_id=vpc_id, name=f"{env}-{region}",
                                      cidr=f"10.{r * 3 + e}.0.0/16", tags={"env": env}))
            rules = [_c(SecurityGroupRule, protocol="TCP", port="443", cidr="0.0.0.0/0", action="ACCEPT")]
            if env != "prod" or rng.random() < 0.3:  # a share of groups still open SSH to the world
                rules.append(_c(SecurityGroupRule, protocol="tcp", port="22", cidr="0.0.0.0/0", action="ACCEPT"))
            estate.vpc.security_groups.append(_c(
                SecurityGroup, account=ACCOUNT, region=region, security_group_id=f"sg-{r:02d}{env[:3]}{e:03d}",
                name=f"{env}-web", tags={"env": env}, ingress=rules,
                egress=[_c(SecurityGroupRule, protocol="ALL", port="ALL", cidr="0.0.0.0/0", action="ACCEPT")]))


def _compute(estate: Estate, rng: random.Random, regions: list[str], disk_count: int, ago: Any) -> None:
    # Plain dicts validated in bulk: pydantic-core builds a list of 20,000 models several times faster than
    # 20,000 constructor calls.
    daily = {"days_of_week": list(range(7)), "hours": [2]}
    weekly = {"days_of_week": [0], "hours": [3]}
    policies: dict[str, dict[str, Any]] = {}
    for r, region in enumerate(regions):
        for kind, schedule, days in (("daily14", daily, 14), ("daily3", daily, 3), ("weekly", weekly, 30)):
            policy_id = f"asp-{r:02d}{kind}"
            policies[policy_id] = {"account": ACCOUNT, "region": region, "policy_id": policy_id, "name": kind,
                                   "activated": True, "state": "NORMAL", "schedules": [schedule],
                                   "retention_days": days, "disk_ids": []}
    instances: list[dict[str, Any]] = []
    disks: list[dict[str, Any]] = []
    snapshots: list[dict[str, Any]] = []
    hosts = max(1, disk_count // 2)
    for h in range(hosts):
        r = h % len(regions)
        region = regions[r]
        env = ENVS[h % len(ENVS)]
        app = APPS[h % len(APPS)]
        zone = f"{region}-{1 + h % 3}"
        instance_id = f"ins-{h:08d}"
        suffix = f"{h:08d}"
        disk_ids = [f"disk-s{suffix}", f"disk-d{suffix}"][: max(1, min(2, disk_count - len(disks)))]
        vpc_id = f"vpc-{r:02d}{env[:3]}{('prod', 'test', 'dev').index(env):03d}"
        instances.append({
            "account": ACCOUNT, "region": region, "instance_id": instance_id, "name": f"{app}-{env}-{h}",
            "zone": zone, "state": "RUNNING", "vpc_id": vpc_id, "security_group_ids": [vpc_id.replace("vpc-", "sg-")],
            "private_ips": [f"10.{r}.{h // 250 % 250}.{h % 250 + 2}"], "tags": {"env": env, "app": app},
            "disk_ids": disk_ids, "created_at": ago(days=30 + h % 700)})
        roll = rng.random()
        bound = [] if roll < 0.08 else [f"asp-{r:02d}weekly"] if roll < 0.15 else [f"asp-{r:02d}daily3"] \
            if roll < 0.25 else [f"asp-{r:02d}daily14"]
        for n, disk_id in enumerate(disk_ids):
            disks.append({"account": ACCOUNT, "region": region, "disk_id": disk_id,
                          "usage": "SYSTEM_DISK" if n == 0 else "DATA_DISK", "instance_id": instance_id,
                          "attached": True, "zone": zone, "state": "ATTACHED", "tags": {"env": env},
                          "policy_ids": bound})
            for policy_id in bound:
                policies[policy_id]["disk_ids"].append(disk_id)
            if bound:
                hours = 4 + rng.random() * 20 if "daily" in bound[0] else 24 * (1 + rng.random() * 6)
                snapshots.append({"account": ACCOUNT, "region": region, "snapshot_id": f"snap-{disk_id[5:]}",
                                  "disk_id": disk_id, "created_at": ago(seconds=int(hours * 3600)),
                                  "state": "NORMAL", "policy_id": bound[0]})
    # A few disks nobody attached or protected: detached leftovers.
    for n in range(max(0, disk_count - len(disks))):
        region = regions[n % len(regions)]
        disks.append({"account": ACCOUNT, "region": region, "disk_id": f"disk-u{n:08d}", "usage": "DATA_DISK",
                      "instance_id": None, "attached": False, "zone": f"{region}-1", "state": "UNATTACHED"})
    estate.cvm.instances.extend(_INSTANCES.validate_python(instances))
    estate.cbs.disks.extend(_DISKS.validate_python(disks))
    estate.cbs.snapshots.extend(_SNAPSHOTS.validate_python(snapshots))
    estate.cbs.policies.extend(_POLICIES.validate_python(list(policies.values())))


def _cam(estate: Estate, rng: random.Random, user_count: int, ago: Any) -> None:
    estate.cam.accounts.append(_c(CamAccount, account=ACCOUNT, uin=ACCOUNT, login_protection=["phone"],
                                  action_protection=["phone"], root_access_keys=[]))
    estate.cam.policies.extend([
        _c(CamPolicy, account=ACCOUNT, policy_id=ADMIN_POLICY, name="AdministratorAccess", kind="preset",
           document={"version": "2.0", "statement": [{"effect": "allow", "action": ["*"], "resource": ["*"]}]}),
        _c(CamPolicy, account=ACCOUNT, policy_id=READONLY_POLICY, name="ReadOnlyAccess", kind="preset",
           document={"version": "2.0", "statement": [
               {"effect": "allow", "action": ["*:Describe*", "*:List*", "*:Get*"], "resource": ["*"]}]}),
    ])
    custom = []
    for n in range(max(1, user_count // 50)):
        service = ("cvm", "cbs", "cos", "cdb", "vpc")[n % 5]
        wildcard = n % 7 == 0  # a few custom policies grant everything on a service
        action = [f"{service}:*"] if wildcard else [f"{service}:Describe*", f"{service}:Create*"]
        policy_id = str(100_000_000 + n)
        custom.append(policy_id)
        estate.cam.policies.append(_c(CamPolicy, account=ACCOUNT, policy_id=policy_id, name=f"ops-{service}-{n}",
                                      kind="custom", document={"version": "2.0", "statement": [
                                          {"effect": "allow", "action": action, "resource": ["*"]}]}))
    groups = max(1, user_count // 25)
    for g in range(groups):
        estate.cam.groups.append(_c(CamGroup, account=ACCOUNT, group_id=str(10_000 + g), name=f"team-{g}",
                                    policy_ids=[custom[g % len(custom)], READONLY_POLICY]))
    users: list[dict[str, Any]] = []
    for u in range(user_count):
        keys = []
        if u % 3 == 0:
            last = None if u % 9 == 0 else ago(days=rng.randint(0, 400))
            keys.append({"key_id": f"AKID****{u % 10_000:04d}", "status": "Active",
                         "created_at": ago(days=500 + u % 300), "last_used_at": last})
        mfa = [FACTORS[u % len(FACTORS)]] if rng.random() < 0.7 else []
        users.append({"account": ACCOUNT, "uin": str(300_000_000_000 + u), "name": f"user{u:05d}",
                      "console_login": u % 4 != 0, "group_ids": [str(10_000 + u % groups)],
                      "policy_ids": [ADMIN_POLICY] if u % 200 == 0 else [], "login_protection": mfa,
                      "action_protection": mfa if rng.random() < 0.6 else [], "access_keys": keys,
                      "last_login_at": ago(days=u % 120)})
    estate.cam.users.extend(_USERS.validate_python(users))
    estate.cam.roles.append(_c(CamRole, account=ACCOUNT, role_id="4611686018427000001", name="ops-automation",
                               role_type="user", trust_document={"version": "2.0", "statement": [
                                   {"effect": "allow", "action": "name/sts:AssumeRole",
                                    "principal": {"qcs": [f"qcs::cam::uin/{ACCOUNT}:root"]}}]},
                               policy_ids=[ADMIN_POLICY]))


def _storage(estate: Estate, rng: random.Random, regions: list[str], bucket_count: int, ago: Any) -> None:
    primaries = bucket_count * 2 // 3
    replica_names: list[tuple[str, str]] = []
    for b in range(primaries):
        region = regions[b % len(regions)]
        name = f"data{b:05d}-{APPID}"
        replication = None
        versioned = b % 5 != 0
        if versioned and b % 2 == 0 and b // 2 < bucket_count - primaries and len(regions) > 1:
            dest_region = regions[(b + 1) % len(regions)]
            dest = f"replica{b:05d}-{APPID}"
            replica_names.append((dest, dest_region))
            replication = _c(Replication, role=f"qcs::cam::uin/{ACCOUNT}:uin/{ACCOUNT}", rules=[_c(
                ReplicationRule, id="to-dr", enabled=True, prefix="", destination_bucket=dest,
                destination_region=dest_region, storage_class="STANDARD_IA", delete_marker_replication=False)])
        lifecycle = [] if b % 3 else [_c(LifecycleRule, id="archive", enabled=True, prefix="", transitions=[],
                                         noncurrent_transitions=[_c(Transition, days=30, storage_class="ARCHIVE")])]
        estate.cos.buckets.append(_c(
            Bucket, account=ACCOUNT, region=region, name=name, tags={"env": "prod" if b % 4 else "test"},
            versioning="Enabled" if versioned else None, replication=replication, lifecycle=lifecycle,
            acl=_c(BucketAcl, public_read=b % 97 == 0, public_write=False), created_at=ago(days=100 + b % 900)))
    for dest, region in replica_names:
        locked = rng.random() < 0.5
        estate.cos.buckets.append(_c(
            Bucket, account=ACCOUNT, region=region, name=dest, tags={"dr-audit:role": "replica"},
            versioning="Enabled", object_lock=_c(ObjectLock, enabled=True, mode="COMPLIANCE", days=30, years=None)
            if locked else None,
            lifecycle=[_c(LifecycleRule, id="cold", enabled=True, prefix="",
                          transitions=[_c(Transition, days=30, storage_class="ARCHIVE")])],
            created_at=ago(days=90)))
    # Whatever is left of the requested count: access-log targets, which are neither primary data nor copies.
    for n in range(max(0, bucket_count - len(estate.cos.buckets))):
        estate.cos.buckets.append(_c(Bucket, account=ACCOUNT, region=regions[n % len(regions)],
                                     name=f"logs{n:05d}-{APPID}", tags={"dr-audit:role": "logs"},
                                     created_at=ago(days=200)))
    for n in range(min(10, primaries)):
        source = estate.cos.buckets[n]
        estate.offsite.copies.append(_c(
            OffsiteCopy, account="offsite:cold", region="us-east-1", target="cold", bucket=f"offsite-copy-{n:03d}",
            source_bucket=source.name, versioning="Enabled",
            object_lock=_c(ObjectLock, enabled=True, mode="COMPLIANCE", days=365, years=None),
            newest_object_at=ago(hours=2 + n), newest_object_storage_class="GLACIER", object_count_sampled=1))


def _databases(estate: Estate, rng: random.Random, regions: list[str], count: int, ago: Any) -> None:
    for n in range(count):
        region = regions[n % len(regions)]
        dr_region = regions[(n + 1) % len(regions)]
        instance_id = f"cdb-{n:08d}"
        with_dr = n % 3 == 0 and len(regions) > 1
        backups = [
            _c(MysqlBackup, backup_id=str(5_000_000 + n * 10 + k), started_at=ago(hours=6 + 24 * k),
               finished_at=ago(hours=5 + 24 * k), status="SUCCESS" if rng.random() < 0.95 else "FAILED",
               way="automatic", remote=[_c(RemoteCopy, region=dr_region, status="SUCCESS")] if with_dr else [])
            for k in range(3)
        ]
        estate.cdb.instances.append(_c(
            MysqlInstance, account=ACCOUNT, region=region, instance_id=instance_id, name=f"db-{n}", role="master",
            zone=f"{region}-2", multi_az=n % 2 == 0, replica_zones=[f"{region}-{3 if n % 2 == 0 else 2}"],
            dr_links=[_c(DrLink, instance_id=f"cdbdr-{n:08d}", region=dr_region, zone=f"{dr_region}-1",
                         sync_status=2)] if with_dr else [],
            status=1, tags={"env": "prod" if n % 4 else "dev"},
            backup_config=_c(BackupConfig, backup_expire_days=7 if n % 5 else 3, binlog_expire_days=7,
                             method="physical"),
            remote_backup=_c(RemoteBackupConfig, backup_enabled=with_dr, binlog_enabled=with_dr,
                             regions=[dr_region] if with_dr else [], expire_days=7),
            backups=backups))


def _bastion_and_audit(estate: Estate, rng: random.Random, regions: list[str], ago: Any) -> None:
    primary = regions[0]
    bastion = "bh-saas-synth001"
    estate.dasb.resources.append(_c(
        BastionResource, account=ACCOUNT, region=primary, bastion_id=bastion, status=1, deployed=True, expired=False,
        expire_at=ago(days=-300), vpc_id="vpc-00pro000", private_ips=["10.0.255.10"]))
    prod = [i for i in estate.cvm.instances if i.region == primary and i.tags.get("env") == "prod"]
    for n, instance in enumerate(prod):
        if rng.random() < 0.8:
            estate.dasb.devices.append(_c(
                BastionDevice, account=ACCOUNT, region=primary, device_id=str(1000 + n),
                instance_id=instance.instance_id, name=instance.name, private_ip=instance.private_ips[0], kind=1,
                bastion_resource_id=bastion, vpc_id=instance.vpc_id))
    estate.dasb.acls.append(_c(
        BastionAcl, account=ACCOUNT, region=primary, acl_id="1", name="ops-all", allow_any_account=True,
        allow_file_delete=True, user_group_ids=["1"], device_ids=[d.device_id for d in estate.dasb.devices[:50]],
        status=1))
    estate.cloudaudit.tracks.append(_c(
        AuditTrack, account=ACCOUNT, track_id="1001", name="all-writes", status=1, action_type="Write",
        resource_type="*", event_names=["*"], storage_type="cos", storage_region=primary,
        storage_name="audit-logs", storage_prefix="cloudaudit"))
