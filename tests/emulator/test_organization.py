"""The emulated organization through the real SDK over HTTP: TCO lists units and members page by page to its
management account only; each member is reached through its own role with keys that act for it alone, under its
own rate limits; a denied role refuses that member and no other."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.organization.v20210331.organization_client import OrganizationClient

from dr_audit.emulator import DEMO_SECRET_ID, DEMO_SECRET_KEY, EmulatedCloud
from dr_audit.emulator.organization import MANAGEMENT, organization_estate
from dr_audit.emulator.services.organization import OrganizationSpec
from dr_audit.readonly import DEFAULT_MEMBER_ROLE, member_role_arn

from .conftest import call, error_code, sdk_client

MEMBERS = 12


@pytest.fixture(scope="module")
def org() -> Iterator[tuple[EmulatedCloud, OrganizationSpec]]:
    estate, spec = organization_estate(MEMBERS)
    with EmulatedCloud(estate, organization=spec, cos=False, rate_limits={"cvm:DescribeInstances": 2}) as cloud:
        yield cloud, spec


def assume(cloud: EmulatedCloud, account: str, role: str = DEFAULT_MEMBER_ROLE) -> dict[str, Any]:
    return call(sdk_client(cloud.endpoint_url, "sts", "ap-guangzhou"), "AssumeRole", {
        "RoleArn": member_role_arn(account, role), "RoleSessionName": "dr-audit"})["Credentials"]


def management_tco(cloud: EmulatedCloud) -> OrganizationClient:
    """The SDK's organization client, signed with the management account's keys."""
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=cloud.endpoint_url.removeprefix(
        "http://"), reqTimeout=10))
    return OrganizationClient(credential.Credential(DEMO_SECRET_ID, DEMO_SECRET_KEY), "", profile)


def as_member(cloud: EmulatedCloud, keys: dict[str, Any], service: str, region: str = "") -> Any:
    client = management_tco(cloud) if service == "organization" else sdk_client(cloud.endpoint_url, service, region)
    client.credential = credential.Credential(keys["TmpSecretId"], keys["TmpSecretKey"], keys["Token"])
    return client


def test_the_management_account_pages_through_every_member_and_unit(org):
    cloud, spec = org
    tco = management_tco(cloud)
    about = call(tco, "DescribeOrganization")
    assert about["OrgId"] == spec.org_id and str(about["HostUin"]) == MANAGEMENT and about["IsManager"] is True
    seen, offset = [], 0
    while True:
        page = call(tco, "DescribeOrganizationMembers", {"Offset": offset, "Limit": 5})
        seen += page["Items"]
        offset += len(page["Items"])
        assert page["Total"] == MEMBERS + 1 and len(page["Items"]) <= 5
        if offset >= page["Total"]:
            break
    assert sorted(str(m["MemberUin"]) for m in seen) == sorted(m.account for m in spec.members)
    units = {u.node_id: u.name for u in spec.units}
    assert all(m["NodeName"] == units[m["NodeId"]] for m in seen)
    nodes = call(tco, "DescribeOrganizationNodes", {"Limit": 50})["Items"]
    assert {n["NodeId"]: n["ParentNodeId"] for n in nodes} == {u.node_id: u.parent_id or 0 for u in spec.units}


def test_a_page_larger_than_documented_is_refused(org):
    cloud, _ = org
    tco = management_tco(cloud)
    assert error_code(tco, "DescribeOrganizationMembers", {"Limit": 51}) == "InvalidParameterValue"


def test_each_member_role_gives_keys_that_act_for_that_member_only(org):
    cloud, spec = org
    for member in spec.members[1:4]:
        keys = assume(cloud, member.account)
        assert call(as_member(cloud, keys, "sts"), "GetCallerIdentity")["AccountId"] == member.account
        instances = call(as_member(cloud, keys, "cvm", "ap-shanghai"), "DescribeInstances")["InstanceSet"]
        mine = [i for i in cloud.estate.cvm.instances if i.account == member.account]
        assert sorted(i["InstanceId"] for i in instances) == sorted(i.instance_id for i in mine) and mine
        # A member sees its organization but is not its manager, and may not list the members.
        tco = as_member(cloud, keys, "organization")
        assert call(tco, "DescribeOrganization")["IsManager"] is False
        assert error_code(tco, "DescribeOrganizationMembers") == "FailedOperation.OrganizationPermissionIllegal"


def test_denying_one_member_role_refuses_that_member_and_no_other(org):
    cloud, spec = org
    denied, other = spec.members[6].account, spec.members[7].account
    arn = member_role_arn(denied, DEFAULT_MEMBER_ROLE)
    cloud.faults.deny_roles.add(arn)
    try:
        sts = sdk_client(cloud.endpoint_url, "sts", "ap-guangzhou")
        assert error_code(sts, "AssumeRole", {"RoleArn": arn, "RoleSessionName": "x"}) == \
            "AuthFailure.UnauthorizedOperation"
        assert assume(cloud, other)["TmpSecretId"]
    finally:
        cloud.faults.deny_roles.discard(arn)
    assert assume(cloud, denied)["TmpSecretId"]  # lifting the denial restores the role


def test_a_role_the_member_does_not_have_does_not_exist(org):
    cloud, spec = org
    sts = sdk_client(cloud.endpoint_url, "sts", "ap-guangzhou")
    assert error_code(sts, "AssumeRole", {"RoleArn": member_role_arn(spec.members[2].account, "Other"),
                                          "RoleSessionName": "x"}) == "ResourceNotFound.RoleNotExist"


def test_rate_limits_are_kept_per_member(org):
    cloud, spec = org
    first, second = (as_member(cloud, assume(cloud, m.account), "cvm", "ap-shanghai") for m in spec.members[8:10])
    # A bucket of 2/s holds two calls: the third call of one member is throttled, the other member's is not.
    codes = []
    for _ in range(3):
        try:
            call(first, "DescribeInstances")
            codes.append("ok")
        except TencentCloudSDKException as exc:
            codes.append(exc.get_code())
    assert "RequestLimitExceeded" in codes
    assert call(second, "DescribeInstances")["InstanceSet"]


def test_an_account_outside_any_organization_has_none():
    estate, _ = organization_estate(1)
    with EmulatedCloud(estate, cos=False) as cloud:
        tco = management_tco(cloud)
        assert error_code(tco, "DescribeOrganization") == "ResourceNotFound.OrganizationNotExist"


def test_each_member_has_ids_of_its_own_and_its_references_resolve_within_it():
    # Shared ids would hide a collector filing one account's answer under another: the resource would exist there.
    estate, spec = organization_estate(4)
    accounts = [member.account for member in spec.members]
    owners: dict[tuple[str, str], set[str]] = {}
    for domain_name in ("cam", "cvm", "cbs", "vpc", "cdb", "dasb", "cloudaudit"):
        domain = getattr(estate, domain_name)
        for list_name in type(domain).model_fields:
            for resource in getattr(domain, list_name):
                if getattr(resource, "kind", "") == "preset" or getattr(resource, "name", "") == DEFAULT_MEMBER_ROLE:
                    continue  # a preset policy, and the role TCO creates, are the same in every account
                owners.setdefault((list_name, resource.resource_id), set()).add(resource.account)
    shared = {key: found for key, found in owners.items() if len(found) > 1}
    assert not shared and len(owners) > 40
    for account in accounts:
        disks = {d.disk_id for d in estate.cbs.disks if d.account == account}
        instances = [i for i in estate.cvm.instances if i.account == account]
        groups = {g.group_id for g in estate.cam.groups if g.account == account}
        policies = {p.policy_id for p in estate.cam.policies if p.account == account}
        assert instances and all(set(i.disk_ids) <= disks for i in instances)
        assert {s.disk_id for s in estate.cbs.snapshots if s.account == account} <= disks
        assert {d.instance_id for d in estate.dasb.devices if d.account == account} <= {i.instance_id
                                                                                         for i in instances}
        users = [u for u in estate.cam.users if u.account == account]
        assert users and all(set(u.group_ids) <= groups and set(u.policy_ids) <= policies for u in users)
        [root] = [a for a in estate.cam.accounts if a.account == account]
        assert root.uin == account and not {u.uin for u in users} & set(accounts)
