"""The one list of cloud actions dr-audit may call: every one a read.

The collectors' client layer refuses anything not listed here before a byte is sent, and `dr-audit auditor-policy`
prints the CAM policy generated from the same list, so the auditor's rights and its behaviour cannot drift apart.
"""

from __future__ import annotations

import json
from typing import Any

# API 3.0 actions per service (the service is also the CAM action prefix: name/<service>:<Action>).
API_READ_ACTIONS: dict[str, tuple[str, ...]] = {
    "cam": (
        "ListUsers", "GetUser", "DescribeSubAccounts", "ListCollaborators", "ListGroups", "ListGroupsForUser",
        "ListUsersForGroup", "ListPolicies", "GetPolicy", "ListPolicyVersions", "GetPolicyVersion",
        "ListAttachedUserPolicies", "ListAttachedUserAllPolicies", "ListAttachedGroupPolicies", "DescribeRoleList",
        "GetRole", "ListAttachedRolePolicies", "ListEntitiesForPolicy", "GetUserPermissionBoundary",
        "DescribeSafeAuthFlag", "DescribeSafeAuthFlagColl", "DescribeSafeAuthFlagIntl", "ListAccessKeys",
        "GetSecurityLastUsed", "GetAccountSummary", "GetPasswordRules",
    ),
    "cvm": ("DescribeInstances", "DescribeRegions", "DescribeZones"),
    "cbs": (
        "DescribeDisks", "DescribeSnapshots", "DescribeAutoSnapshotPolicies",
        "DescribeDiskAssociatedAutoSnapshotPolicy", "DescribeSnapshotOverview",
    ),
    "vpc": (
        "DescribeVpcs", "DescribeSubnets", "DescribeSecurityGroups", "DescribeSecurityGroupPolicies",
        "DescribeVpcPeeringConnections", "DescribeCcns", "DescribeCcnAttachedInstances", "DescribeNetworkAcls",
        "DescribeRouteTables",
    ),
    "cdb": (
        "DescribeDBInstances", "DescribeDBInstanceConfig", "DescribeBackupConfig", "DescribeRemoteBackupConfig",
        "DescribeBackups", "DescribeBinlogs", "DescribeBackupOverview", "DescribeDBSwitchRecords",
    ),
    "dasb": (
        "DescribeResources", "DescribeDevices", "DescribeAcls", "DescribeUsers", "DescribeUserGroups",
        "DescribeCmdTemplates", "DescribeLoginEvent", "DescribeOperationEvent", "SearchSession", "SearchCommand",
        "SearchAuditLog",
    ),
    "cloudaudit": ("DescribeAuditTracks", "DescribeAuditTrack", "ListAudits", "DescribeAudit", "DescribeEvents"),
    "region": ("DescribeRegions",),
    # GetCallerIdentity names the account; AssumeRole only exchanges credentials (--role-arn) and changes nothing.
    "sts": ("GetCallerIdentity", "AssumeRole"),
}

# COS through its S3-compatible API: the boto3 operation -> the CAM action that authorises it.
COS_READ_OPERATIONS: dict[str, str] = {
    "ListBuckets": "GetService",
    "HeadBucket": "HeadBucket",
    "GetBucketLocation": "GetBucketLocation",
    "GetBucketVersioning": "GetBucketVersioning",
    "GetBucketReplication": "GetBucketReplication",
    "GetBucketLifecycleConfiguration": "GetBucketLifecycle",
    "GetObjectLockConfiguration": "GetBucketObjectLockConfiguration",
    "GetBucketAcl": "GetBucketACL",
    "GetBucketPolicy": "GetBucketPolicy",
    "GetBucketTagging": "GetBucketTagging",
    "GetBucketLogging": "GetBucketLogging",
}

# Off-site targets live in another cloud (not CAM): listing object keys and times is read, contents never are.
OFFSITE_READ_OPERATIONS: frozenset[str] = frozenset({
    "HeadBucket", "GetBucketVersioning", "GetObjectLockConfiguration", "GetBucketLifecycleConfiguration",
    "ListObjectsV2",
})


def is_read_action(service: str, action: str) -> bool:
    """True when an API 3.0 action is on the read-only list."""
    return action in API_READ_ACTIONS.get(service, ())


def is_read_operation(target: str, operation: str) -> bool:
    """True when a boto3 operation may be sent to a COS bucket (`target` "cos") or an off-site one ("offsite")."""
    if target == "cos":
        return operation in COS_READ_OPERATIONS
    if target == "offsite":
        return operation in OFFSITE_READ_OPERATIONS
    return False


def cam_actions() -> list[str]:
    """Every CAM action name the auditor needs, `name/<service>:<Action>`, sorted and without repeats."""
    names = {f"name/{service}:{action}" for service, actions in API_READ_ACTIONS.items() for action in actions}
    names.update(f"name/cos:{action}" for action in COS_READ_OPERATIONS.values())
    return sorted(names)


def auditor_policy() -> dict[str, Any]:
    """The least-privilege CAM policy (syntax 2.0) that lets dr-audit read everything it judges, and nothing else."""
    return {"version": "2.0", "statement": [{"effect": "allow", "action": cam_actions(), "resource": ["*"]}]}


def auditor_policy_json() -> str:
    return json.dumps(auditor_policy(), indent=2) + "\n"
