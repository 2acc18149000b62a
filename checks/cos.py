"""COS buckets (W2.4, W1.2): primary data is versioned, replicated to other regions and never expired; its copies
are versioned, locked and cold; and no bucket is open to the public.

Which buckets are "protected" (primary data) and which are "backup" (copies) follows DESIGN.md §4 and the pack's
scope (`estate.cos.roles`). A bucket whose role cannot be decided is an ERROR in every role-based check.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from pydantic import Field

from dr_audit.api import (
    Bucket,
    BucketRoles,
    CheckParams,
    Estate,
    ReplicationRule,
    ResourceRef,
    Result,
    Transition,
    cam_policy,
    check,
)

COLD_NAMES = "ARCHIVE or DEEP_ARCHIVE (S3: GLACIER or DEEP_ARCHIVE)"


def bucket_roles(estate: Estate, params: CheckParams) -> BucketRoles:
    """Protected and backup buckets under the pack's scope; CloudAudit storage buckets count as log targets."""
    return estate.cos.roles(params.scope, estate.cloudaudit.tracks)


def undetermined_errors(roles: BucketRoles) -> Iterator[Result]:
    for bucket, reason in roles.undetermined:
        yield Result.error(bucket, reason)


def unmapped_errors(roles: BucketRoles) -> Iterator[Result]:
    """Backup buckets fed by a bucket whose replication is unreadable are unknown: say so rather than pass."""
    for source in roles.unmapped_sources:
        reason = source.unknown("replication")
        yield Result.error(source, f"the backup buckets it replicates into are unknown: {reason}")


# --- versioning ---------------------------------------------------------------------------------------------------


class VersioningParams(CheckParams):
    pass


@check(
    id="cos_versioning_enabled",
    promise="W2.4",
    severity="high",
    title="Protected and backup/replica COS buckets keep every version of every object",
    remediation="Enable versioning on the bucket (console: COS > bucket > Fault Tolerance & Disaster Recovery > "
    "Versioning; tccli cos PutBucketVersioning Status=Enabled). Versioning cannot be turned off again, only "
    "suspended: keep it Enabled.",
    requires=("cos",),
    risk="Without versioning an overwrite or a delete destroys the only copy of an object; replication also needs it.",
)
def versioning_enabled(estate: Estate, params: VersioningParams) -> Iterator[Result]:
    roles = bucket_roles(estate, params)
    yield from undetermined_errors(roles)
    judged = [(b, "protected") for b in roles.protected] + [(b, "backup") for b in roles.backup]
    for bucket, role in judged:
        if reason := bucket.unknown("versioning"):
            yield Result.error(bucket, reason, role=role)
        elif bucket.versioning == "Enabled":
            yield Result.ok(bucket, role=role, versioning="Enabled")
        elif bucket.versioning is None:
            yield Result.fail(bucket, f"versioning was never enabled on this {role} bucket", role=role, versioning=None)
        else:
            yield Result.fail(bucket, f"versioning is {bucket.versioning} on this {role} bucket: overwrites and "
                              "deletes destroy data", role=role, versioning=bucket.versioning)


# --- cross-region replication -------------------------------------------------------------------------------------


class ReplicationParams(CheckParams):
    # Distinct regions that must hold the data, counting the source bucket's own region: 2 = one copy elsewhere.
    min_regions: int = Field(2, ge=2)
    # Regions that must each hold the data (the source's region counts). Added to the scope's required_regions when
    # use_scope_required_regions is true; both empty = any regions will do, as long as there are min_regions.
    required_regions: list[str] = Field(default_factory=list)
    use_scope_required_regions: bool = False

    def regions_required(self) -> list[str]:
        extra = self.scope.required_regions if self.use_scope_required_regions else []
        return sorted({*self.required_regions, *extra})


def whole_bucket_rules(bucket: Bucket) -> list[ReplicationRule]:
    """Enabled rules that replicate every object (an empty prefix): only those make the bucket's data safe."""
    rules = bucket.replication.rules if bucket.replication else []
    return [r for r in rules if r.enabled and r.prefix == ""]


def describe_rule(rule: ReplicationRule) -> str:
    state = "enabled" if rule.enabled else "disabled"
    scope = f"prefix {rule.prefix!r}" if rule.prefix else "whole bucket"
    return f"{rule.id or '(no id)'}: {state}, {scope}, to {rule.destination_bucket} in {rule.destination_region}"


@check(
    id="cos_cross_region_replication",
    promise="W2.4",
    severity="high",
    title="Protected COS buckets replicate all their objects to buckets in other regions",
    remediation="Add an enabled cross-region replication rule with an empty prefix (the whole bucket) to a "
    "versioned bucket in another region, until the copies cover at least {min_regions} distinct regions counting "
    "the source, including every region the pack requires (console: COS > bucket > Fault Tolerance & Disaster "
    "Recovery > Cross-Bucket Replication; tccli cos PutBucketReplication).",
    requires=("cos",),
    risk="A region-wide outage, or a wipe of the primary region, leaves no copy of the data anywhere else.",
)
def cross_region_replication(estate: Estate, params: ReplicationParams) -> Iterator[Result]:
    roles = bucket_roles(estate, params)
    yield from undetermined_errors(roles)
    required = params.regions_required()
    for bucket in roles.protected:
        if reason := bucket.unknown("replication", "region"):
            yield Result.error(bucket, reason)
            continue
        rules = bucket.replication.rules if bucket.replication else []
        whole = whole_bucket_rules(bucket)
        regions = sorted({bucket.region, *(r.destination_region for r in whole if r.destination_region)})
        missing = [r for r in required if r not in regions]
        evidence: dict[str, Any] = {"regions": regions, "destinations": sorted(r.destination_bucket for r in whole),
                                    "rules": [describe_rule(r) for r in rules]}
        problems = []
        if not rules:
            problems.append("no replication is configured")
        elif not whole:
            problems.append("no enabled replication rule covers the whole bucket")
        if len(regions) < params.min_regions:
            problems.append(f"the data is in only {len(regions)} region(s) ({', '.join(regions)}); "
                            f"need {params.min_regions} distinct regions counting the source")
        if missing:
            problems.append(f"no copy in required region(s) {', '.join(missing)}")
        if problems:
            yield Result.fail(bucket, "; ".join(problems), **evidence)
        else:
            yield Result.ok(bucket, f"data held in {', '.join(regions)}", **evidence)


# --- replica health -----------------------------------------------------------------------------------------------


class ReplicaHealthParams(CheckParams):
    pass


@check(
    id="cos_replica_healthy",
    promise="W2.4",
    severity="high",
    title="Every COS replication destination exists, is in another region than its source, and is versioned",
    remediation="Point each replication rule at an existing, versioned bucket in another region than its source "
    "(create it and enable versioning first, then edit the rule: tccli cos PutBucketReplication). A destination "
    "in another account is verified only when that account is audited too (add its role with --role-arn).",
    requires=("cos",),
    risk="Replication into a missing, same-region or unversioned bucket gives a copy that is not there when needed.",
)
def replica_healthy(estate: Estate, params: ReplicaHealthParams) -> Iterator[Result]:
    feeds: dict[str, list[tuple[Bucket, ReplicationRule]]] = defaultdict(list)
    for source in estate.cos.buckets:
        if reason := source.unknown("replication"):
            yield Result.error(source, f"its replication destinations are unknown: {reason}")
            continue
        for rule in source.replication.rules if source.replication else []:
            if rule.enabled:
                feeds[rule.destination_bucket].append((source, rule))
    audited_appids = estate.cos.appids()
    for name, fed_by in sorted(feeds.items()):
        sources = sorted({source.name for source, _ in fed_by})
        destination = estate.cos.bucket(name)
        if destination is None:
            yield missing_destination(name, fed_by, sources, audited_appids)
            continue
        problems = []
        same_region = sorted({s.name for s, _ in fed_by if s.region == destination.region})
        if same_region:
            problems.append(f"it is in the same region ({destination.region}) as its source {', '.join(same_region)}")
        versioning_unknown = destination.unknown("versioning")
        if not versioning_unknown and destination.versioning != "Enabled":
            problems.append(f"its versioning is {destination.versioning or 'not enabled'}")
        evidence = {"sources": sources, "region": destination.region, "versioning": destination.versioning}
        if problems:
            yield Result.fail(destination, "; ".join(problems), **evidence)
        elif versioning_unknown:
            yield Result.error(destination, versioning_unknown, **evidence)
        else:
            yield Result.ok(destination, f"replica of {', '.join(sources)}", **evidence)


def missing_destination(name: str, fed_by: list[tuple[Bucket, ReplicationRule]], sources: list[str],
                        audited_appids: set[str]) -> Result:
    """A destination absent from the estate: FAIL when its account's bucket list was read, else ERROR.

    The APPID suffix says whose bucket it is. If this run listed that account's buckets, the destination does not
    exist and replication is writing nowhere. If not, it lives in an account nobody audited: we cannot tell, and
    fail closed with ERROR rather than pass a copy we never saw.
    """
    source, rule = fed_by[0]
    ref = ResourceRef(type=Bucket.RESOURCE_TYPE, id=name, region=rule.destination_region, account=source.account)
    appid = name.rpartition("-")[2]
    evidence = {"sources": sources, "region": rule.destination_region, "appid": appid}
    if appid in audited_appids:
        return Result.fail(ref, f"replication destination of {', '.join(sources)} does not exist", **evidence)
    return Result.error(ref, f"replication destination of {', '.join(sources)} is in an account this run did not "
                        f"audit (APPID {appid}); audit that account to verify it", **evidence)


# --- cold storage -------------------------------------------------------------------------------------------------


class ColdStorageParams(CheckParams):
    max_days_to_cold: int = Field(30, ge=0)  # days after which backup data must be in ARCHIVE or DEEP_ARCHIVE


def parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def reaches_cold(transition: Transition, max_days: int, today: date) -> bool:
    """A cold transition by age within max_days, or on a date that has passed (from then on, at once)."""
    if not transition.cold:
        return False
    if transition.days is not None:
        return transition.days <= max_days
    when = parse_date(transition.date)
    return when is not None and when <= today


def cold_routes(bucket: Bucket, fed_by: list[ReplicationRule], max_days: int,
                today: date) -> tuple[list[str], list[str]]:
    """(ways the bucket's data goes cold in time, near misses worth naming in a FAIL)."""
    routes: list[str] = []
    misses: list[str] = []
    if fed_by and all(rule.cold for rule in fed_by):
        routes.append(f"replicated in as {', '.join(sorted({r.storage_class or '' for r in fed_by}))}")
    elif fed_by and any(rule.cold for rule in fed_by):
        misses.append("only some replication rules into it write a cold storage class")
    for rule in [] if bucket.unknown("lifecycle") else bucket.lifecycle:  # an unknown lifecycle proves no route
        label = f"lifecycle rule {rule.id or '(no id)'}"
        for kind, transitions in (("current", rule.transitions), ("noncurrent", rule.noncurrent_transitions)):
            for t in transitions:
                when = f"after {t.days} days" if t.days is not None else f"on {t.date}"
                if not t.cold:
                    misses.append(f"{label} moves {kind} versions to {t.storage_class} {when}, which is not cold")
                    continue
                if not rule.enabled:
                    misses.append(f"{label} ({kind} to {t.storage_class}) is disabled")
                elif rule.prefix:
                    misses.append(f"{label} covers only prefix {rule.prefix!r}")
                elif reaches_cold(t, max_days, today):
                    routes.append(f"{label}: {kind} versions to {t.storage_class} {when}")
                else:
                    misses.append(f"{label} moves {kind} versions to {t.storage_class} only {when}")
    return routes, misses


@check(
    id="cos_cold_storage_tier",
    promise="W2.4",
    severity="medium",
    title="Backup and replica COS data reaches ARCHIVE or DEEP_ARCHIVE storage in time",
    remediation="Add an enabled whole-bucket lifecycle rule that transitions objects (current or noncurrent) to "
    "ARCHIVE or DEEP_ARCHIVE within {max_days_to_cold} days, or set the replication rule's storage class to "
    "ARCHIVE or DEEP_ARCHIVE (tccli cos PutBucketLifecycle).",
    requires=("cos",),
    risk="Copies kept in hot storage cost enough that they get trimmed, and the cold standby promised is missing.",
)
def cold_storage_tier(estate: Estate, params: ColdStorageParams) -> Iterator[Result]:
    roles = bucket_roles(estate, params)
    yield from undetermined_errors(roles)
    yield from unmapped_errors(roles)
    fed_by: dict[str, list[ReplicationRule]] = defaultdict(list)
    for source in estate.cos.buckets:
        for rule in source.replication.rules if source.replication else []:
            if rule.enabled:
                fed_by[rule.destination_bucket].append(rule)
    today = estate.collected_at.date()
    for bucket in roles.backup:
        routes, misses = cold_routes(bucket, fed_by[bucket.name], params.max_days_to_cold, today)
        if routes:
            yield Result.ok(bucket, routes[0], routes=routes)
        elif reason := bucket.unknown("lifecycle"):
            yield Result.error(bucket, reason)
        else:
            detail = f" ({'; '.join(misses)})" if misses else ""
            yield Result.fail(bucket, f"nothing moves its data to {COLD_NAMES} within {params.max_days_to_cold} "
                              f"days{detail}", near_misses=misses)


# --- object lock --------------------------------------------------------------------------------------------------


class ObjectLockParams(CheckParams):
    min_retention_days: int = Field(30, ge=1)


@check(
    id="cos_object_lock_enabled",
    promise="W2.4",
    severity="high",
    title="Backup and replica COS buckets lock every object in COMPLIANCE mode for long enough",
    remediation="Enable object lock with a default retention in COMPLIANCE mode of at least {min_retention_days} "
    "days (console: COS > bucket > Fault Tolerance & Disaster Recovery > Object Lock). Once on it cannot be "
    "turned off, which is the point.",
    requires=("cos",),
    risk="Anyone able to delete the primary data can also delete an unlocked copy, as happened at Weimob in 2020.",
)
def object_lock_enabled(estate: Estate, params: ObjectLockParams) -> Iterator[Result]:
    roles = bucket_roles(estate, params)
    yield from undetermined_errors(roles)
    yield from unmapped_errors(roles)
    for bucket in roles.backup:
        lock = bucket.object_lock
        if reason := bucket.unknown("object_lock"):
            yield Result.error(bucket, reason)
        elif lock is None or not lock.enabled:
            yield Result.fail(bucket, "object lock is not enabled", object_lock=None)
        elif (lock.mode or "").upper() != "COMPLIANCE":
            mode = lock.mode or "no default retention"
            yield Result.fail(bucket, f"object lock default retention is {mode}, not COMPLIANCE", mode=lock.mode)
        elif lock.retention_days < params.min_retention_days:
            yield Result.fail(bucket, f"object lock keeps objects only {lock.retention_days} days "
                              f"(need {params.min_retention_days})", retention_days=lock.retention_days)
        else:
            yield Result.ok(bucket, f"COMPLIANCE, {lock.retention_days} days", retention_days=lock.retention_days)


# --- destructive lifecycle ----------------------------------------------------------------------------------------


class LifecycleParams(CheckParams):
    min_noncurrent_days: int = Field(30, ge=1)  # noncurrent versions may be deleted only after this many days


@check(
    id="cos_no_destructive_lifecycle",
    promise="W2.4",
    severity="high",
    title="No lifecycle rule deletes protected COS data (data only grows, never shrinks)",
    remediation="Remove Expiration from the bucket's enabled lifecycle rules, and keep noncurrent versions at least "
    "{min_noncurrent_days} days (NoncurrentVersionExpiration); transitions to colder classes are fine "
    "(tccli cos PutBucketLifecycle).",
    requires=("cos",),
    risk="A lifecycle rule deletes primary data silently and on schedule, with nobody at the keyboard.",
)
def no_destructive_lifecycle(estate: Estate, params: LifecycleParams) -> Iterator[Result]:
    roles = bucket_roles(estate, params)
    yield from undetermined_errors(roles)
    for bucket in roles.protected:
        if reason := bucket.unknown("lifecycle"):
            yield Result.error(bucket, reason)
            continue
        problems = []
        for rule in bucket.lifecycle:
            if not rule.enabled:
                continue
            label = f"rule {rule.id or '(no id)'}" + (f" (prefix {rule.prefix!r})" if rule.prefix else "")
            if rule.expiration_days is not None:
                problems.append(f"{label} expires current versions after {rule.expiration_days} days")
            if rule.expiration_date is not None:
                problems.append(f"{label} expires current versions on {rule.expiration_date}")
            days = rule.noncurrent_expiration_days
            if days is not None and days < params.min_noncurrent_days:
                problems.append(f"{label} deletes noncurrent versions after {days} days "
                                f"(need at least {params.min_noncurrent_days})")
        if problems:
            yield Result.fail(bucket, "; ".join(problems), problems=problems)
        else:
            yield Result.ok(bucket, rules=len(bucket.lifecycle))


# --- public access ------------------------------------------------------------------------------------------------


class NotPublicParams(CheckParams):
    pass


# Condition keys that do not narrow WHO may call: anyone can send any Referer or User-Agent, and HTTPS is not a
# principal. A statement restricted only by these is still open to the world.
NON_RESTRICTING_CONDITION_KEYS = frozenset({
    "aws:securetransport", "qcs:securetransport", "cos:securetransport",
    "aws:referer", "qcs:referer", "cos:referer",
    "aws:useragent", "qcs:useragent", "cos:useragent",
})
# The documented ways a bucket policy names everyone: `*` (alone or as a list entry), the anyone and anonymous
# principals. Compared whole, never as substrings: `uin/anyone-backup` is one named user.
PUBLIC_PRINCIPALS = frozenset({"*", "qcs::cam::anyone:anyone", "qcs::cam::anonymous:anonymous"})


class PolicyUnreadable(ValueError):
    """A bucket policy whose shape cannot be interpreted: judged as unreadable, never as private."""


def field_of(statement: dict[str, Any], name: str) -> Any:
    """COS policies use lower-case keys (`effect`), S3 policies capitalised ones (`Effect`)."""
    for key, value in statement.items():
        if key.lower() == name:
            return value
    return None


def strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def names_anyone(principal: Any) -> bool:
    """`*`, {"AWS": "*"}, {"qcs": ["*"]}, {"qcs": ["qcs::cam::anyone:anyone"]} and the anonymous principal all mean
    the world; so does `qcs::cam::<owner>:<member>` whose owner is no particular account (a wildcard)."""
    for text in strings_in(principal):
        name = text.strip().lower()
        if name in PUBLIC_PRINCIPALS:
            return True
        parts = name.split(":")  # qcs::cam::<owner>:<member>
        owner = parts[4] if len(parts) == 6 and parts[:4] == ["qcs", "", "cam", ""] else None
        if owner is not None and ("*" in owner or owner in ("anyone", "anonymous")):
            return True
    return False


def policy_access(statement: dict[str, Any]) -> tuple[list[str], str]:
    """(the action patterns, "write" or "read"): write when any pattern could match a COS write action. NotAction
    grants every action it does not name, new ones included, so it writes unless it excludes the whole service."""
    excluded = field_of(statement, "notaction")
    if excluded is not None and field_of(statement, "action") is None:
        patterns = sorted(strings_in(excluded))
        whole = any(cam_policy.normalise_action(p) in ("*", "*:*", "cos:*") for p in patterns)
        return [f"all but {p}" for p in patterns], "read" if whole else "write"
    patterns = sorted(strings_in(field_of(statement, "action") or "*"))
    return patterns, "write" if any(cam_policy.may_write_cos(p) for p in patterns) else "read"


def restricting(condition: Any) -> bool:
    if not condition:
        return False
    if not isinstance(condition, dict):
        raise PolicyUnreadable("a condition is not a JSON object")
    keys = {key.lower() for operator in condition.values() if isinstance(operator, dict) for key in operator}
    if any(not isinstance(operator, dict) for operator in condition.values()):
        raise PolicyUnreadable("a condition operator is not a JSON object")
    return bool(keys - NON_RESTRICTING_CONDITION_KEYS)


def public_statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    """The policy's statements that let anyone in: allow, to everyone, with no condition narrowing who."""
    statements = field_of(policy, "statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        raise PolicyUnreadable("the policy has no statement list")
    # A principal may be given once for the whole document (CAM policy grammar) instead of per statement.
    shared_principal = field_of(policy, "principal")
    found = []
    for index, statement in enumerate(statements):
        if not isinstance(statement, dict):
            raise PolicyUnreadable(f"statement {index} is not a JSON object")
        if str(field_of(statement, "effect") or "").lower() != "allow":
            continue
        principal = field_of(statement, "principal")
        principal = shared_principal if principal is None else principal
        not_principal = field_of(statement, "notprincipal")
        if principal is None and not_principal is None:
            raise PolicyUnreadable(f"statement {index} names no principal, so whom it allows is unknown")
        # Allow with NotPrincipal grants everyone but the named few.
        to_anyone = not_principal is not None or names_anyone(principal)
        if to_anyone and not restricting(field_of(statement, "condition")):
            actions, access = policy_access(statement)
            found.append({"statement": index, "actions": actions, "access": access})
    return found


@check(
    id="cos_not_public",
    promise="W1.2",
    severity="high",
    title="No COS bucket is readable or writable by the public through its ACL or bucket policy",
    remediation="Set the bucket ACL to private and remove bucket-policy statements that allow anyone (principal *, "
    "qcs::cam::anyone:anyone) without a condition restricting who; serve public content through a CDN with origin "
    "authentication instead (tccli cos PutBucketAcl x-cos-acl=private; DeleteBucketPolicy).",
    requires=("cos",),
    risk="Anyone on the internet can read the data, or write and delete it.",
)
def not_public(estate: Estate, params: NotPublicParams) -> Iterator[Result]:
    for bucket in estate.cos.buckets:
        if reason := bucket.unknown("acl", "policy"):
            yield Result.error(bucket, reason)
            continue
        problems: list[str] = []
        evidence: dict[str, Any] = {}
        if bucket.acl.public_read or bucket.acl.public_write:
            access = [word for word, on in (("read", bucket.acl.public_read), ("write", bucket.acl.public_write)) if on]
            problems.append(f"its ACL is public-{'-'.join(access)}")
            evidence["acl"] = access
        if bucket.policy is not None:
            try:
                statements = public_statements(bucket.policy)
            except PolicyUnreadable as exc:
                yield Result.error(bucket, f"bucket policy could not be interpreted: {exc}")
                continue
            for found in statements:
                problems.append(f"policy statement {found['statement']} lets anyone {found['access']} "
                                f"({', '.join(found['actions'])})")
            if statements:
                evidence["policy_statements"] = statements
        if problems:
            yield Result.fail(bucket, "; ".join(problems), **evidence)
        else:
            yield Result.ok(bucket)

