"""Real paging rules per action: page through to the end, and refuse page sizes above the documented maxima."""

from __future__ import annotations

import pytest

from .conftest import SH, call, error_code


def test_cam_page_rp_collects_every_policy_over_several_pages(client, estate):
    cam = client("cam")
    names, page = [], 1
    while True:
        answer = call(cam, "ListPolicies", {"Page": page, "Rp": 3})
        names += [p["PolicyName"] for p in answer["List"]]
        if len(names) >= answer["TotalNum"]:
            break
        page += 1
    assert page == 3
    assert names == [p.name for p in estate.cam.policies]


@pytest.mark.parametrize("params", [{"Rp": 201}, {"Page": 201}, {"Rp": 0}])
def test_cam_list_policies_refuses_pages_beyond_its_maxima(client, params):
    assert error_code(client("cam"), "ListPolicies", params) == "InvalidParameterValue"


def test_cbs_offset_limit_pages_through_every_disk(client, estate):
    cbs = client("cbs", SH)
    seen, offset = [], 0
    while True:
        answer = call(cbs, "DescribeDisks", {"Offset": offset, "Limit": 2})
        seen += [d["DiskId"] for d in answer["DiskSet"]]
        offset += 2
        if offset >= answer["TotalCount"]:
            break
    assert seen == [d.disk_id for d in estate.cbs.disks if d.region == SH]
    assert len(seen) == 7


@pytest.mark.parametrize(("service", "action", "params"), [
    ("cbs", "DescribeDisks", {"Limit": 101}),
    ("cbs", "DescribeSnapshots", {"Limit": 101}),
    ("cbs", "DescribeAutoSnapshotPolicies", {"Limit": 101}),
    ("cvm", "DescribeInstances", {"Limit": 101}),
    ("vpc", "DescribeVpcs", {"Limit": "101"}),
    ("vpc", "DescribeSecurityGroups", {"Limit": "101"}),
    ("cdb", "DescribeDBInstances", {"Limit": 2001}),
    ("cdb", "DescribeBackups", {"InstanceId": "cdb-sh0001", "Limit": 1001}),
    ("dasb", "DescribeAcls", {"Limit": 501}),
    ("cam", "DescribeRoleList", {"Rp": 201}),
    ("cam", "ListAttachedUserAllPolicies", {"TargetUin": 300000000001, "Rp": 201}),
    ("cam", "ListAttachedRolePolicies", {"RoleName": "ops-role", "Rp": 201}),
    ("cam", "GetSecurityLastUsed", {"SecretIdList": [f"AKID{n}" for n in range(11)]}),
    ("cvm", "DescribeInstances", {"InstanceIds": [f"ins-{n}" for n in range(101)]}),
])
def test_asking_for_more_than_the_documented_maximum_is_invalid(client, service, action, params):
    region = "" if service == "cam" else SH
    assert error_code(client(service, region), action, params) == "InvalidParameterValue"


@pytest.mark.parametrize(("service", "action", "params", "items"), [
    ("cbs", "DescribeDisks", {"Limit": 100}, "DiskSet"),
    ("cvm", "DescribeInstances", {"Limit": 100}, "InstanceSet"),
    ("vpc", "DescribeVpcs", {"Limit": "100", "Offset": "0"}, "VpcSet"),
    ("cdb", "DescribeDBInstances", {"Limit": 2000}, "Items"),
    ("dasb", "DescribeAcls", {"Limit": 500}, "AclSet"),
])
def test_the_documented_maximum_itself_is_allowed(client, service, action, params, items):
    answer = call(client(service, SH), action, params)
    assert answer["TotalCount"] == len(answer[items]) > 0


def test_vpc_takes_offset_and_limit_as_strings(client):
    answer = call(client("vpc", SH), "DescribeSecurityGroups", {"Offset": "0", "Limit": "1"})
    assert answer["TotalCount"] == 1 and len(answer["SecurityGroupSet"]) == 1


def test_cloudaudit_requires_page_number_and_size(client):
    audit = client("cloudaudit", SH)
    assert error_code(audit, "DescribeAuditTracks", {"PageSize": 10}) == "MissingParameter"
    answer = call(audit, "DescribeAuditTracks", {"PageNumber": 1, "PageSize": 10})
    assert answer["TotalCount"] == 1 and answer["Tracks"][0]["TrackId"] == 5001


def test_a_page_past_the_end_is_empty_but_keeps_the_total(client):
    answer = call(client("cbs", SH), "DescribeSnapshots", {"Offset": 500, "Limit": 100})
    assert answer["SnapshotSet"] == [] and answer["TotalCount"] == 18


def test_list_users_has_no_paging_and_answers_everyone(client):
    assert len(call(client("cam"), "ListUsers")["Data"]) == 2
