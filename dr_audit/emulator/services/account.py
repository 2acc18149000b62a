"""Emulated STS GetCallerIdentity (the account id) and region DescribeRegions (the regions to collect).

The caller is the root account of the served Estate. DescribeRegions lists the Estate's regions only: the emulated
world has nothing anywhere else, and a collector walking every real region would only add empty inventories.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

from ...estate import Estate
from ..protocol import ApiError, Call, Item, int_param, str_param
from . import ServiceBackend, action

REGION_NAMES = {
    "ap-guangzhou": "华南地区(广州)", "ap-shanghai": "华东地区(上海)", "ap-nanjing": "华东地区(南京)",
    "ap-beijing": "华北地区(北京)", "ap-chengdu": "西南地区(成都)", "ap-chongqing": "西南地区(重庆)",
    "ap-hongkong": "港澳台地区(中国香港)", "ap-singapore": "亚太东南(新加坡)", "ap-tokyo": "亚太东北(东京)",
    "eu-frankfurt": "欧洲地区(法兰克福)", "na-siliconvalley": "美国西部(硅谷)",
}


def estate_regions(estate: Estate) -> list[str]:
    return list(estate.regions) or ["ap-guangzhou"]


ROLE_ARN = re.compile(r"^qcs::cam::uin/(?P<account>\d+):roleName/(?P<role>[\w+=,.@-]+)$")
MAX_DURATION = 43_200


class StsBackend(ServiceBackend):
    """GetCallerIdentity, and AssumeRole into any account the emulator serves (the role must exist there when the
    Estate lists that account's roles). `issuer` and `served` are set by the EmulatedCloud that owns the backend."""

    service = "sts"
    version = "2018-08-13"
    regional = False
    issuer: Callable[[str, str, str, int], Item] | None = None
    served: frozenset[str] = frozenset()
    denied: Collection[str] = frozenset()  # role ARNs whose trust policy does not admit the caller

    @action("GetCallerIdentity")
    def get_caller_identity(self, call: Call) -> Item:
        if call.role_name:
            role = next((r for r in self.estate.cam.roles if r.account == self.account and r.name == call.role_name),
                        None)
            role_id = role.role_id if role is not None else call.role_name
            return {"Arn": f"qcs::sts:{self.account}:assumed-role/{role_id}/{call.session}",
                    "AccountId": self.account, "UserId": f"{role_id}:{call.session}", "PrincipalId": self.account,
                    "Type": "CAMRole"}
        return {"Arn": f"qcs::cam::uin/{self.account}:uin/{self.account}", "AccountId": self.account,
                "UserId": self.account, "PrincipalId": self.account, "Type": "CAMAccount"}

    @action("AssumeRole")
    def assume_role(self, call: Call) -> Item:
        arn = str_param(call.params, "RoleArn", required=True) or ""
        session = str_param(call.params, "RoleSessionName", required=True) or ""
        duration = int_param(call.params, "DurationSeconds", 7200, minimum=1, maximum=MAX_DURATION) or 7200
        match = ROLE_ARN.match(arn)
        if match is None:
            raise ApiError("InvalidParameter.ParamError", f"RoleArn {arn!r} is not qcs::cam::uin/<uin>:roleName/<name>")
        account, role = match["account"], match["role"]
        roles = [r.name for r in self.estate.cam.roles if r.account == account]
        if account not in self.served or (roles and role not in roles):
            raise ApiError("ResourceNotFound.RoleNotExist", f"the role {arn} does not exist")
        if arn in self.denied:
            raise ApiError("AuthFailure.UnauthorizedOperation", f"the role {arn} does not trust the caller")
        if self.issuer is None:
            raise ApiError("InternalError", "the emulator cannot issue temporary keys")
        return self.issuer(account, role, session, duration)


class RegionBackend(ServiceBackend):
    service = "region"
    version = "2022-06-27"
    regional = False

    @action("DescribeRegions")
    def describe_regions(self, call: Call) -> Item:
        product = str_param(call.params, "Product", required=True)
        if product not in ("cvm", "cbs", "vpc", "cdb", "dasb", "cloudaudit", "cos", "cam"):
            raise ApiError("InvalidParameterValue", f"unknown product {product!r}")
        regions = estate_regions(self.estate)
        return {"TotalCount": len(regions), "RegionSet": [
            {"Region": r, "RegionName": REGION_NAMES.get(r, r), "RegionState": "AVAILABLE"} for r in regions]}


class CvmRegionsBackend(ServiceBackend):
    """cvm:DescribeRegions, the older (frozen) way to list regions, kept because the read-only list allows it."""

    service = "cvm"
    version = "2017-03-12"
    regional = False

    @action("DescribeRegions")
    def describe_regions(self, call: Call) -> Item:
        regions = estate_regions(self.estate)
        return {"TotalCount": len(regions), "RegionSet": [
            {"Region": r, "RegionName": REGION_NAMES.get(r, r), "RegionState": "AVAILABLE"} for r in regions]}
