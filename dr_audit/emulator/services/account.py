"""Emulated STS GetCallerIdentity (the account id) and region DescribeRegions (the regions to collect).

The caller is the root account of the served Estate. DescribeRegions lists the Estate's regions only: the emulated
world has nothing anywhere else, and a collector walking every real region would only add empty inventories.
"""

from __future__ import annotations

from ...estate import Estate
from ..protocol import ApiError, Call, Item, str_param
from . import ServiceBackend, action

REGION_NAMES = {
    "ap-guangzhou": "华南地区(广州)", "ap-shanghai": "华东地区(上海)", "ap-nanjing": "华东地区(南京)",
    "ap-beijing": "华北地区(北京)", "ap-chengdu": "西南地区(成都)", "ap-chongqing": "西南地区(重庆)",
    "ap-hongkong": "港澳台地区(中国香港)", "ap-singapore": "亚太东南(新加坡)", "ap-tokyo": "亚太东北(东京)",
    "eu-frankfurt": "欧洲地区(法兰克福)", "na-siliconvalley": "美国西部(硅谷)",
}


def estate_regions(estate: Estate) -> list[str]:
    return list(estate.regions) or ["ap-guangzhou"]


class StsBackend(ServiceBackend):
    service = "sts"
    version = "2018-08-13"
    regional = False

    @action("GetCallerIdentity")
    def get_caller_identity(self, call: Call) -> Item:
        return {"Arn": f"qcs::cam::uin/{self.account}:uin/{self.account}", "AccountId": self.account,
                "UserId": self.account, "PrincipalId": self.account, "Type": "CAMAccount"}


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
