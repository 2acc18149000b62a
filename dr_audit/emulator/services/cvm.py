"""Emulated CVM (2017-03-12, regional): DescribeInstances with its documented filters and paging."""

from __future__ import annotations

from ...estate import Estate, Instance
from ..protocol import ApiError, Call, FilterSet, Item, field_of, iso_utc, list_param, offset_limit, tag_list
from . import ServiceBackend, action, by_region

MAX_LIMIT = 100
MAX_INSTANCE_IDS = 100


def instance_item(instance: Instance) -> Item:
    system = instance.disk_ids[0] if instance.disk_ids else None
    return {
        "Placement": {"Zone": instance.zone, "ProjectId": 0},
        "InstanceId": instance.instance_id,
        "InstanceType": "S5.MEDIUM4",
        "CPU": 2,
        "Memory": 4,
        "RestrictState": "NORMAL",
        "InstanceName": instance.name,
        "InstanceChargeType": "POSTPAID_BY_HOUR",
        "SystemDisk": None if system is None else {"DiskType": "CLOUD_PREMIUM", "DiskId": system, "DiskSize": 50},
        "DataDisks": [{"DiskSize": 100, "DiskType": "CLOUD_PREMIUM", "DiskId": disk_id, "DeleteWithInstance": False,
                       "Encrypt": False} for disk_id in instance.disk_ids[1:]],
        "PrivateIpAddresses": list(instance.private_ips),
        # The real API answers null, not [], for an instance without a public address.
        "PublicIpAddresses": list(instance.public_ips) or None,
        "InternetAccessible": {"InternetChargeType": "TRAFFIC_POSTPAID_BY_HOUR",
                               "InternetMaxBandwidthOut": 10 if instance.public_ips else 0,
                               "PublicIpAssigned": bool(instance.public_ips)},
        "VirtualPrivateCloud": {"VpcId": instance.vpc_id or "", "SubnetId": instance.subnet_id or "",
                                "AsVpcGateway": False, "PrivateIpAddresses": list(instance.private_ips)},
        "ImageId": "img-9qrfy1xt",
        "RenewFlag": "NOTIFY_AND_MANUAL_RENEW",
        "CreatedTime": iso_utc(instance.created_at),
        "ExpiredTime": None,
        "OsName": "TencentOS Server 3.1",
        "SecurityGroupIds": list(instance.security_group_ids),
        "LoginSettings": {"KeyIds": None},
        "InstanceState": instance.state,
        "Tags": tag_list(instance.tags),
        "StopChargingMode": "NOT_APPLICABLE",
        "Uuid": f"uuid-{instance.instance_id}",
        "LatestOperation": None,
        "LatestOperationState": None,
        "CamRoleName": "",
        "DisableApiTermination": False,
    }


INSTANCE_FILTER_FIELDS = {
    "zone": field_of("Placement", "Zone"),
    "project-id": field_of("Placement", "ProjectId"),
    "vpc-id": field_of("VirtualPrivateCloud", "VpcId"),
    "subnet-id": field_of("VirtualPrivateCloud", "SubnetId"),
    "instance-id": field_of("InstanceId"),
    "security-group-id": field_of("SecurityGroupIds"),
    "instance-name": field_of("InstanceName"),
    "instance-state": field_of("InstanceState"),
    "instance-charge-type": field_of("InstanceChargeType"),
    "private-ip-address": field_of("PrivateIpAddresses"),
    "public-ip-address": field_of("PublicIpAddresses"),
}


def _tags(item: Item) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in item.get("Tags") or []}


class CvmBackend(ServiceBackend):
    service = "cvm"
    version = "2017-03-12"

    def __init__(self, estate: Estate, account: str) -> None:
        super().__init__(estate, account)
        self.instances = by_region([(i.region, instance_item(i)) for i in self.mine(estate.cvm.instances)])
        # At most 10 filters of at most 5 values each, as documented.
        self.filters = FilterSet(INSTANCE_FILTER_FIELDS, tags_of=_tags, max_filters=10, max_values=5)

    @action("DescribeInstances")
    def describe_instances(self, call: Call) -> Item:
        ids = list_param(call.params, "InstanceIds", maximum=MAX_INSTANCE_IDS)
        filters = list_param(call.params, "Filters")
        if ids and filters:
            raise ApiError("InvalidParameterCombination", "InstanceIds and Filters cannot be given together")
        offset, limit = offset_limit(call.params, maximum=MAX_LIMIT)
        items = self.instances.get(call.region, [])
        if ids:
            wanted = set(ids)
            items = [i for i in items if i["InstanceId"] in wanted]
        else:
            items = self.filters.apply(items, filters)
        return {"TotalCount": len(items), "InstanceSet": items[offset:offset + limit]}
