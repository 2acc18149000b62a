"""Several accounts: the demo keys are the first account's; STS AssumeRole gives keys that act as another one, for
API 3.0 and COS alike."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from tencentcloud.common import credential

from dr_audit.emulator import EmulatedCloud
from dr_audit.estate import Bucket, CamAccount, CamRole, CamUser, Estate, Gap, Instance

from .conftest import NOW, SH, call, error_code, sdk_client

FIRST, SECOND = "100000000001", "100000000002"


def two_accounts() -> Estate:
    estate = Estate(source="snapshot", collected_at=NOW, accounts=[FIRST, SECOND], regions=[SH])
    for account, name in ((FIRST, "first"), (SECOND, "second")):
        estate.cam.accounts.append(CamAccount(account=account, uin=account))
        estate.cam.users.append(CamUser(account=account, uin=f"3{account[1:]}", name=f"{name}-user"))
        estate.cvm.instances.append(Instance(account=account, region=SH, instance_id=f"ins-{name}"))
        estate.cos.buckets.append(Bucket(account=account, region=SH, name=f"{name}-data-1250000001",
                                         versioning="Enabled"))
    estate.cam.roles.append(CamRole(account=SECOND, role_id="4611686018427000002", name="auditor"))
    estate.gaps.append(Gap(account=SECOND, service="cdb", code="AuthFailure.UnauthorizedOperation"))
    return estate


@pytest.fixture(scope="module")
def cloud() -> Iterator[EmulatedCloud]:
    with EmulatedCloud(two_accounts()) as running:
        yield running


@pytest.fixture(scope="module")
def assumed(cloud) -> dict:
    return call(sdk_client(cloud.endpoint_url, "sts", "ap-guangzhou"), "AssumeRole", {
        "RoleArn": f"qcs::cam::uin/{SECOND}:roleName/auditor", "RoleSessionName": "dr-audit"})


def as_second(cloud, assumed, service: str, region: str = "", token: bool = True):
    keys = assumed["Credentials"]
    client = sdk_client(cloud.endpoint_url, service, region)
    client.credential = credential.Credential(keys["TmpSecretId"], keys["TmpSecretKey"],
                                              keys["Token"] if token else None)
    return client


def test_the_demo_keys_see_only_the_first_account(cloud):
    assert [u["Name"] for u in call(sdk_client(cloud.endpoint_url, "cam"), "ListUsers")["Data"]] == ["first-user"]
    assert call(sdk_client(cloud.endpoint_url, "sts"), "GetCallerIdentity")["AccountId"] == FIRST


def test_assumed_role_keys_act_as_the_other_account(cloud, assumed):
    assert assumed["ExpiredTime"] > 0 and assumed["Expiration"].endswith("Z")
    assert [u["Name"] for u in call(as_second(cloud, assumed, "cam"), "ListUsers")["Data"]] == ["second-user"]
    instances = call(as_second(cloud, assumed, "cvm", SH), "DescribeInstances")["InstanceSet"]
    assert [i["InstanceId"] for i in instances] == ["ins-second"]
    identity = call(as_second(cloud, assumed, "sts"), "GetCallerIdentity")
    assert (identity["AccountId"], identity["Type"]) == (SECOND, "CAMRole")
    assert identity["Arn"] == f"qcs::sts:{SECOND}:assumed-role/4611686018427000002/dr-audit"


def test_temporary_keys_without_their_token_are_refused(cloud, assumed):
    assert error_code(as_second(cloud, assumed, "cam", token=False), "ListUsers") == "AuthFailure.TokenFailure"


@pytest.mark.parametrize("arn", [f"qcs::cam::uin/{SECOND}:roleName/admin", "qcs::cam::uin/999:roleName/auditor"])
def test_a_role_that_does_not_exist_cannot_be_assumed(cloud, arn):
    sts = sdk_client(cloud.endpoint_url, "sts", "ap-guangzhou")
    assert error_code(sts, "AssumeRole", {"RoleArn": arn, "RoleSessionName": "x"}) == "ResourceNotFound.RoleNotExist"


def test_gaps_fail_only_their_own_account(cloud, assumed):
    assert call(sdk_client(cloud.endpoint_url, "cdb", SH), "DescribeDBInstances")["TotalCount"] == 0
    assert error_code(as_second(cloud, assumed, "cdb", SH), "DescribeDBInstances") \
        == "AuthFailure.UnauthorizedOperation"


def s3(cloud, key: str, secret: str, token: str | None = None):
    return boto3.client("s3", region_name=SH, endpoint_url=cloud.cos_endpoint_url, aws_access_key_id=key,
                        aws_secret_access_key=secret, aws_session_token=token,
                        config=Config(s3={"addressing_style": "path"}))


def test_cos_answers_each_account_its_own_buckets(cloud, assumed):
    from dr_audit.emulator import DEMO_SECRET_ID, DEMO_SECRET_KEY

    first = s3(cloud, DEMO_SECRET_ID, DEMO_SECRET_KEY)
    keys = assumed["Credentials"]
    second = s3(cloud, keys["TmpSecretId"], keys["TmpSecretKey"], keys["Token"])
    assert [b["Name"] for b in first.list_buckets()["Buckets"]] == ["first-data-1250000001"]
    assert [b["Name"] for b in second.list_buckets()["Buckets"]] == ["second-data-1250000001"]
    assert second.get_bucket_versioning(Bucket="second-data-1250000001")["Status"] == "Enabled"
    with pytest.raises(ClientError) as denied:
        first.get_bucket_versioning(Bucket="second-data-1250000001")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
