"""Emulated bastion host DASB (2019-10-18, regional): its service resources, managed devices and access rules.

Device, ACL, user, group and command-template ids are integers on the wire.
"""

from __future__ import annotations

from ...estate import BastionAcl, BastionDevice, BastionResource, Estate
from ..protocol import ApiError, Call, Item, beijing_time, iso_utc, list_param, numeric_id, offset_limit, str_param
from . import ServiceBackend, action

MAX_ACLS = 500
CREATED = "2020-03-01 10:00:00"


def resource_item(resource: BastionResource) -> Item:
    return {
        "ResourceId": resource.bastion_id, "ApCode": resource.region, "SvArgs": "", "VpcId": resource.vpc_id or "",
        "Nodes": 50, "RenewFlag": 0, "ExpireTime": beijing_time(resource.expire_at), "Status": resource.status,
        "ResourceName": resource.bastion_id, "Pid": 1, "CreateTime": CREATED, "ProductCode": "p_cds_dasb",
        "SubProductCode": "sp_cds_dasb_bh_saas", "Zone": f"{resource.region}-2", "Expired": resource.expired,
        "Deployed": resource.deployed, "VpcName": "", "VpcCidrBlock": "", "SubnetId": resource.subnet_id or "",
        "SubnetName": "", "CidrBlock": "", "PublicIpSet": list(resource.public_ips),
        "PrivateIpSet": list(resource.private_ips), "ModuleSet": ["BASE"], "UsedNodes": 0, "ExtendPoints": 0,
        "PackageBandwidth": 0, "PackageNode": 0, "LogDeliveryArgs": "", "ClbSet": [], "DomainCount": 0,
        "UsedDomainCount": 0, "Trial": 0, "LogDelivery": "", "DeployModel": 0,
        "IntranetAccess": int(bool(resource.intranet_ips)), "IntranetPrivateIpSet": list(resource.intranet_ips),
        "IntranetVpcId": resource.vpc_id or "" if resource.intranet_ips else "", "IntranetVpcCidr": "",
    }


def device_item(device: BastionDevice, resources: dict[str, Item]) -> Item:
    bound = device.bastion_resource_id
    return {
        "Id": numeric_id(device.device_id), "InstanceId": device.instance_id or "", "Name": device.name,
        "PublicIp": device.public_ip or "", "PrivateIp": device.private_ip or "", "ApCode": device.region,
        "OsName": "Linux", "Kind": device.kind, "Port": 22, "AccountCount": 1,
        "GroupSet": [{"Id": numeric_id(g), "Name": f"devices{g}", "Count": 0} for g in device.group_ids],
        "VpcId": device.vpc_id or "", "SubnetId": "",
        # null: the device is not bound to any bastion.
        "Resource": None if bound is None else resources.get(bound, {"ResourceId": bound}),
        "Department": None, "IpPortSet": [], "DomainId": "", "DomainName": "", "EnableSSL": 0,
    }


def acl_item(acl: BastionAcl, devices: dict[int, Item]) -> Item:
    return {
        "Id": numeric_id(acl.acl_id), "Name": acl.name, "AllowDiskRedirect": False, "AllowClipFileUp": False,
        "AllowClipFileDown": False, "AllowClipTextUp": True, "AllowClipTextDown": True, "AllowFileUp": False,
        "MaxFileUpSize": 0, "AllowFileDown": False, "MaxFileDownSize": 0, "AllowAnyAccount": acl.allow_any_account,
        "UserSet": [{"Id": numeric_id(u), "UserName": f"user{u}", "RealName": f"user{u}", "Phone": "",
                     "Email": ""} for u in acl.user_ids],
        "UserGroupSet": [{"Id": numeric_id(g), "Name": f"group{g}", "Count": 0} for g in acl.user_group_ids],
        "DeviceSet": [devices.get(numeric_id(d), {"Id": numeric_id(d)}) for d in acl.device_ids],
        "DeviceGroupSet": [{"Id": numeric_id(g), "Name": f"devices{g}", "Count": 0} for g in acl.device_group_ids],
        "AccountSet": list(acl.accounts),
        "CmdTemplateSet": [{"Id": numeric_id(t), "Name": f"template{t}", "CmdList": "rm -rf *\nmkfs*\nshutdown*",
                            "Type": 1} for t in acl.cmd_template_ids],
        "AllowDiskFileUp": False, "AllowDiskFileDown": False, "AllowShellFileUp": False,
        "AllowShellFileDown": False, "AllowFileDel": acl.allow_file_delete, "ValidateFrom": "",
        # ISO 8601 with an offset, as the API's own examples show ("" = valid for ever).
        "ValidateTo": (iso_utc(acl.validate_to) or "").replace("Z", "+00:00"), "Status": acl.status,
        "Department": None, "AllowAccessCredential": False, "ACTemplateSet": [], "WhiteCmds": [],
        "AllowKeyboardLogger": False,
    }


class DasbBackend(ServiceBackend):
    service = "dasb"
    version = "2019-10-18"

    def __init__(self, estate: Estate, account: str) -> None:
        super().__init__(estate, account)
        resources = self.mine(estate.dasb.resources)
        self.resource_items = {r.bastion_id: resource_item(r) for r in resources}
        self.resources: dict[str, list[Item]] = {}
        for r in resources:
            self.resources.setdefault(r.region, []).append(self.resource_items[r.bastion_id])
        self.devices: dict[str, list[Item]] = {}
        device_by_id: dict[int, Item] = {}
        for d in self.mine(estate.dasb.devices):
            item = device_item(d, self.resource_items)
            device_by_id[item["Id"]] = item
            self.devices.setdefault(d.region, []).append(item)
        self.acls: dict[str, list[Item]] = {}
        for a in self.mine(estate.dasb.acls):
            self.acls.setdefault(a.region, []).append(acl_item(a, device_by_id))

    @action("DescribeResources")
    def describe_resources(self, call: Call) -> Item:
        offset, limit = offset_limit(call.params)
        items = self.resources.get(call.region, [])
        ids = list_param(call.params, "ResourceIds")
        vpc_id = str_param(call.params, "VpcId")
        ap_code = str_param(call.params, "ApCode")
        items = [i for i in items if (not ids or i["ResourceId"] in ids) and (not vpc_id or i["VpcId"] == vpc_id)
                 and (not ap_code or i["ApCode"] == ap_code)]
        return {"ResourceSet": items[offset:offset + limit], "TotalCount": len(items)}

    @action("DescribeDevices")
    def describe_devices(self, call: Call) -> Item:
        offset, limit = offset_limit(call.params)
        items = self.devices.get(call.region, [])
        ids = list_param(call.params, "IdSet")
        resource_ids = list_param(call.params, "ResourceIdSet")
        kinds = list_param(call.params, "KindSet") or ([call.params["Kind"]] if call.params.get("Kind") else None)
        name = str_param(call.params, "Name")
        items = [
            i for i in items
            if (not ids or i["Id"] in ids) and (not kinds or i["Kind"] in kinds)
            and (not resource_ids or (i["Resource"] or {}).get("ResourceId") in resource_ids)
            and (not name or name in i["Name"])
        ]
        return {"TotalCount": len(items), "DeviceSet": items[offset:offset + limit]}

    @action("DescribeAcls")
    def describe_acls(self, call: Call) -> Item:
        offset, limit = offset_limit(call.params, maximum=MAX_ACLS)
        items = self.acls.get(call.region, [])
        ids = list_param(call.params, "IdSet")
        name = str_param(call.params, "Name")
        exact = bool(call.params.get("Exact"))
        status = call.params.get("Status")
        if status is not None and not isinstance(status, int):
            raise ApiError("InvalidParameter", "Status must be an integer")
        items = [
            i for i in items
            if (not ids or i["Id"] in ids) and (status is None or i["Status"] == status)
            and (not name or (i["Name"] == name if exact else name in i["Name"]))
        ]
        return {"TotalCount": len(items), "AclSet": items[offset:offset + limit]}
