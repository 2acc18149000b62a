"""Attributes an Estate marks unreadable fail the very read behind them, with the code their reason names."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from dr_audit.emulator import EmulatedCloud

from .conftest import SH, call, error_code, sdk_client, small_estate

DENIED = "cam:DescribeSafeAuthFlagColl failed: AuthFailure.UnauthorizedOperation: no permission for cam:Describe"


@pytest.fixture(scope="module")
def cloud() -> Iterator[EmulatedCloud]:
    estate = small_estate()
    alice = estate.cam.users[0]
    alice.unreadable = {"action_protection": DENIED, "access_keys": "keys were hidden"}
    estate.cdb.instances[0].unreadable = {"backups": "cdb:DescribeBackups failed: InternalError"}
    estate.vpc.security_groups[0].unreadable = {
        "ingress": "vpc:DescribeSecurityGroupPolicies failed: RequestLimitExceeded: too fast"}
    with EmulatedCloud(estate, cos=False) as running:
        yield running


def failure(client, action: str, params: dict) -> tuple[str, str]:
    with pytest.raises(TencentCloudSDKException) as raised:
        client.call_json(action, params)
    return raised.value.get_code(), raised.value.get_message()


def test_a_collector_shaped_reason_gives_its_code_and_message_back(cloud):
    cam = sdk_client(cloud.endpoint_url, "cam")
    assert failure(cam, "DescribeSafeAuthFlagColl", {"SubUin": 300000000001}) == (
        "AuthFailure.UnauthorizedOperation", "no permission for cam:Describe")
    assert failure(sdk_client(cloud.endpoint_url, "vpc", SH), "DescribeSecurityGroupPolicies",
                   {"SecurityGroupId": "sg-shweb"}) == ("RequestLimitExceeded", "too fast")
    assert error_code(sdk_client(cloud.endpoint_url, "cdb", SH), "DescribeBackups",
                      {"InstanceId": "cdb-sh0001"}) == "InternalError"


def test_any_other_reason_is_a_denial_carrying_the_reason(cloud):
    assert failure(sdk_client(cloud.endpoint_url, "cam"), "ListAccessKeys", {"TargetUin": 300000000001}) == (
        "AuthFailure.UnauthorizedOperation", "keys were hidden")


def test_only_the_marked_resource_and_read_fail(cloud):
    cam = sdk_client(cloud.endpoint_url, "cam")
    assert call(cam, "GetUser", {"Name": "alice"})["Name"] == "alice"
    assert call(cam, "ListAccessKeys", {"TargetUin": 300000000002})["AccessKeys"] == []
    assert call(cam, "DescribeSafeAuthFlagColl", {"SubUin": 300000000002})["LoginFlag"]["Phone"] == 0
    assert call(sdk_client(cloud.endpoint_url, "cdb", SH), "DescribeBackupConfig", {"InstanceId": "cdb-sh0001"})[
        "BackupExpireDays"] == 7
    assert call(sdk_client(cloud.endpoint_url, "vpc", "ap-beijing"), "DescribeSecurityGroupPolicies",
                {"SecurityGroupId": "sg-bjweb"})["SecurityGroupPolicySet"]["Ingress"]
