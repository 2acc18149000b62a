"""CloudAudit (W1.1): every action on every resource is recorded, into storage nobody can rewrite."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dr_audit.api import AuditTrack, Bucket, CheckParams, Estate, Result, account_ref, check


class TrackingParams(CheckParams):
    pass


def records_everything(track: AuditTrack) -> list[str]:
    """Why the track does not record all actions of all resource types (empty when it does)."""
    gaps = []
    if track.status != 1:
        gaps.append(f"status {track.status} (not on)")
    if track.action_type != "*":
        gaps.append(f"records {track.action_type or 'no'} actions only")
    if track.resource_type != "*":
        gaps.append(f"covers resource type {track.resource_type or 'none'} only")
    if "*" not in track.event_names:
        gaps.append(f"records events {track.event_names} only")
    return gaps


def storage_buckets(estate: Estate, track: AuditTrack) -> list[Bucket]:
    """CloudAudit names the bucket without its APPID: `<StorageName>-<APPID>` in StorageRegion."""
    name = re.compile(re.escape(track.storage_name or "") + r"(-\d+)?")  # tolerate a name given with its APPID
    return [b for b in estate.cos.buckets
            if b.account == track.account and b.region == track.storage_region and name.fullmatch(b.name)]


def judge_storage(estate: Estate, track: AuditTrack) -> tuple[bool | None, str]:
    """(True, bucket) when the track's COS bucket is versioned and COMPLIANCE-locked; (False|None, why) otherwise."""
    if track.storage_type != "cos":
        return False, f"stores into {track.storage_type or 'nothing'}, not a COS bucket"
    buckets = storage_buckets(estate, track)
    if not buckets:
        if any(g.covers(track.account, track.storage_region or "") for g in estate.gaps_for("cos")):
            return None, f"COS in {track.storage_region} could not be read"
        return False, f"its bucket {track.storage_name}-<APPID> was not found in {track.storage_region}"
    bucket = buckets[0]
    if reason := bucket.unknown("versioning", "object_lock"):
        return None, f"bucket {bucket.name}: {reason}"
    problems = []
    if bucket.versioning != "Enabled":
        problems.append(f"versioning is {bucket.versioning or 'off'}")
    lock = bucket.object_lock
    if lock is None or not lock.enabled or (lock.mode or "").upper() != "COMPLIANCE":
        problems.append("no COMPLIANCE object lock")
    if problems:
        return False, f"bucket {bucket.name}: {', '.join(problems)}"
    return True, bucket.name


@check(
    id="cloudaudit_tracking_enabled",
    promise="W1.1",
    severity="high",
    title="An active CloudAudit track records all actions on all resources into a versioned, object-locked bucket",
    remediation="Create or edit a CloudAudit track with status on, action type All, resource type All and all "
    "events, delivering to a COS bucket with versioning Enabled and a COMPLIANCE object lock (console: "
    "CloudAudit > Tracking sets; tccli cloudaudit CreateAuditTrack / ModifyAuditTrack).",
    requires=("cloudaudit", "cos"),
    risk="Without a complete, tamper-proof record, nobody can tell who destroyed what, or prove it.",
)
def tracking_enabled(estate: Estate, params: TrackingParams) -> Iterator[Result]:
    for account in estate.accounts:
        tracks = [t for t in estate.cloudaudit.tracks if t.account == account]
        shortfalls: list[str] = []
        unknowns: list[str] = []
        passed: str | None = None
        for track in tracks:
            label = track.resource_id
            if reason := track.unknown("status", "action_type", "resource_type", "event_names", "storage_type",
                                       "storage_name", "storage_region"):
                unknowns.append(f"track {label}: {reason}")
                continue
            if gaps := records_everything(track):
                shortfalls.append(f"track {label}: {', '.join(gaps)}")
                continue
            stored, detail = judge_storage(estate, track)
            if stored:
                passed = f"track {label} into {detail}"
                break
            (unknowns if stored is None else shortfalls).append(f"track {label}: {detail}")
        ref = account_ref(account)
        if passed:
            yield Result.ok(ref, passed)
        elif unknowns:
            yield Result.error(ref, "; ".join(unknowns + shortfalls))
        elif not tracks:
            yield Result.fail(ref, "no CloudAudit track exists", tracks=0)
        else:
            yield Result.fail(ref, "; ".join(shortfalls), tracks=len(tracks))
