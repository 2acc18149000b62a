"""The bundled scenarios served by the emulator: every inventory answers with the scenario's resources."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config

from dr_audit.emulator import EmulatedCloud
from dr_audit.estate import Estate
from dr_audit.scenarios import SCENARIOS, build

from .conftest import NOW, call, sdk_client


@pytest.fixture(scope="module", params=SCENARIOS)
def served(request) -> Iterator[tuple[Estate, EmulatedCloud]]:
    estate = build(request.param, NOW)
    with EmulatedCloud(estate) as cloud:
        yield estate, cloud


def test_each_region_answers_its_instances_disks_and_vpcs(served):
    estate, cloud = served
    for region in estate.regions:
        cvm = call(sdk_client(cloud.endpoint_url, "cvm", region), "DescribeInstances", {"Limit": 100})
        assert {i["InstanceId"] for i in cvm["InstanceSet"]} == {
            i.instance_id for i in estate.cvm.instances if i.region == region}
        cbs = call(sdk_client(cloud.endpoint_url, "cbs", region), "DescribeDisks", {"Limit": 100})
        assert cbs["TotalCount"] == sum(d.region == region for d in estate.cbs.disks)
        vpc = call(sdk_client(cloud.endpoint_url, "vpc", region), "DescribeVpcs", {"Limit": "100"})
        assert {v["VpcId"] for v in vpc["VpcSet"]} == {v.vpc_id for v in estate.vpc.vpcs if v.region == region}


def test_cam_answers_every_principal(served):
    estate, cloud = served
    cam = sdk_client(cloud.endpoint_url, "cam")
    assert {u["Name"] for u in call(cam, "ListUsers")["Data"]} == {u.name for u in estate.cam.users}
    assert call(cam, "ListPolicies", {"Rp": 200})["TotalNum"] == len(estate.cam.policies)
    assert call(cam, "DescribeRoleList", {"Page": 1, "Rp": 200})["TotalNum"] == len(estate.cam.roles)


def test_cos_lists_every_bucket(served):
    estate, cloud = served
    s3 = boto3.client("s3", region_name="ap-shanghai", endpoint_url=cloud.cos_endpoint_url,
                      aws_access_key_id="AKIDx", aws_secret_access_key="x",
                      config=Config(s3={"addressing_style": "path"}))
    listed = {b["Name"]: b["BucketRegion"] for b in s3.list_buckets()["Buckets"]}
    assert listed == {b.name: b.region for b in estate.cos.buckets}
