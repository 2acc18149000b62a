"""Filters, ordering and region scoping behave like the real APIs' documented ones."""

from __future__ import annotations

from .conftest import BJ, SH, call, error_code


def test_disks_filter_by_instance_id_and_disk_id(client):
    cbs = client("cbs", SH)
    by_instance = call(cbs, "DescribeDisks", {"Filters": [{"Name": "instance-id", "Values": ["ins-sh0001"]}]})
    assert sorted(d["DiskId"] for d in by_instance["DiskSet"]) == ["disk-shd1", "disk-shs1"]
    by_id = call(cbs, "DescribeDisks", {"Filters": [{"Name": "disk-id", "Values": ["disk-shd2", "disk-shloose"]}]})
    assert [d["DiskId"] for d in by_id["DiskSet"]] == ["disk-shd2", "disk-shloose"]
    assert by_id["TotalCount"] == 2


def test_filters_are_anded_and_values_ored(client):
    cbs = client("cbs", SH)
    answer = call(cbs, "DescribeDisks", {"Filters": [
        {"Name": "disk-usage", "Values": ["DATA_DISK"]},
        {"Name": "instance-id", "Values": ["ins-sh0001", "ins-sh0002"]}]})
    assert sorted(d["DiskId"] for d in answer["DiskSet"]) == ["disk-shd1", "disk-shd2"]


def test_bound_policies_are_answered_only_on_request(client):
    cbs = client("cbs", SH)
    params = {"Filters": [{"Name": "disk-id", "Values": ["disk-shd1"]}]}
    assert call(cbs, "DescribeDisks", params)["DiskSet"][0]["AutoSnapshotPolicyIds"] is None
    bound = call(cbs, "DescribeDisks", params | {"ReturnBindAutoSnapshotPolicy": True})["DiskSet"][0]
    assert bound["AutoSnapshotPolicyIds"] == ["asp-shdaily"]


def test_newest_snapshot_of_a_disk_via_disk_id_filter_and_descending_order(client):
    cbs = client("cbs", SH)
    answer = call(cbs, "DescribeSnapshots", {
        "Filters": [{"Name": "disk-id", "Values": ["disk-shd1"]}], "Order": "DESC", "OrderField": "CREATE_TIME",
        "Limit": 1})
    assert answer["TotalCount"] == 3
    assert answer["SnapshotSet"][0]["SnapshotId"] == "snap-shd1-1"
    ascending = call(cbs, "DescribeSnapshots", {
        "Filters": [{"Name": "disk-id", "Values": ["disk-shd1"]}], "Order": "ASC", "OrderField": "CREATE_TIME"})
    assert [s["SnapshotId"] for s in ascending["SnapshotSet"]] == ["snap-shd1-3", "snap-shd1-2", "snap-shd1-1"]


def test_snapshot_state_filter(client):
    answer = call(client("cbs", SH), "DescribeSnapshots",
                  {"Filters": [{"Name": "snapshot-state", "Values": ["CREATING"]}]})
    assert answer["TotalCount"] == 6 and {s["SnapshotState"] for s in answer["SnapshotSet"]} == {"CREATING"}


def test_instances_filter_by_vpc_and_tag(client):
    cvm = client("cvm", SH)
    in_vpc = call(cvm, "DescribeInstances", {"Filters": [{"Name": "vpc-id", "Values": ["vpc-shprod"]}]})
    assert in_vpc["TotalCount"] == 3
    tagged = call(cvm, "DescribeInstances", {"Filters": [{"Name": "tag:env", "Values": ["test"]}]})
    assert [i["InstanceId"] for i in tagged["InstanceSet"]] == ["ins-sh0000"]
    assert call(cvm, "DescribeInstances", {"Filters": [{"Name": "vpc-id", "Values": ["vpc-bjprod"]}]})[
        "TotalCount"] == 0


def test_an_unknown_filter_and_too_many_values_are_refused(client):
    cvm = client("cvm", SH)
    assert error_code(cvm, "DescribeInstances", {"Filters": [{"Name": "colour", "Values": ["red"]}]}) \
        == "InvalidFilter"
    assert error_code(cvm, "DescribeInstances", {
        "Filters": [{"Name": "instance-id", "Values": [f"ins-{n}" for n in range(6)]}]}) \
        == "InvalidParameterValue.LimitExceeded"


def test_ids_and_filters_cannot_be_combined(client):
    assert error_code(client("cvm", SH), "DescribeInstances", {
        "InstanceIds": ["ins-sh0001"], "Filters": [{"Name": "zone", "Values": ["ap-shanghai-2"]}]}) \
        == "InvalidParameterCombination"


def test_regional_services_answer_only_for_the_requested_region(client):
    shanghai = call(client("cvm", SH), "DescribeInstances")["InstanceSet"]
    beijing = call(client("cvm", BJ), "DescribeInstances")["InstanceSet"]
    assert {i["Placement"]["Zone"] for i in shanghai} == {"ap-shanghai-2"}
    assert {i["InstanceId"] for i in beijing} == {"ins-bj0000", "ins-bj0001", "ins-bj0002"}
    assert call(client("cvm", "ap-guangzhou"), "DescribeInstances")["TotalCount"] == 0
    assert call(client("dasb", BJ), "DescribeResources")["TotalCount"] == 0
    assert call(client("vpc", BJ), "DescribeVpcPeeringConnections")["TotalCount"] == 0


def test_a_regional_call_without_a_region_is_refused(client):
    assert error_code(client("cbs", ""), "DescribeDisks") == "MissingParameter"


def test_global_services_answer_the_same_everywhere(client):
    assert call(client("cam", BJ), "ListUsers") | {"RequestId": ""} == call(client("cam"), "ListUsers") | {
        "RequestId": ""}
    for region in (SH, BJ):
        assert call(client("vpc", region), "DescribeCcns")["TotalCount"] == 1
        assert call(client("cloudaudit", region), "DescribeAuditTracks", {"PageNumber": 1, "PageSize": 5})[
            "TotalCount"] == 1


def test_peering_vpc_id_filter_matches_either_side(client):
    vpc = client("vpc", SH)
    for side in ("vpc-shprod", "vpc-bjprod"):
        answer = call(vpc, "DescribeVpcPeeringConnections", {"Filters": [{"Name": "vpc-id", "Values": [side]}]})
        assert [p["PeeringConnectionId"] for p in answer["PeerConnectionSet"]] == ["pcx-00000001"]


def test_ccn_attachments_by_ccn_id(client):
    answer = call(client("vpc", SH), "DescribeCcnAttachedInstances", {"CcnId": "ccn-00000001"})
    assert {(a["InstanceId"], a["InstanceRegion"]) for a in answer["InstanceSet"]} == {
        ("vpc-shprod", SH), ("vpc-bjprod", BJ)}
