"""The one list of cloud actions dr-audit calls, each declared for the module that calls it: every one a read.

The client factory refuses anything not declared here before a byte is sent, and `dr-audit auditor-policy` prints
exactly these actions, so the auditor's rights and its behaviour cannot drift apart. A test reads every call site
and fails on one that is not declared for its module, or on a declaration no call site uses.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Literal

# API 3.0 reads of the audit, by calling module, then service (the service is also the CAM prefix:
# name/<service>:<Action>).
AUDIT_API_READS: dict[str, dict[str, tuple[str, ...]]] = {
    "dr_audit.collect.credentials": {"sts": ("GetCallerIdentity",)},
    "dr_audit.collect.live": {"region": ("DescribeRegions",)},
    "dr_audit.collect.tencent.cam": {"cam": (
        "ListPolicies", "GetPolicy", "ListUsers", "ListGroupsForUser", "ListAttachedUserPolicies",
        "DescribeSafeAuthFlagColl", "ListAccessKeys", "DescribeSubAccounts", "GetUser", "ListGroups",
        "ListAttachedGroupPolicies", "DescribeRoleList", "ListAttachedRolePolicies", "DescribeSafeAuthFlag",
        "GetSecurityLastUsed",
    )},
    "dr_audit.collect.tencent.cvm": {"cvm": ("DescribeInstances",)},
    "dr_audit.collect.tencent.cbs": {"cbs": (
        "DescribeDisks", "DescribeDiskAssociatedAutoSnapshotPolicy", "DescribeAutoSnapshotPolicies",
        "DescribeSnapshots",
    )},
    "dr_audit.collect.tencent.vpc": {"vpc": (
        "DescribeVpcs", "DescribeSecurityGroups", "DescribeSecurityGroupPolicies", "DescribeVpcPeeringConnections",
        "DescribeCcns", "DescribeCcnAttachedInstances",
    )},
    "dr_audit.collect.tencent.cdb": {"cdb": (
        "DescribeDBInstances", "DescribeBackupConfig", "DescribeRemoteBackupConfig", "DescribeBackups",
    )},
    "dr_audit.collect.tencent.dasb": {"dasb": ("DescribeResources", "DescribeDevices", "DescribeAcls")},
    "dr_audit.collect.tencent.cloudaudit": {"cloudaudit": ("DescribeAuditTracks",)},
}

# STS AssumeRole (one per --role-arn) only exchanges credentials; it is granted only on the roles named.
ASSUME_ROLE_CALLER = "dr_audit.collect.credentials"
ASSUME_ROLE = ("sts", "AssumeRole")

# Tencent Cloud Organization (TCO) reads of `run --organization`: the organization, its units and its members. Kept
# apart from the audit's reads: they are granted (in their own statement) only by `auditor-policy --organization`.
ORGANIZATION_READS: dict[str, dict[str, tuple[str, ...]]] = {
    "dr_audit.collect.organization": {"organization": (
        "DescribeOrganization", "DescribeOrganizationNodes", "DescribeOrganizationMembers",
    )},
}
# The role TCO creates in each member account for the management account to reach it (its member-access identity
# "OrganizationAccessControlRole"); `run --organization` assumes it unless --member-role names another.
DEFAULT_MEMBER_ROLE = "OrganizationAccessControlRole"

# COS through its S3-compatible API, read by the COS collector: boto3 operation -> the CAM action that authorises it.
COS_AUDIT_OPERATIONS: dict[str, str] = {
    "ListBuckets": "GetService",
    "HeadBucket": "HeadBucket",
    "GetBucketVersioning": "GetBucketVersioning",
    "GetBucketReplication": "GetBucketReplication",
    "GetBucketLifecycleConfiguration": "GetBucketLifecycle",
    "GetObjectLockConfiguration": "GetBucketObjectLockConfiguration",
    "GetBucketAcl": "GetBucketACL",
    "GetBucketPolicy": "GetBucketPolicy",
    "GetBucketTagging": "GetBucketTagging",
    "GetBucketLogging": "GetBucketLogging",
}
COS_AUDIT_CALLER = "dr_audit.collect.s3"

# Off-site targets live in another cloud (not CAM): listing object keys and times is read, contents never are.
OFFSITE_OPERATIONS: frozenset[str] = frozenset({
    "HeadBucket", "GetBucketVersioning", "GetObjectLockConfiguration", "GetBucketLifecycleConfiguration",
    "ListObjectsV2",
})
OFFSITE_CALLER = "dr_audit.collect.s3"

# `drill start` verifies replicas by object metadata only (sizes, ETags, times), in COS and off-site alike.
DRILL_OPERATIONS: dict[str, str] = {"ListObjectsV2": "GetBucket", "HeadObject": "HeadObject"}
DRILL_CALLER = "dr_audit.drill.evidence"

ClientKind = Literal["api", "cos", "offsite", "drill"]


def api_reads() -> dict[str, frozenset[str]]:
    """Every API 3.0 action an API client may send, by service: the audit's reads and AssumeRole."""
    reads: dict[str, set[str]] = {}
    for by_service in [*AUDIT_API_READS.values(), *ORGANIZATION_READS.values()]:
        for service, actions in by_service.items():
            reads.setdefault(service, set()).update(actions)
    reads.setdefault(ASSUME_ROLE[0], set()).add(ASSUME_ROLE[1])
    return {service: frozenset(actions) for service, actions in reads.items()}


_API_READS = api_reads()


def is_read_action(service: str, action: str) -> bool:
    """True when an API 3.0 action is declared: only those leave an API client."""
    return action in _API_READS.get(service, ())


def allowed_operations(kind: ClientKind) -> frozenset[str]:
    """The boto3 operations a client of this kind may send (COS audit, off-site audit, drill)."""
    if kind == "cos":
        return frozenset(COS_AUDIT_OPERATIONS)
    if kind == "offsite":
        return OFFSITE_OPERATIONS
    if kind == "drill":
        return frozenset(DRILL_OPERATIONS)
    return frozenset()


def is_read_operation(kind: str, operation: str) -> bool:
    """True when a boto3 operation may be sent by a client of `kind` ("cos", "offsite" or "drill")."""
    return kind in ("cos", "offsite", "drill") and operation in allowed_operations(kind)  # type: ignore[arg-type]


def audit_actions() -> list[str]:
    """The CAM actions of the audit itself (`dr-audit run`): API 3.0 reads and COS reads, sorted."""
    names = {f"name/{service}:{action}" for by_service in AUDIT_API_READS.values()
             for service, actions in by_service.items() for action in actions}
    names.update(f"name/cos:{action}" for action in COS_AUDIT_OPERATIONS.values())
    return sorted(names)


def drill_actions() -> list[str]:
    """The CAM actions `drill start` adds: COS object metadata reads (listing, HEAD), never contents."""
    return sorted({f"name/cos:{action}" for action in DRILL_OPERATIONS.values()})


def organization_actions() -> list[str]:
    """The CAM actions `run --organization` adds: listing the organization, its units and members."""
    return sorted({f"name/{service}:{action}" for by_service in ORGANIZATION_READS.values()
                   for service, actions in by_service.items() for action in actions})


def member_role_arn(account: str, role_name: str) -> str:
    """The ARN of a role in one member account."""
    return f"qcs::cam::uin/{account}:roleName/{role_name}"


def cam_actions(*, drill: bool = False, assume_role: bool = False, organization: bool = False) -> list[str]:
    """Every CAM action name the auditor may need for what it is asked to do, sorted and without repeats."""
    names = set(audit_actions())
    if drill:
        names.update(drill_actions())
    if organization:
        names.update(organization_actions())
        assume_role = True
    if assume_role:
        names.add(f"name/{ASSUME_ROLE[0]}:{ASSUME_ROLE[1]}")
    return sorted(names)


def auditor_policy(role_arns: Iterable[str] = (), *, drill: bool = False,
                   member_role: str | None = None) -> dict[str, Any]:
    """The least-privilege CAM policy (syntax 2.0): the audit; the drill's metadata reads when asked for; the
    organization's reads and sts:AssumeRole on the member role (in every member, by name) when `member_role` is
    given; and sts:AssumeRole on exactly the roles named, never on `*`."""
    statements: list[dict[str, Any]] = [{"effect": "allow", "action": audit_actions(), "resource": ["*"]}]
    if drill:
        statements.append({"effect": "allow", "action": drill_actions(), "resource": ["*"]})
    if member_role is not None:
        statements.append({"effect": "allow", "action": organization_actions(), "resource": ["*"]})
        # Members are found at run time, so the account is a wildcard; the role name never is.
        statements.append({"effect": "allow", "action": [f"name/{ASSUME_ROLE[0]}:{ASSUME_ROLE[1]}"],
                           "resource": [member_role_arn("*", member_role)]})
    arns = list(dict.fromkeys(arn.strip() for arn in role_arns if arn.strip()))
    if arns:
        statements.append({"effect": "allow", "action": [f"name/{ASSUME_ROLE[0]}:{ASSUME_ROLE[1]}"],
                           "resource": arns})
    return {"version": "2.0", "statement": statements}


def auditor_policy_json(role_arns: Iterable[str] = (), *, drill: bool = False,
                        member_role: str | None = None) -> str:
    return json.dumps(auditor_policy(role_arns, drill=drill, member_role=member_role), indent=2) + "\n"
