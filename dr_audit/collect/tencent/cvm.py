"""CVM (regional): instances with their zone, network, security groups, addresses, tags and disks."""

from __future__ import annotations

from typing import Any

from ...estate import Instance
from .common import AccountRun, items, optional_text, tags, text, utc_time

SERVICE = "cvm"


def collect(run: AccountRun, region: str) -> None:
    run.spawn_inventory(SERVICE, region, instances, run, region)


def instances(run: AccountRun, region: str) -> None:
    found = [instance(run.account, region, entry)
             for entry in run.client.offset_pages(SERVICE, "DescribeInstances", {}, "InstanceSet", region=region)]
    run.harvest.add(run.estate.cvm.instances, found)


def instance(account: str, region: str, entry: dict[str, Any]) -> Instance:
    network = entry.get("VirtualPrivateCloud") or {}
    placement = entry.get("Placement") or {}
    system = entry.get("SystemDisk") or {}
    disk_ids = [text(system.get("DiskId"))] if system.get("DiskId") else []
    disk_ids += [text(d.get("DiskId")) for d in items(entry.get("DataDisks")) if d.get("DiskId")]
    return Instance(
        account=account, region=region, instance_id=text(entry.get("InstanceId")),
        name=text(entry.get("InstanceName")), zone=text(placement.get("Zone")),
        state=text(entry.get("InstanceState")) or "UNKNOWN",
        vpc_id=optional_text(network.get("VpcId")), subnet_id=optional_text(network.get("SubnetId")),
        security_group_ids=[text(s) for s in items(entry.get("SecurityGroupIds"))],
        private_ips=[text(ip) for ip in items(entry.get("PrivateIpAddresses"))],
        public_ips=[text(ip) for ip in items(entry.get("PublicIpAddresses"))],
        tags=tags(entry.get("Tags")), disk_ids=disk_ids, created_at=utc_time(entry.get("CreatedTime")),
    )
