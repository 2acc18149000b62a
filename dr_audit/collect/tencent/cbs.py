"""CBS (regional): disks with their bound snapshot policies, the policies, and the newest snapshot of every disk
plus every cross-region copy (the whole snapshot history is never kept)."""

from __future__ import annotations

from typing import Any

from ...estate import Disk, Snapshot, SnapshotPolicy, SnapshotSchedule
from ..answers import listed
from .common import AccountRun, beijing_time, items, optional_int, optional_text, tags, text

SERVICE = "cbs"


def collect(run: AccountRun, region: str) -> None:
    run.spawn_inventory(SERVICE, region, disks, run, region)
    run.spawn_inventory(SERVICE, region, policies, run, region)
    run.spawn_inventory(SERVICE, region, snapshots, run, region)


def disks(run: AccountRun, region: str) -> None:
    found: list[Disk] = []
    for entry in run.client.offset_pages(SERVICE, "DescribeDisks", {"ReturnBindAutoSnapshotPolicy": True},
                                         "DiskSet", region=region):
        disk = Disk(
            account=run.account, region=region, disk_id=text(entry.get("DiskId")),
            usage=text(entry.get("DiskUsage")) or "DATA_DISK", instance_id=optional_text(entry.get("InstanceId")),
            attached=bool(entry.get("Attached")), zone=text((entry.get("Placement") or {}).get("Zone")),
            state=text(entry.get("DiskState")), tags=tags(entry.get("Tags")),
        )
        bound = entry.get("AutoSnapshotPolicyIds")
        if isinstance(bound, list):
            disk.policy_ids = [text(p) for p in bound]
        else:  # null although asked for: read the binding disk by disk rather than guess "none"
            run.spawn_detail(SERVICE, disk, ("policy_ids",), bound_policies, run, disk)
        found.append(disk)
    run.harvest.add(run.estate.cbs.disks, found)


def bound_policies(run: AccountRun, disk: Disk) -> None:
    response = run.client.call(SERVICE, "DescribeDiskAssociatedAutoSnapshotPolicy", {"DiskId": disk.disk_id},
                               disk.region)
    found = listed(response, "AutoSnapshotPolicySet", SERVICE, "DescribeDiskAssociatedAutoSnapshotPolicy", disk.region,
                   "TotalCount")
    disk.policy_ids = [text(p.get("AutoSnapshotPolicyId")) for p in found]


def policies(run: AccountRun, region: str) -> None:
    found = [policy(run.account, region, entry)
             for entry in run.client.offset_pages(SERVICE, "DescribeAutoSnapshotPolicies", {},
                                                  "AutoSnapshotPolicySet", region=region)]
    run.harvest.add(run.estate.cbs.policies, found)


def policy(account: str, region: str, entry: dict[str, Any]) -> SnapshotPolicy:
    advanced = entry.get("AdvancedRetentionPolicy") or {}
    return SnapshotPolicy(
        account=account, region=region, policy_id=text(entry.get("AutoSnapshotPolicyId")),
        name=text(entry.get("AutoSnapshotPolicyName")), activated=bool(entry.get("IsActivated")),
        state=text(entry.get("AutoSnapshotPolicyState")),
        schedules=[schedule(p) for p in items(entry.get("Policy")) if isinstance(p, dict)],
        retention_days=optional_int(entry.get("RetentionDays")),
        retention_months=optional_int(entry.get("RetentionMonths")),
        retention_amount=optional_int(entry.get("RetentionAmount")),
        advanced_retention_days=optional_int(advanced.get("Days")) if isinstance(advanced, dict) else None,
        permanent=bool(entry.get("IsPermanent")),
        disk_ids=[text(d) for d in items(entry.get("DiskIdSet"))],
    )


def schedule(entry: dict[str, Any]) -> SnapshotSchedule:
    return SnapshotSchedule(
        days_of_week=[int(d) for d in items(entry.get("DayOfWeek"))],
        days_of_month=[int(d) for d in items(entry.get("DayOfMonth"))],
        interval_days=optional_int(entry.get("IntervalDays")),
        hours=[int(h) for h in items(entry.get("Hour"))],
    )


def snapshots(run: AccountRun, region: str) -> None:
    """Page through every snapshot of the region, newest first, keeping the newest per disk and every copy."""
    newest: dict[str, Snapshot] = {}
    copies: list[Snapshot] = []
    params = {"Order": "DESC", "OrderField": "CREATE_TIME"}
    for entry in run.client.offset_pages(SERVICE, "DescribeSnapshots", params, "SnapshotSet", region=region):
        created = beijing_time(entry.get("CreateTime"))
        if created is None or not entry.get("DiskId"):
            continue
        snapshot = Snapshot(
            account=run.account, region=region, snapshot_id=text(entry.get("SnapshotId")),
            disk_id=text(entry.get("DiskId")), created_at=created, state=text(entry.get("SnapshotState")),
            copy_from_remote=bool(entry.get("CopyFromRemote")),
            copying_to_regions=[text(r) for r in items(entry.get("CopyingToRegions"))],
            policy_id=optional_text(entry.get("AutoSnapshotPolicyId")),
        )
        if snapshot.copy_from_remote:
            copies.append(snapshot)
            continue
        kept = newest.get(snapshot.disk_id)
        # Answers are not always in the order asked for: compare rather than trust the first one seen.
        if kept is None or snapshot.created_at > kept.created_at:
            newest[snapshot.disk_id] = snapshot
    run.harvest.add(run.estate.cbs.snapshots, [*newest.values(), *copies])
