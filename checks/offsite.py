"""Off-site cold copies (W2.1): every protected COS bucket has a recent, versioned, locked, cold copy in another cloud.

The copies are the pack's `scope.offsite_targets` (source bucket -> S3-compatible bucket elsewhere). A protected
bucket with no configured target fails: the promise is a copy outside Tencent Cloud, and nobody said where it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import Field

from dr_audit.api import EVIDENCE_SOURCES, Bucket, CheckParams, Estate, OffsiteCopy, Result, Scope, check

COLD_NAMES = "GLACIER or DEEP_ARCHIVE"


class OffsiteCopyParams(CheckParams):
    rpo_hours: float = Field(26, gt=0)  # the newest object of the copy must be younger than this
    max_days_to_cold: int = Field(30, ge=0)  # a lifecycle transition to a cold class must happen within this
    min_retention_days: int = Field(1, ge=1)  # default object-lock retention of the copy
    # GOVERNANCE retention can be bypassed by anyone holding s3:BypassGovernanceRetention, which is exactly the
    # kind of over-privileged operator the promise guards against.
    allow_governance: bool = False


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def copy_problems(copy: OffsiteCopy, params: OffsiteCopyParams, now: datetime) -> tuple[list[str], list[str]]:
    """(what is wrong with the copy, what could not be read). A known problem is a FAIL even beside unknowns."""
    problems: list[str] = []
    unknown: list[str] = []
    if reason := copy.unknown("versioning"):
        unknown.append(reason)
    elif copy.versioning != "Enabled":
        problems.append(f"versioning is {copy.versioning or 'not enabled'}")

    lock = copy.object_lock
    if reason := copy.unknown("object_lock"):
        unknown.append(reason)
    elif lock is None or not lock.enabled:
        problems.append("object lock is not enabled")
    elif not lock.mode:
        problems.append("object lock has no default retention")
    elif lock.mode.upper() != "COMPLIANCE" and not (params.allow_governance and lock.mode.upper() == "GOVERNANCE"):
        problems.append(f"object lock mode is {lock.mode}, not COMPLIANCE")
    elif lock.retention_days < params.min_retention_days:
        problems.append(f"object lock keeps objects only {lock.retention_days} days (need {params.min_retention_days})")

    cold, cold_unknown = is_cold_copy(copy, params.max_days_to_cold)
    if not cold:
        if cold_unknown:
            unknown.extend(cold_unknown)
        else:
            problems.append(f"nothing makes its objects {COLD_NAMES}")

    if reason := copy.unknown("newest_object_at"):
        unknown.append(reason)
    elif copy.newest_object_at is None:
        problems.append("it holds no object")
    elif (age := now - aware(copy.newest_object_at)) < -timedelta(hours=1):
        # Dated after the collection: not an observation (a clock or unit misread), so it proves no freshness.
        unknown.append(f"its newest object is dated {copy.newest_object_at.isoformat()}, after the collection")
    elif age > timedelta(hours=params.rpo_hours):
        problems.append(f"its newest object is {age.total_seconds() / 3600:.1f} h old (RPO {params.rpo_hours:g} h)")
    return problems, unknown


def is_cold_copy(copy: OffsiteCopy, max_days: int) -> tuple[bool, list[str]]:
    """Cold when an enabled whole-bucket lifecycle rule moves objects to a cold class in time, or the newest
    object is already in one. Either route suffices, so an unreadable one matters only if the other fails."""
    unknown = []
    if reason := copy.unknown("lifecycle"):
        unknown.append(reason)
    else:
        for rule in copy.lifecycle:
            if not rule.enabled or rule.prefix:
                continue
            for t in [*rule.transitions, *rule.noncurrent_transitions]:
                if t.cold and (t.days is None or t.days <= max_days):
                    return True, []
    if reason := copy.unknown("newest_object_storage_class"):
        unknown.append(reason)
    else:
        storage_class = (copy.newest_object_storage_class or "").upper()
        if storage_class in {"GLACIER", "DEEP_ARCHIVE", "ARCHIVE"}:
            return True, []
    return False, unknown


def copies_of(estate: Estate, scope: Scope, bucket: Bucket) -> list[tuple[str, OffsiteCopy | None, str | None]]:
    """(target name, the copy read from it or None, why the target could not be read) per configured target."""
    found = []
    for target in scope.offsite_targets:
        if target.source_bucket != bucket.name:
            continue
        account = f"offsite:{target.name}"
        gap = next((g for g in estate.gaps_for("offsite") if g.account == account), None)
        copy = next((c for c in estate.offsite.copies if c.target == target.name and c.bucket == target.bucket), None)
        label = f"{target.name}/{target.bucket}"
        found.append((label, copy, gap.describe() if gap is not None else None))
    return found


@check(
    id="offsite_cold_copy",
    promise="W2.1",
    severity="high",
    title="Every protected COS bucket has a recent, versioned, locked, cold copy in another cloud",
    remediation="Configure an off-site target for the bucket in the pack (scope.offsite_targets) and keep a copy "
    "there: a versioned bucket created with object lock (COMPLIANCE, at least {min_retention_days} days), a "
    "lifecycle rule to GLACIER or DEEP_ARCHIVE within {max_days_to_cold} days, and a sync job that runs more "
    "often than every {rpo_hours} hours.",
    requires=("offsite", "cos"),
    sources=EVIDENCE_SOURCES,
    risk="If the Tencent Cloud account itself is lost or wiped, there is no copy anywhere else to restore from.",
)
def offsite_cold_copy(estate: Estate, params: OffsiteCopyParams) -> Iterator[Result]:
    roles = estate.cos.roles(params.scope, estate.cloudaudit.tracks)
    for bucket, why in roles.undetermined:
        yield Result.error(bucket, why)
    now = aware(estate.collected_at)
    for bucket in roles.protected:
        targets = copies_of(estate, params.scope, bucket)
        if not targets:
            yield Result.fail(bucket, "no off-site target is configured for it (scope.offsite_targets)")
            continue
        problems: list[str] = []
        unknown: list[str] = []
        evidence: dict[str, Any] = {"targets": [label for label, _, _ in targets]}
        for label, copy, unreadable in targets:
            if unreadable:
                unknown.append(f"{label}: {unreadable}")
            elif copy is None:
                problems.append(f"{label}: the copy does not exist")
            elif reason := copy.unknown("bucket"):
                unknown.append(f"{label}: {reason}")
            else:
                failed, unread = copy_problems(copy, params, now)
                problems += [f"{label}: {p}" for p in failed]
                unknown += [f"{label}: {u}" for u in unread]
                if copy.newest_object_at is not None:
                    evidence[f"{label} newest_object_at"] = aware(copy.newest_object_at).isoformat()
        if problems:
            yield Result.fail(bucket, "; ".join(problems), **evidence)
        elif unknown:
            yield Result.error(bucket, "; ".join(unknown), **evidence)
        else:
            yield Result.ok(bucket, f"copied to {', '.join(evidence['targets'])}", **evidence)
