"""The emulator only emits field names the real API documents (tencent-api-fields.txt, generated from the SDK
models), and every answer deserializes into the SDK's own response model without unknown fields."""

from __future__ import annotations

import importlib
import re
import warnings
from pathlib import Path
from typing import Any

import pytest

from dr_audit.emulator import BACKENDS
from dr_audit.emulator.server import READ_PREFIXES
from dr_audit.readonly import AUDIT_API_READS

from .conftest import SDK_CLIENTS, SH, call

# A copy of the team's field dump (shared/docs/tencent-api-fields.txt), generated from the SDK models.
FIELDS_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "tencent-api-fields.txt"
Tree = dict[str, "Tree | None"]

# Every action the emulator serves, with parameters that give a non-empty answer from the small estate.
CALLS: list[tuple[str, str, dict[str, Any]]] = [
    ("cam", "ListUsers", {}), ("cam", "GetUser", {"Name": "alice"}), ("cam", "ListGroups", {}),
    ("cam", "DescribeSubAccounts", {"FilterSubAccountUin": [300000000001]}),
    ("cam", "ListGroupsForUser", {"SubUin": 300000000001}), ("cam", "ListUsersForGroup", {"GroupId": 11}),
    ("cam", "ListPolicies", {}), ("cam", "GetPolicy", {"PolicyId": 1}),
    ("cam", "ListAttachedUserPolicies", {"TargetUin": 300000000001}),
    ("cam", "ListAttachedUserAllPolicies", {"TargetUin": 300000000001, "Rp": 20, "Page": 1, "AttachType": 0}),
    ("cam", "ListAttachedGroupPolicies", {"TargetGroupId": 11}), ("cam", "DescribeRoleList", {"Page": 1, "Rp": 20}),
    ("cam", "ListAttachedRolePolicies", {"RoleName": "ops-role"}), ("cam", "ListEntitiesForPolicy", {"PolicyId": 1}),
    ("cam", "DescribeSafeAuthFlag", {}), ("cam", "DescribeSafeAuthFlagColl", {"SubUin": 300000000001}),
    ("cam", "ListAccessKeys", {"TargetUin": 300000000001}), ("cam", "ListAccessKeys", {}),
    ("cam", "GetAccountSummary", {}),
    ("cbs", "DescribeDisks", {"ReturnBindAutoSnapshotPolicy": True}), ("cbs", "DescribeSnapshots", {}),
    ("cbs", "DescribeAutoSnapshotPolicies", {}),
    ("cvm", "DescribeInstances", {}), ("cvm", "DescribeRegions", {}),
    ("vpc", "DescribeVpcs", {}), ("vpc", "DescribeSecurityGroups", {}),
    ("vpc", "DescribeSecurityGroupPolicies", {"SecurityGroupId": "sg-shweb"}),
    ("vpc", "DescribeVpcPeeringConnections", {}), ("vpc", "DescribeCcns", {}),
    ("vpc", "DescribeCcnAttachedInstances", {"CcnId": "ccn-00000001"}),
    ("cdb", "DescribeDBInstances", {}), ("cdb", "DescribeBackupConfig", {"InstanceId": "cdb-sh0001"}),
    ("cdb", "DescribeRemoteBackupConfig", {"InstanceId": "cdb-sh0001"}),
    ("cdb", "DescribeBackups", {"InstanceId": "cdb-sh0001"}),
    ("dasb", "DescribeResources", {}), ("dasb", "DescribeDevices", {}), ("dasb", "DescribeAcls", {}),
    ("cloudaudit", "DescribeAuditTracks", {"PageNumber": 1, "PageSize": 10}),
    ("cloudaudit", "DescribeAuditTrack", {"TrackId": 5001}),
    ("sts", "GetCallerIdentity", {}), ("region", "DescribeRegions", {"Product": "cvm"}),
]
GLOBAL = {"cam", "sts", "region"}


def documented_responses() -> dict[tuple[str, str], Tree]:
    """(service, action) -> the documented Response field tree (children None where the dump goes no deeper)."""
    trees: dict[tuple[str, str], Tree] = {}
    stack: list[tuple[int, Tree]] = []
    in_response = False
    for line in FIELDS_FILE.read_text(encoding="utf-8").splitlines():
        header = re.match(r"^=== (\S+) (\S+) \(", line)
        if header:
            tree: Tree = {}
            trees[(header[1], header[2])] = tree
            stack, in_response = [(0, tree)], False
            continue
        if line.strip() in ("Request:", "Response:"):
            in_response = line.strip() == "Response:"
            continue
        field = re.match(r"^( +)([A-Za-z0-9_]+) : ", line)
        if not field or not in_response:
            continue
        indent = len(field[1])
        while len(stack) > 1 and stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1]
        children: Tree = {}
        parent[field[2]] = children
        stack.append((indent, children))
    return trees


DOCUMENTED = documented_responses()


def undocumented(value: Any, tree: Tree | None, path: str) -> list[str]:
    if not tree:  # the dump lists no deeper level here
        return []
    if isinstance(value, list):
        return [bad for item in value for bad in undocumented(item, tree, path + "[]")]
    if not isinstance(value, dict):
        return []
    found = []
    for key, child in value.items():
        if key not in tree:
            found.append(f"{path}.{key}")
        else:
            found += undocumented(child, tree[key], f"{path}.{key}")
    return found


def test_the_field_dump_parses_into_nested_trees():
    disks = DOCUMENTED[("cbs", "DescribeDisks")]
    assert "DiskSet" in disks and "TotalCount" in disks
    assert disks["DiskSet"] is not None and "Placement" in disks["DiskSet"]
    assert "Zone" in (disks["DiskSet"]["Placement"] or {})
    assert "AutoSnapshotPolicyIds" in disks["DiskSet"]
    bogus = {"TotalCount": 1, "DiskSet": [{"DiskId": "d", "Placement": {"Zone": "z", "Colour": "red"}, "Size": 1}]}
    assert undocumented(bogus, disks, "DescribeDisks") == [
        "DescribeDisks.DiskSet[].Placement.Colour", "DescribeDisks.DiskSet[].Size"]


@pytest.mark.parametrize(("service", "action", "params"), CALLS, ids=[f"{s}:{a}" for s, a, _ in CALLS])
def test_answers_use_only_documented_fields_and_fit_the_sdk_models(client, service, action, params):
    region = "" if service in GLOBAL else SH
    answer = call(client(service, region), action, params)
    answer.pop("RequestId")
    assert any(value not in (None, [], {}) for value in answer.values()), "the answer is empty: not a real check"
    tree = DOCUMENTED.get((service, action))
    if tree is not None:
        assert undocumented(answer, tree, action) == []
    module_name = SDK_CLIENTS[service][0].rsplit(".", 1)[0] + ".models"
    model = getattr(importlib.import_module(module_name), f"{action}Response")()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model._deserialize(answer)
    assert [str(w.message) for w in caught if "useless" in str(w.message)] == []


def test_last_used_rows_use_only_documented_fields(client):
    cam = client("cam")
    ids = [k["AccessKeyId"] for k in call(cam, "ListAccessKeys", {"TargetUin": 300000000001})["AccessKeys"]]
    answer = call(cam, "GetSecurityLastUsed", {"SecretIdList": ids[:10]})
    answer.pop("RequestId")
    assert len(answer["SecretIdLastUsedRows"]) == 10
    assert undocumented(answer, DOCUMENTED[("cam", "GetSecurityLastUsed")], "GetSecurityLastUsed") == []


def test_every_served_action_is_a_read_and_every_needed_read_is_served():
    served = {(b.service, name) for b in BACKENDS for name in b.handlers}
    assert all(action.startswith(READ_PREFIXES) or (service, action) == ("sts", "AssumeRole")
               for service, action in served)
    assert {(s, a) for s, a, _ in CALLS} | {("cam", "GetSecurityLastUsed"), ("sts", "AssumeRole")} == served
    # Every read the auditor declares is one the emulated cloud answers (the cloud may serve more), but the per-disk
    # binding read, sent only when DescribeDisks answers null bindings, which the emulator never does.
    declared = {(service, action) for by_service in AUDIT_API_READS.values() for service, actions in by_service.items()
                for action in actions}
    assert declared - served == {("cbs", "DescribeDiskAssociatedAutoSnapshotPolicy")}
