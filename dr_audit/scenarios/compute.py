"""Scenario part: compute. CVM instances for every host of the world, their two CBS disks, scheduled snapshot
policies, the newest snapshot of each disk and the cross-region copies of production snapshots.

Only what the real APIs can express: one newest snapshot per disk (DescribeSnapshots, newest first) plus copies
made by CopySnapshotCrossRegions, which keep the source disk's id and say CopyFromRemote.
"""

from __future__ import annotations

from datetime import datetime

from ..estate import Disk, Estate, Instance, Snapshot, SnapshotPolicy, SnapshotSchedule
from .world import ACCOUNT, DR_REGIONS, PRIMARY, Host, World

EVERY_DAY = SnapshotSchedule(days_of_week=list(range(7)), hours=[2])
SUNDAYS = SnapshotSchedule(days_of_week=[0], hours=[3])

# Scheduled snapshot policies. Before the incident: a daily policy that keeps only 3 days (the mall hosts), a weekly
# one (CRM), and nothing at all for test and dev. Hardened: one daily policy keeping two weeks, bound to every disk.
POLICY_SHORT = "asp-daily3d1"
POLICY_WEEKLY = "asp-weekly01"
POLICY_DAILY = "asp-daily14d"
COPY_REGION = DR_REGIONS[0]  # ap-beijing keeps the cross-region copies


def build(world: World, estate: Estate) -> None:
    disks: list[Disk] = []
    for host in world.hosts:
        estate.cvm.instances.append(_instance(world, host))
        for disk in _disks(world, host):
            disks.append(disk)
            estate.cbs.snapshots.extend(_snapshots(world, host, disk))
    estate.cbs.disks.extend(disks)
    estate.cbs.policies.extend(_policies(world, disks))


def _instance(world: World, host: Host) -> Instance:
    system, data = host.disk_ids
    return Instance(
        account=ACCOUNT, region=host.region, instance_id=host.instance_id, name=host.name, zone=host.zone,
        state="RUNNING", vpc_id=host.vpc_id, security_group_ids=[host.security_group_id],
        private_ips=[host.private_ip], tags={"env": host.env, "app": host.app}, disk_ids=[system, data],
        created_at=world.ago(days=700),
    )


def _disks(world: World, host: Host) -> list[Disk]:
    system, data = host.disk_ids
    # Hardened disks carry their host's tags; before the incident only the instances were tagged.
    tags = {"env": host.env, "app": host.app} if world.hardened else {}
    return [
        Disk(account=ACCOUNT, region=host.region, disk_id=disk_id, usage=usage, instance_id=host.instance_id,
             attached=True, zone=host.zone, state="ATTACHED", tags=dict(tags),
             policy_ids=_bound_policies(world, host))
        for disk_id, usage in ((system, "SYSTEM_DISK"), (data, "DATA_DISK"))
    ]


def _bound_policies(world: World, host: Host) -> list[str]:
    if world.hardened:
        return [POLICY_DAILY]
    if host.env != "prod":
        return []
    return [POLICY_SHORT] if host.app == "mall" else [POLICY_WEEKLY]


def _policies(world: World, disks: list[Disk]) -> list[SnapshotPolicy]:
    def bound(policy_id: str) -> list[str]:
        return [d.disk_id for d in disks if policy_id in d.policy_ids]

    if world.hardened:
        return [SnapshotPolicy(account=ACCOUNT, region=PRIMARY, policy_id=POLICY_DAILY, name="daily-keep-14d",
                               activated=True, state="NORMAL", schedules=[EVERY_DAY], retention_days=14,
                               disk_ids=bound(POLICY_DAILY))]
    return [
        SnapshotPolicy(account=ACCOUNT, region=PRIMARY, policy_id=POLICY_SHORT, name="daily-keep-3d", activated=True,
                       state="NORMAL", schedules=[EVERY_DAY], retention_days=3, disk_ids=bound(POLICY_SHORT)),
        SnapshotPolicy(account=ACCOUNT, region=PRIMARY, policy_id=POLICY_WEEKLY, name="weekly-sunday",
                       activated=True, state="NORMAL", schedules=[SUNDAYS], retention_days=30,
                       disk_ids=bound(POLICY_WEEKLY)),
    ]


def _snapshot_id(disk: Disk, prefix: str = "snap") -> str:
    return f"{prefix}-{disk.disk_id.removeprefix('disk-')}"


def _snapshots(world: World, host: Host, disk: Disk) -> list[Snapshot]:
    """The newest snapshot of the disk, and its cross-region copy where one exists."""
    policy = disk.policy_ids[0] if disk.policy_ids else None
    taken = _newest_snapshot_time(world, host, disk, policy)
    if taken is None:
        return []
    newest = Snapshot(account=ACCOUNT, region=disk.region, snapshot_id=_snapshot_id(disk), disk_id=disk.disk_id,
                      created_at=taken, state="NORMAL", policy_id=policy)
    copied_at = _copy_time(world, host, disk)
    if copied_at is None:
        return [newest]
    copy = Snapshot(account=ACCOUNT, region=COPY_REGION, snapshot_id=_snapshot_id(disk, "snap-bj"),
                    disk_id=disk.disk_id, created_at=copied_at, state="NORMAL", copy_from_remote=True)
    return [newest, copy]


def _newest_snapshot_time(world: World, host: Host, disk: Disk, policy: str | None) -> datetime | None:
    if world.hardened:
        return world.ago(hours=9, minutes=58, seconds=12)  # tonight's 02:00 run
    if policy == POLICY_SHORT:
        return world.ago(hours=10, minutes=3, seconds=41)  # the daily policy still runs: these stay fresh
    if policy == POLICY_WEEKLY:
        return world.ago(days=4, hours=9, minutes=12)  # last Sunday
    if disk.usage == "DATA_DISK" and host.env == "test":
        return world.ago(days=212, hours=5)  # a manual snapshot somebody took once
    return None  # never snapshotted


def _copy_time(world: World, host: Host, disk: Disk) -> datetime | None:
    if host.env != "prod":
        return None
    if world.hardened:
        return world.ago(hours=8, minutes=41, seconds=5)  # copied once tonight's snapshot completed
    if disk.disk_id == "disk-data-mall0001":
        return world.ago(days=389, hours=2)  # a one-off copy made for a migration, long stale
    return None
