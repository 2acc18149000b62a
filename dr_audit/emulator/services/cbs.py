"""Emulated CBS (2017-03-12, regional): disks with their bound policies, scheduled snapshot policies, snapshots."""

from __future__ import annotations

from ...estate import Disk, Estate, Snapshot, SnapshotPolicy
from ..protocol import (
    ApiError,
    Call,
    FilterSet,
    Item,
    beijing_time,
    field_of,
    list_param,
    offset_limit,
    str_param,
    tag_list,
)
from . import ServiceBackend, action, by_region

MAX_LIMIT = 100
MAX_IDS = 100
CREATED = "2019-05-01 10:00:00"  # the Estate keeps no creation time for disks and policies


def disk_item(disk: Disk, snapshot_count: int) -> Item:
    return {
        "DiskId": disk.disk_id,
        "DiskUsage": disk.usage,
        "DiskType": "CLOUD_PREMIUM",
        "DiskName": disk.disk_id,
        "DiskSize": 50 if disk.usage == "SYSTEM_DISK" else 100,
        "DiskState": disk.state,
        "Attached": disk.attached,
        # An unattached disk answers an empty InstanceId, as the real API does.
        "InstanceId": disk.instance_id or "",
        "InstanceIdList": [disk.instance_id] if disk.instance_id else [],
        "Placement": {"Zone": disk.zone, "ProjectId": 0},
        "Tags": tag_list(disk.tags),
        "SnapshotCount": snapshot_count,
        "SnapshotAbility": True,
        "Encrypt": False,
        "Portable": disk.usage == "DATA_DISK",
        "DeleteWithInstance": disk.usage == "SYSTEM_DISK",
        "BackupDisk": False,
        "DiskChargeType": "POSTPAID_BY_HOUR",
        "CreateTime": CREATED,
        "DeleteSnapshot": 0,
        "AutoSnapshotPolicyIds": list(disk.policy_ids),
    }


def policy_item(policy: SnapshotPolicy, instance_ids: list[str]) -> Item:
    advanced = None if policy.advanced_retention_days is None else {
        "Days": policy.advanced_retention_days, "Weeks": None, "Months": None, "Years": None}
    return {
        "AutoSnapshotPolicyId": policy.policy_id,
        "AutoSnapshotPolicyName": policy.name,
        "AutoSnapshotPolicyState": policy.state,
        "IsActivated": policy.activated,
        "IsPermanent": policy.permanent,
        "Policy": [{"DayOfWeek": list(s.days_of_week), "Hour": list(s.hours), "DayOfMonth": list(s.days_of_month),
                    "IntervalDays": s.interval_days} for s in policy.schedules],
        "RetentionDays": policy.retention_days,
        "RetentionMonths": policy.retention_months,
        "RetentionAmount": policy.retention_amount,
        "AdvancedRetentionPolicy": advanced,
        "DiskIdSet": list(policy.disk_ids),
        "InstanceIdSet": instance_ids,
        "CreateTime": CREATED,
        "NextTriggerTime": None,
        "IsCopyToRemote": 0,
        "CopyToAccountUin": "",
        "Tags": [],
    }


def snapshot_item(snapshot: Snapshot, disk: Disk | None) -> Item:
    same_region = disk is not None and disk.region == snapshot.region
    return {
        "SnapshotId": snapshot.snapshot_id,
        "SnapshotName": snapshot.snapshot_id,
        "DiskId": snapshot.disk_id,
        "DiskUsage": disk.usage if disk is not None else "DATA_DISK",
        "DiskSize": (50 if disk.usage == "SYSTEM_DISK" else 100) if disk is not None else 100,
        "CreateTime": beijing_time(snapshot.created_at),
        "SnapshotState": snapshot.state,
        "SnapshotType": "PRIVATE_SNAPSHOT",
        "AutoSnapshotPolicyId": snapshot.policy_id or "",
        "CopyFromRemote": snapshot.copy_from_remote,
        "CopyingToRegions": list(snapshot.copying_to_regions),
        "IsPermanent": False,
        "DeadlineTime": None,
        "Percent": 100,
        "Encrypt": False,
        "IsLocked": False,
        "Placement": {"Zone": disk.zone if same_region and disk is not None else f"{snapshot.region}-1",
                      "ProjectId": 0},
        "Tags": [],
    }


def _tags(item: Item) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in item.get("Tags") or []}


DISK_FILTERS = {
    "disk-id": field_of("DiskId"), "disk-usage": field_of("DiskUsage"), "disk-state": field_of("DiskState"),
    "disk-name": field_of("DiskName"), "disk-type": field_of("DiskType"), "instance-id": field_of("InstanceIdList"),
    "zone": field_of("Placement", "Zone"), "project-id": field_of("Placement", "ProjectId"),
    "portable": field_of("Portable"), "disk-charge-type": field_of("DiskChargeType"), "encrypt": field_of("Encrypt"),
}
POLICY_FILTERS = {
    "auto-snapshot-policy-id": field_of("AutoSnapshotPolicyId"),
    "auto-snapshot-policy-name": field_of("AutoSnapshotPolicyName"),
    "auto-snapshot-policy-state": field_of("AutoSnapshotPolicyState"),
}
SNAPSHOT_FILTERS = {
    "snapshot-id": field_of("SnapshotId"), "snapshot-name": field_of("SnapshotName"),
    "snapshot-state": field_of("SnapshotState"), "snapshot-type": field_of("SnapshotType"),
    "disk-id": field_of("DiskId"), "disk-usage": field_of("DiskUsage"),
    "project-id": field_of("Placement", "ProjectId"), "zone": field_of("Placement", "Zone"),
    "encrypt": field_of("Encrypt"),
}


class CbsBackend(ServiceBackend):
    service = "cbs"
    version = "2017-03-12"

    def __init__(self, estate: Estate, account: str) -> None:
        super().__init__(estate, account)
        disks = self.mine(estate.cbs.disks)
        snapshots = self.mine(estate.cbs.snapshots)
        disk_by_id = {d.disk_id: d for d in disks}
        counts: dict[str, int] = {}
        for snapshot in snapshots:
            counts[snapshot.disk_id] = counts.get(snapshot.disk_id, 0) + 1
        self.disks = by_region([(d.region, disk_item(d, counts.get(d.disk_id, 0))) for d in disks])
        self.policies = by_region([
            (p.region, policy_item(p, list(dict.fromkeys(
                disk_by_id[d].instance_id for d in p.disk_ids
                if d in disk_by_id and disk_by_id[d].instance_id))))  # type: ignore[misc]
            for p in self.mine(estate.cbs.policies)
        ])
        self.snapshots = by_region([(s.region, snapshot_item(s, disk_by_id.get(s.disk_id))) for s in snapshots])
        self.disk_filters = FilterSet(DISK_FILTERS, tags_of=_tags)
        self.policy_filters = FilterSet(POLICY_FILTERS)
        self.snapshot_filters = FilterSet(SNAPSHOT_FILTERS, tags_of=_tags)

    @staticmethod
    def _select(items: list[Item], ids: list[str] | None, id_field: str, filters: FilterSet,
                raw_filters: list[object] | None) -> list[Item]:
        if ids and raw_filters:
            raise ApiError("InvalidParameterCombination", "ids and Filters cannot be given together")
        if ids:
            wanted = set(ids)
            return [i for i in items if i[id_field] in wanted]
        return filters.apply(items, raw_filters)

    @staticmethod
    def _order(call: Call, items: list[Item], fields: dict[str, str]) -> list[Item]:
        order = str_param(call.params, "Order")
        order_field = str_param(call.params, "OrderField")
        if order is not None and order not in ("ASC", "DESC"):
            raise ApiError("InvalidParameterValue", f"Order={order!r} must be ASC or DESC")
        if order_field is not None and order_field not in fields:
            raise ApiError("InvalidParameterValue", f"OrderField={order_field!r} is not supported")
        if order_field is None and order is None:
            return items
        key = fields[order_field or next(iter(fields))]
        return sorted(items, key=lambda item: item.get(key) or "", reverse=order == "DESC")

    @action("DescribeDisks")
    def describe_disks(self, call: Call) -> Item:
        offset, limit = offset_limit(call.params, maximum=MAX_LIMIT)
        items = self._select(self.disks.get(call.region, []), list_param(call.params, "DiskIds", maximum=MAX_IDS),
                             "DiskId", self.disk_filters, list_param(call.params, "Filters"))
        items = self._order(call, items, {"CREATE_TIME": "CreateTime", "DEADLINE": "DeadlineTime"})
        page = items[offset:offset + limit]
        if not call.params.get("ReturnBindAutoSnapshotPolicy"):
            # Bound policies are only answered on request; otherwise the field is null.
            page = [item | {"AutoSnapshotPolicyIds": None} for item in page]
        return {"TotalCount": len(items), "DiskSet": page}

    @action("DescribeAutoSnapshotPolicies")
    def describe_auto_snapshot_policies(self, call: Call) -> Item:
        offset, limit = offset_limit(call.params, maximum=MAX_LIMIT)
        items = self._select(self.policies.get(call.region, []),
                             list_param(call.params, "AutoSnapshotPolicyIds", maximum=MAX_IDS),
                             "AutoSnapshotPolicyId", self.policy_filters, list_param(call.params, "Filters"))
        items = self._order(call, items, {"CREATETIME": "CreateTime", "CREATE_TIME": "CreateTime"})
        return {"TotalCount": len(items), "AutoSnapshotPolicySet": items[offset:offset + limit]}

    @action("DescribeSnapshots")
    def describe_snapshots(self, call: Call) -> Item:
        offset, limit = offset_limit(call.params, maximum=MAX_LIMIT)
        items = self._select(self.snapshots.get(call.region, []),
                             list_param(call.params, "SnapshotIds", maximum=MAX_IDS), "SnapshotId",
                             self.snapshot_filters, list_param(call.params, "Filters"))
        items = self._order(call, items, {"CREATE_TIME": "CreateTime", "DISK_SIZE": "DiskSize"})
        return {"TotalCount": len(items), "SnapshotSet": items[offset:offset + limit]}
