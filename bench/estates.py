"""Realistic synthetic estates for the scaling benchmark, shaped like a large merchant platform's account.

Unlike the emulator's synthetic estate (a few groups, one snapshot per disk), these carry what makes evaluation
expensive in real accounts: many VPCs per environment, security groups whose rules reference other groups and other
environments' CIDRs, hosts in several groups, a snapshot history per disk with cross-region copies, users in groups
with direct and custom policies, replicated buckets and bastion devices. Deterministic for a seed; about
`RESOURCES_PER_HOST` resources per host.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter

from dr_audit.estate import (
    AuditTrack,
    BastionAcl,
    BastionDevice,
    BastionResource,
    Bucket,
    CamAccount,
    CamGroup,
    CamPolicy,
    CamUser,
    Disk,
    Estate,
    Instance,
    MysqlInstance,
    SecurityGroup,
    Snapshot,
    SnapshotPolicy,
    Vpc,
)

ACCOUNT = "200000000002"
APPID = "1300000002"
REGIONS = ("ap-shanghai", "ap-beijing", "ap-nanjing", "ap-guangzhou", "ap-chengdu", "ap-hongkong")
ENVS = ("prod", "prod", "prod", "test", "dev")
APPS = ("mall", "crm", "pay", "search", "ads", "erp", "im", "bi", "order", "member")
ADMIN_PORTS = ("22", "3389", "3306", "6379")
RESOURCES_PER_HOST = 9.6
DESTRUCTIVE = ("cvm:TerminateInstances", "cbs:DeleteSnapshots", "cbs:TerminateDisks", "cos:DeleteObject",
               "cos:DeleteBucket", "cdb:IsolateDBInstance", "cdb:DeleteBackup")


def adapter(model: type[Any]) -> TypeAdapter[Any]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def realistic_estate(resources: int, *, seed: int = 0, now: datetime | None = None) -> Estate:
    """An Estate of about `resources` resources (hosts, disks, snapshots, groups, users, buckets, databases…)."""
    rng = random.Random(seed)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    hosts = max(10, round(resources / RESOURCES_PER_HOST))
    regions = list(REGIONS)
    estate = Estate(source="snapshot", collected_at=now, accounts=[ACCOUNT], regions=regions)
    vpcs, groups = _network(estate, rng, regions, hosts)
    _compute(estate, rng, regions, hosts, vpcs, groups, now)
    _cam(estate, rng, hosts)
    _storage(estate, rng, regions, hosts, now)
    _databases(estate, rng, regions, hosts, now)
    _bastion_and_audit(estate, rng, regions)
    return estate


def count(estate: Estate) -> int:
    """How many resources the estate holds, as the benchmark reports them."""
    parts = (estate.cvm.instances, estate.cbs.disks, estate.cbs.snapshots, estate.cbs.policies, estate.vpc.vpcs,
             estate.vpc.security_groups, estate.cam.users, estate.cam.groups, estate.cam.policies,
             estate.cos.buckets, estate.cdb.instances, estate.dasb.devices, estate.dasb.acls)
    return sum(len(part) for part in parts)


def _network(estate: Estate, rng: random.Random, regions: list[str], hosts: int
             ) -> tuple[dict[tuple[str, str], list[str]], dict[tuple[str, str], list[str]]]:
    """VPCs per (region, env), about one per 60 hosts, and a security group per 10 hosts."""
    vpcs: dict[tuple[str, str], list[str]] = {}
    groups: dict[tuple[str, str], list[str]] = {}
    cidrs: dict[tuple[str, str], list[str]] = {}
    vpc_rows: list[dict[str, Any]] = []
    per_cell = max(1, hosts // 60 // (len(regions) * 3))
    for r, region in enumerate(regions):
        for e, env in enumerate(("prod", "test", "dev")):
            for n in range(per_cell):
                vpc_id = f"vpc-{r:02d}{env[:3]}{n:05d}"
                cidr = f"{10 + e * 50 + r}.{n % 256}.0.0/16" if n < 256 else f"172.{16 + e}.{n % 256}.0/24"
                vpcs.setdefault((region, env), []).append(vpc_id)
                cidrs.setdefault((region, env), []).append(cidr)
                vpc_rows.append({"account": ACCOUNT, "region": region, "vpc_id": vpc_id, "name": f"{env}-{n}",
                                 "cidr": cidr, "tags": {"env": env}})
    estate.vpc.vpcs.extend(adapter(Vpc).validate_python(vpc_rows))
    sg_rows: list[dict[str, Any]] = []
    per_group_cell = max(2, hosts // 10 // (len(regions) * 3))
    for r, region in enumerate(regions):
        for env in ("prod", "test", "dev"):
            for n in range(per_group_cell):
                groups.setdefault((region, env), []).append(f"sg-{r:02d}{env[:3]}{n:05d}")
    for (region, env), ids in groups.items():
        bastion_sg = groups[(regions[0], "prod")][0]
        for n, group_id in enumerate(ids):
            rules = [_rule("TCP", "443", cidr="0.0.0.0/0"), _rule("TCP", "80", cidr="0.0.0.0/0")]
            for _ in range(rng.randint(2, 6)):  # application tiers talk to other groups of the same environment
                rules.append(_rule("TCP", str(rng.choice((8080, 9000, 6379, 3306, 5432))),
                                   source=rng.choice(ids)))
            rules.append(_rule("TCP", "22", source=bastion_sg))
            rules.append(_rule("TCP", "22,3389", cidr=rng.choice(cidrs[(region, env)])))
            if env == "prod" and rng.random() < 0.05:  # a leftover rule from a migration: test reaches prod
                rules.append(_rule("TCP", "3306", cidr=rng.choice(cidrs[(region, "test")])))
            if rng.random() < 0.03:
                rules.append(_rule("TCP", rng.choice(ADMIN_PORTS), cidr="0.0.0.0/0"))
            rules.append(_rule("ALL", "ALL", cidr="0.0.0.0/0", action="DROP"))
            sg_rows.append({"account": ACCOUNT, "region": region, "security_group_id": group_id,
                            "name": f"{env}-{APPS[n % len(APPS)]}-{n}", "tags": {"env": env}, "ingress": rules,
                            "egress": [_rule("ALL", "ALL", cidr="0.0.0.0/0")]})
    estate.vpc.security_groups.extend(adapter(SecurityGroup).validate_python(sg_rows))
    return vpcs, groups


def _rule(protocol: str, port: str, *, cidr: str | None = None, source: str | None = None,
          action: str = "ACCEPT") -> dict[str, Any]:
    return {"protocol": protocol, "port": port, "cidr": cidr, "source_security_group_id": source, "action": action}


def _compute(estate: Estate, rng: random.Random, regions: list[str], hosts: int,
             vpcs: dict[tuple[str, str], list[str]], groups: dict[tuple[str, str], list[str]], now: datetime) -> None:
    daily = {"days_of_week": list(range(7)), "hours": [2]}
    weekly = {"days_of_week": [0], "hours": [3]}
    policies: dict[str, dict[str, Any]] = {}
    for r, region in enumerate(regions):
        for kind, schedule, days in (("daily14", daily, 14), ("daily7", daily, 7), ("daily3", daily, 3),
                                     ("weekly", weekly, 30)):
            policy_id = f"asp-{r:02d}{kind}"
            policies[policy_id] = {"account": ACCOUNT, "region": region, "policy_id": policy_id, "name": kind,
                                   "activated": True, "state": "NORMAL", "schedules": [schedule],
                                   "retention_days": days, "disk_ids": []}
    instances: list[dict[str, Any]] = []
    disks: list[dict[str, Any]] = []
    snapshots: list[dict[str, Any]] = []
    for h in range(hosts):
        r = h % len(regions)
        region = regions[r]
        env = ENVS[h % len(ENVS)]
        app = APPS[(h // len(ENVS)) % len(APPS)]
        zone = f"{region}-{1 + h % 3}"
        vpc_id = rng.choice(vpcs[(region, env)])
        member_of = rng.sample(groups[(region, env)], k=min(len(groups[(region, env)]), rng.randint(1, 3)))
        instance_id = f"ins-{h:08x}"
        disk_ids = [f"disk-s{h:08x}", f"disk-d{h:08x}"]
        instances.append({
            "account": ACCOUNT, "region": region, "instance_id": instance_id, "name": f"{app}-{env}-{h}",
            "zone": zone, "state": "RUNNING", "vpc_id": vpc_id, "security_group_ids": member_of,
            "private_ips": [f"10.{r}.{h // 250 % 250}.{h % 250 + 2}"], "tags": {"env": env, "app": app},
            "disk_ids": disk_ids, "created_at": now - timedelta(days=30 + h % 700)})
        roll = rng.random()
        bound = [] if roll < 0.07 else [f"asp-{r:02d}weekly"] if roll < 0.12 else [f"asp-{r:02d}daily3"] \
            if roll < 0.2 else [f"asp-{r:02d}daily7"] if roll < 0.6 else [f"asp-{r:02d}daily14"]
        for n, disk_id in enumerate(disk_ids):
            disks.append({"account": ACCOUNT, "region": region, "disk_id": disk_id,
                          "usage": "SYSTEM_DISK" if n == 0 else "DATA_DISK", "instance_id": instance_id,
                          "attached": True, "zone": zone, "state": "ATTACHED", "tags": {"env": env},
                          "policy_ids": bound})
            for policy_id in bound:
                policies[policy_id]["disk_ids"].append(disk_id)
            if not bound:
                continue
            step = 24 if "daily" in bound[0] else 24 * 7
            first = 2 + rng.random() * (30 if rng.random() < 0.9 else 80)  # a tenth of disks have stale history
            for k in range(rng.randint(1, 4)):  # the recent history the account still keeps
                snapshots.append({"account": ACCOUNT, "region": region, "snapshot_id": f"snap-{disk_id[5:]}{k}",
                                  "disk_id": disk_id, "created_at": now - timedelta(hours=first + step * k),
                                  "state": "NORMAL", "policy_id": bound[0]})
            if env == "prod" and rng.random() < 0.5:  # a copy of the newest in the DR region
                snapshots.append({"account": ACCOUNT, "region": regions[(r + 1) % len(regions)],
                                  "snapshot_id": f"snap-{disk_id[5:]}c", "disk_id": disk_id,
                                  "created_at": now - timedelta(hours=first - 1), "state": "NORMAL",
                                  "copy_from_remote": True})
    estate.cvm.instances.extend(adapter(Instance).validate_python(instances))
    estate.cbs.disks.extend(adapter(Disk).validate_python(disks))
    estate.cbs.snapshots.extend(adapter(Snapshot).validate_python(snapshots))
    estate.cbs.policies.extend(adapter(SnapshotPolicy).validate_python(list(policies.values())))


def _cam(estate: Estate, rng: random.Random, hosts: int) -> None:
    """A user per four hosts, in one or two teams; custom policies per team, some with destructive wildcards."""
    estate.cam.accounts.append(CamAccount(account=ACCOUNT, uin=ACCOUNT, login_protection=["phone"],
                                          action_protection=["phone"]))
    preset = [
        {"account": ACCOUNT, "policy_id": "1", "name": "AdministratorAccess", "kind": "preset",
         "document": {"version": "2.0", "statement": [{"effect": "allow", "action": ["*"], "resource": ["*"]}]}},
        {"account": ACCOUNT, "policy_id": "219188", "name": "ReadOnlyAccess", "kind": "preset",
         "document": {"version": "2.0", "statement": [
             {"effect": "allow", "action": ["*:Describe*", "*:List*", "*:Get*"], "resource": ["*"]}]}},
    ]
    custom: list[dict[str, Any]] = []
    for n in range(max(4, hosts // 50)):
        service = ("cvm", "cbs", "cos", "cdb", "vpc")[n % 5]
        statements = [{"effect": "allow", "action": [f"{service}:Describe*", f"{service}:Create*"],
                       "resource": ["*"]}]
        if n % 7 == 0:
            statements.append({"effect": "allow", "action": [f"{service}:*"], "resource": ["*"]})
        if n % 11 == 0:
            statements.append({"effect": "allow", "action": rng.sample(DESTRUCTIVE, 2),
                               "resource": [f"qcs::{service}::uin/{ACCOUNT}:*"]})
        if n % 13 == 0:
            statements.append({"effect": "deny", "action": ["cos:DeleteBucket"], "resource": ["*"]})
        custom.append({"account": ACCOUNT, "policy_id": str(100_000_000 + n), "name": f"team-{service}-{n}",
                       "kind": "custom", "document": {"version": "2.0", "statement": statements}})
    estate.cam.policies.extend(adapter(CamPolicy).validate_python(preset + custom))
    users = max(8, hosts // 4)
    teams = max(2, users // 25)
    estate.cam.groups.extend(adapter(CamGroup).validate_python([
        {"account": ACCOUNT, "group_id": str(10_000 + g), "name": f"team-{g}",
         "policy_ids": [custom[g % len(custom)]["policy_id"], custom[(g * 7 + 3) % len(custom)]["policy_id"],
                        "219188"]}
        for g in range(teams)]))
    rows: list[dict[str, Any]] = []
    for u in range(users):
        direct = ["1"] if u % 300 == 0 else [custom[u % len(custom)]["policy_id"]] if u % 9 == 0 else []
        mfa = ["phone"] if rng.random() < 0.75 else []
        keys = [{"key_id": f"AKID****{u % 10_000:04d}", "status": "Active",
                 "created_at": estate.collected_at - timedelta(days=400),
                 "last_used_at": estate.collected_at - timedelta(days=rng.randint(0, 200))}] if u % 3 == 0 else []
        rows.append({"account": ACCOUNT, "uin": str(300_000_000_000 + u), "name": f"user{u:06d}",
                     "console_login": u % 4 != 0, "group_ids": sorted({str(10_000 + u % teams),
                                                                       str(10_000 + (u * 13) % teams)}),
                     "policy_ids": direct, "login_protection": mfa,
                     "action_protection": mfa if rng.random() < 0.7 else [], "access_keys": keys})
    estate.cam.users.extend(adapter(CamUser).validate_python(rows))


def _storage(estate: Estate, rng: random.Random, regions: list[str], hosts: int, now: datetime) -> None:
    rows: list[dict[str, Any]] = []
    primaries = max(3, hosts // 15)
    for b in range(primaries):
        region = regions[b % len(regions)]
        versioned = b % 6 != 0
        replication = None
        if versioned and b % 2 == 0:
            dest, dest_region = f"replica{b:06d}-{APPID}", regions[(b + 1) % len(regions)]
            replication = {"role": f"qcs::cam::uin/{ACCOUNT}:uin/{ACCOUNT}", "rules": [
                {"id": "to-dr", "enabled": True, "prefix": "", "destination_bucket": dest,
                 "destination_region": dest_region, "storage_class": "ARCHIVE"}]}
            rows.append({"account": ACCOUNT, "region": dest_region, "name": dest,
                         "tags": {"dr-audit:role": "replica"}, "versioning": "Enabled",
                         "object_lock": {"enabled": True, "mode": "COMPLIANCE", "days": 30} if rng.random() < 0.6
                         else None, "created_at": now - timedelta(days=90)})
        rows.append({"account": ACCOUNT, "region": region, "name": f"data{b:06d}-{APPID}",
                     "tags": {"env": "prod" if b % 4 else "test"}, "versioning": "Enabled" if versioned else None,
                     "replication": replication, "created_at": now - timedelta(days=100 + b % 900),
                     "lifecycle": [] if b % 3 else [
                         {"id": "archive", "enabled": True, "prefix": "",
                          "noncurrent_transitions": [{"days": 30, "storage_class": "ARCHIVE"}]}]})
    estate.cos.buckets.extend(adapter(Bucket).validate_python(rows))


def _databases(estate: Estate, rng: random.Random, regions: list[str], hosts: int, now: datetime) -> None:
    rows: list[dict[str, Any]] = []
    for n in range(max(2, hosts // 40)):
        region, dr_region = regions[n % len(regions)], regions[(n + 1) % len(regions)]
        with_dr = n % 3 == 0
        rows.append({
            "account": ACCOUNT, "region": region, "instance_id": f"cdb-{n:08x}", "name": f"db-{n}",
            "role": "master", "zone": f"{region}-2", "multi_az": n % 2 == 0,
            "replica_zones": [f"{region}-{3 if n % 2 == 0 else 2}"], "status": 1,
            "tags": {"env": "prod" if n % 4 else "dev"},
            "dr_links": [{"instance_id": f"cdbdr-{n:08x}", "region": dr_region, "zone": f"{dr_region}-1",
                          "sync_status": 2}] if with_dr else [],
            "backup_config": {"backup_expire_days": 7 if n % 5 else 3, "binlog_expire_days": 7},
            "remote_backup": {"backup_enabled": with_dr, "binlog_enabled": with_dr,
                              "regions": [dr_region] if with_dr else [], "expire_days": 7},
            "backups": [{"backup_id": str(5_000_000 + n * 10 + k), "started_at": now - timedelta(hours=6 + 24 * k),
                         "finished_at": now - timedelta(hours=5 + 24 * k),
                         "status": "SUCCESS" if rng.random() < 0.95 else "FAILED", "way": "automatic"}
                        for k in range(3)]})
    estate.cdb.instances.extend(adapter(MysqlInstance).validate_python(rows))


def _bastion_and_audit(estate: Estate, rng: random.Random, regions: list[str]) -> None:
    bastion = "bh-saas-bench0001"
    estate.dasb.resources.append(BastionResource(
        account=ACCOUNT, region=regions[0], bastion_id=bastion, status=1, deployed=True,
        expire_at=estate.collected_at + timedelta(days=300), vpc_id=estate.vpc.vpcs[0].vpc_id,
        private_ips=["10.0.255.10"]))
    devices = [
        {"account": ACCOUNT, "region": instance.region, "device_id": str(1000 + n),
         "instance_id": instance.instance_id, "name": instance.name, "private_ip": instance.private_ips[0], "kind": 1,
         "bastion_resource_id": bastion, "vpc_id": instance.vpc_id, "group_ids": [str(1 + n % 20)]}
        for n, instance in enumerate(estate.cvm.instances)
        if instance.tags.get("env") == "prod" and rng.random() < 0.85]
    estate.dasb.devices.extend(adapter(BastionDevice).validate_python(devices))
    estate.dasb.acls.extend(adapter(BastionAcl).validate_python([
        {"account": ACCOUNT, "region": regions[0], "acl_id": str(a), "name": f"team-{a}",
         "allow_any_account": a == 0, "user_group_ids": [str(a)],
         "device_ids": [d["device_id"] for d in devices[a::40]], "status": 1}
        for a in range(40)]))
    estate.cloudaudit.tracks.append(AuditTrack(
        account=ACCOUNT, track_id="1001", name="all", status=1, action_type="*", resource_type="*",
        event_names=["*"], storage_type="cos", storage_region=regions[0], storage_name="audit-logs"))
