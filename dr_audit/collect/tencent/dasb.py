"""The bastion host, DASB (regional): its service resources, managed devices and access rules (ACLs)."""

from __future__ import annotations

from typing import Any

from ...estate import BastionAcl, BastionDevice, BastionResource
from .common import AccountRun, beijing_time, fit, items, optional_int, optional_text, text

SERVICE = "dasb"
ACL_PAGE = 500  # DescribeAcls allows up to 500 a page


def collect(run: AccountRun, region: str) -> None:
    run.spawn_inventory(SERVICE, region, resources, run, region)
    run.spawn_inventory(SERVICE, region, devices, run, region)
    run.spawn_inventory(SERVICE, region, acls, run, region)


def resources(run: AccountRun, region: str) -> None:
    found = [
        fit(BastionResource, account=run.account, region=text(e.get("ApCode")) or region,
            bastion_id=text(e.get("ResourceId")), status=optional_int(e.get("Status")),
            deployed=bool(e.get("Deployed")), expired=bool(e.get("Expired")),
            expire_at=beijing_time(e.get("ExpireTime")), vpc_id=optional_text(e.get("VpcId")),
            subnet_id=optional_text(e.get("SubnetId")), private_ips=[text(i) for i in items(e.get("PrivateIpSet"))],
            public_ips=[text(i) for i in items(e.get("PublicIpSet"))],
            intranet_ips=[text(i) for i in items(e.get("IntranetPrivateIpSet"))])
        for e in run.client.offset_pages(SERVICE, "DescribeResources", {}, "ResourceSet", region=region)
    ]
    run.harvest.add(run.estate.dasb.resources, found)


def devices(run: AccountRun, region: str) -> None:
    found = [device(run.account, region, e)
             for e in run.client.offset_pages(SERVICE, "DescribeDevices", {}, "DeviceSet", region=region)]
    run.harvest.add(run.estate.dasb.devices, found)


def device(account: str, region: str, entry: dict[str, Any]) -> BastionDevice:
    bound = entry.get("Resource")
    return fit(
        BastionDevice, account=account, region=text(entry.get("ApCode")) or region, device_id=text(entry.get("Id")),
        instance_id=optional_text(entry.get("InstanceId")), name=text(entry.get("Name")),
        private_ip=optional_text(entry.get("PrivateIp")), public_ip=optional_text(entry.get("PublicIp")),
        kind=optional_int(entry.get("Kind")), vpc_id=optional_text(entry.get("VpcId")),
        group_ids=_ids(entry.get("GroupSet")),  # an ACL may reach a device only through its groups
        # Resource is null when the device is not bound to any bastion.
        bastion_resource_id=optional_text(bound.get("ResourceId")) if isinstance(bound, dict) else None,
    )


def acls(run: AccountRun, region: str) -> None:
    found = [acl(run.account, region, e)
             for e in run.client.offset_pages(SERVICE, "DescribeAcls", {}, "AclSet", region=region, limit=ACL_PAGE)]
    run.harvest.add(run.estate.dasb.acls, found)


def _ids(value: Any) -> list[str]:
    return [text(e.get("Id")) for e in items(value) if isinstance(e, dict) and e.get("Id") is not None]


def acl(account: str, region: str, entry: dict[str, Any]) -> BastionAcl:
    return fit(
        BastionAcl, account=account, region=region, acl_id=text(entry.get("Id")), name=text(entry.get("Name")),
        allow_any_account=bool(entry.get("AllowAnyAccount")), allow_file_delete=bool(entry.get("AllowFileDel")),
        cmd_template_ids=_ids(entry.get("CmdTemplateSet")), user_ids=_ids(entry.get("UserSet")),
        user_group_ids=_ids(entry.get("UserGroupSet")), device_ids=_ids(entry.get("DeviceSet")),
        device_group_ids=_ids(entry.get("DeviceGroupSet")), accounts=[text(a) for a in items(entry.get("AccountSet"))],
        validate_to=beijing_time(entry.get("ValidateTo")), status=optional_int(entry.get("Status")),
    )
