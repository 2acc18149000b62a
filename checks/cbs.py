"""CBS snapshots (W2.3, W2.1): every CVM disk is snapshotted daily, recently, and prod copies leave the region."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from dr_audit.api import CheckParams, Disk, Estate, Result, SnapshotPolicy, check


class DailySnapshotParams(CheckParams):
    min_retention_days: int = Field(7, ge=1)


def runs_daily(policy: SnapshotPolicy) -> bool:
    return any(
        set(range(7)) <= set(s.days_of_week) or s.interval_days == 1 for s in policy.schedules
    )


def retention_days(policy: SnapshotPolicy) -> float:
    """How many days of daily snapshots the policy keeps (a permanent policy keeps them forever)."""
    if policy.permanent:
        return float("inf")
    candidates = [
        policy.retention_days or 0,
        (policy.retention_months or 0) * 30,
        policy.advanced_retention_days or 0,
        policy.retention_amount or 0,  # one snapshot a day
    ]
    return float(max(candidates))


def cvm_disks(estate: Estate) -> Iterator[Disk]:
    """Disks attached to a CVM instance: the ones the promise is about."""
    return (d for d in estate.cbs.disks if d.instance_id)


@check(
    id="cbs_daily_snapshot_policy",
    promise="W2.3",
    severity="high",
    title="Every CVM disk is bound to an activated scheduled snapshot policy that runs daily and keeps enough days",
    remediation="Bind the disk to an activated, normal scheduled snapshot policy that runs every day and keeps at "
    "least {min_retention_days} days (console: CBS > Snapshots > Scheduled snapshot policies; "
    "tccli cbs BindAutoSnapshotPolicy).",
    requires=("cbs",),
    risk="A host lost or wiped without a recent snapshot loses everything written since the last one.",
)
def daily_snapshot_policy(estate: Estate, params: DailySnapshotParams) -> Iterator[Result]:
    for disk in cvm_disks(estate):
        if reason := disk.unknown("policy_ids"):
            yield Result.error(disk, reason)
            continue
        policies = estate.cbs.policies_of(disk)
        if missing := set(disk.policy_ids) - {p.policy_id for p in policies}:
            yield Result.error(disk, f"bound policy {', '.join(sorted(missing))} could not be read")
            continue
        usable = [p for p in policies if p.activated and p.state == "NORMAL" and runs_daily(p)]
        if not policies:
            yield Result.fail(disk, "no scheduled snapshot policy is bound", instance=disk.instance_id)
        elif not usable:
            yield Result.fail(disk, "no bound policy is activated, normal and daily",
                              policies=[p.policy_id for p in policies])
        elif (kept := max(retention_days(p) for p in usable)) < params.min_retention_days:
            yield Result.fail(disk, f"daily policy keeps only {kept:g} days (need {params.min_retention_days})",
                              policies=[p.policy_id for p in usable])
        else:
            yield Result.ok(disk, policies=[p.policy_id for p in usable])
