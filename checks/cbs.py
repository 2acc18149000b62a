"""CBS snapshots (W2.3, W2.1): every CVM disk is snapshotted daily, recently, and prod copies leave the region."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from pydantic import Field
from pydantic_core import TzInfo

from dr_audit.api import EVIDENCE_SOURCES, CheckParams, Disk, Estate, Result, Snapshot, SnapshotPolicy, check


class DailySnapshotParams(CheckParams):
    min_retention_days: int = Field(7, ge=1)


# What decides whether a bound policy keeps daily snapshots long enough.
POLICY_FIELDS = ("activated", "state", "schedules", "retention_days", "retention_months", "retention_amount",
                 "advanced_retention_days", "permanent")


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
    """Disks attached to a CVM instance (the ones the promise is about), and disks whose instance is unknown: those
    may be attached, so the checks answer ERROR for them rather than leave them out."""
    return iter([d for d in estate.cbs.disks if d.instance_id or d.unknown("instance_id")])


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
    # Disks bound to the same policies get the same verdict: judge each (account, policy ids) once.
    verdicts: dict[tuple[str, tuple[str, ...]], tuple[str, str, dict[str, Any]]] = {}
    for disk in cvm_disks(estate):
        if disk.unreadable and (reason := disk.unknown("instance_id", "policy_ids")):
            yield Result.error(disk, reason)
            continue
        if not disk.policy_ids:
            yield Result.fail(disk, "no scheduled snapshot policy is bound", instance=disk.instance_id)
            continue
        key = (disk.account, tuple(disk.policy_ids))
        if (verdict := verdicts.get(key)) is None:
            verdict = verdicts[key] = _policy_verdict(estate.cbs.policies_of(disk), disk.policy_ids, params)
        status, message, evidence = verdict
        yield _RESULTS[status](disk, message, **evidence)


_RESULTS: dict[str, Callable[..., Result]] = {"PASS": Result.ok, "FAIL": Result.fail, "ERROR": Result.error}


def _policy_verdict(policies: list[SnapshotPolicy], bound: list[str],
                    params: DailySnapshotParams) -> tuple[str, str, dict[str, Any]]:
    """(status, message, evidence) for a disk bound to `bound`, of which `policies` were read."""
    if missing := set(bound) - {p.policy_id for p in policies}:
        return "ERROR", f"bound policy {', '.join(sorted(missing))} could not be read", {}
    if unreadable := [f"policy {p.policy_id} {r}" for p in policies if (r := p.unknown(*POLICY_FIELDS))]:
        return "ERROR", unreadable[0], {}
    usable = [p for p in policies if p.activated and p.state == "NORMAL" and runs_daily(p)]
    if not usable:
        return "FAIL", "no bound policy is activated, normal and daily", {"policies": [p.policy_id for p in policies]}
    if (kept := max(retention_days(p) for p in usable)) < params.min_retention_days:
        return "FAIL", f"daily policy keeps only {kept:g} days (need {params.min_retention_days})", \
            {"policies": [p.policy_id for p in usable]}
    return "PASS", "", {"policies": [p.policy_id for p in usable]}


# A timestamp this far after collection cannot be an observation: most likely a Beijing time read as UTC the
# wrong way round. It must not count as "fresh".
FUTURE_TOLERANCE = timedelta(hours=1)


def age_at(moment: datetime, now: datetime) -> timedelta | str:
    """How old `moment` was at `now`, or why that cannot be told (no time zone, or later than the collection)."""
    zone = moment.tzinfo
    # A fixed-offset zone always has an offset: a time sharing the collection's (every parsed UTC time shares one)
    # needs no call to ask for it.
    if zone is None or ((zone is not now.tzinfo or type(zone) not in _FIXED_ZONES) and moment.utcoffset() is None):
        return f"time {moment.isoformat()} carries no time zone"
    age = now - moment
    if age < _NOT_LATER_THAN:
        return f"time {moment.isoformat()} is {-age} after the collection (time zone misread?)"
    return age if age > _NO_TIME else _NO_TIME


_NO_TIME = timedelta(0)
_NOT_LATER_THAN = -FUTURE_TOLERANCE
# The zone types whose utcoffset() never answers None: the standard library's and the one pydantic gives parsed times.
_FIXED_ZONES = frozenset({timezone, TzInfo})


def hours(age: timedelta) -> str:
    """An age as an engineer reads it: hours up to two days, days beyond."""
    total = age.total_seconds() / 3600
    return f"{total:.1f} h" if total < 48 else f"{total / 24:.1f} days"


class SnapshotFreshParams(CheckParams):
    rpo_hours: float = Field(26, gt=0)


@check(
    id="cbs_snapshot_fresh",
    promise="W2.3",
    severity="high",
    title="Every CVM disk's newest snapshot is younger than the RPO",
    remediation="Find out why the disk's scheduled snapshots stopped (policy unbound, deactivated or isolated, "
    "snapshot quota, arrears) and take a snapshot now; the newest completed snapshot must stay younger than "
    "{rpo_hours} hours (tccli cbs CreateSnapshot; CBS > Snapshots).",
    requires=("cbs",),
    sources=EVIDENCE_SOURCES,
    risk="A policy can look right while no snapshot has been taken for days; only the snapshots themselves prove "
    "the recovery point.",
)
def snapshot_fresh(estate: Estate, params: SnapshotFreshParams) -> Iterator[Result]:
    now = estate.collected_at
    rpo = timedelta(hours=params.rpo_hours)
    # A snapshot whose placement, kind, time or state is unknown may be the disk's newest: found in one pass.
    unreadable: dict[str, str] = {}
    for s in estate.cbs.snapshots:
        if s.unreadable and (r := s.unknown("account", "region", "copy_from_remote", "created_at", "state")):
            unreadable.setdefault(s.disk_id, r)
    # Not cross-region copies: a copy's CreateTime is when it was copied, later than its data's moment.
    for disk, local in estate.cbs.taken_from_each(cvm_disks(estate)):
        if disk.unreadable and (reason := disk.unknown("instance_id", "region", "snapshots")):
            yield Result.error(disk, reason)
            continue
        if reason := unreadable.get(disk.disk_id):
            yield Result.error(disk, reason)
            continue
        completed = estate.cbs.recovery_points(local)
        if not completed and local:
            # Snapshot states other than NORMAL are transient (CREATING, ROLLBACKING…); the estate keeps only the
            # newest snapshot, so an older completed one may exist unseen.
            states = ", ".join(f"{s.snapshot_id} is {s.state}" for s in local)
            yield Result.error(disk, f"no completed snapshot was collected ({states})")
            continue
        if not completed:
            yield Result.fail(disk, "has no snapshot", instance=disk.instance_id, rpo_hours=params.rpo_hours)
            continue
        newest: tuple[timedelta, Snapshot] | None = None  # the youngest, the first of equals
        for snapshot in completed:
            age_or_reason = age_at(snapshot.created_at, now)
            if isinstance(age_or_reason, str):
                yield Result.error(disk, f"snapshot {snapshot.snapshot_id}: {age_or_reason}")
                break
            if newest is None or age_or_reason < newest[0]:
                newest = (age_or_reason, snapshot)
        else:
            assert newest is not None  # completed is not empty
            age, snapshot = newest
            evidence = {"snapshot": snapshot.snapshot_id, "created_at": snapshot.created_at.isoformat(),
                        "age_hours": round(age.total_seconds() / 3600, 1), "rpo_hours": params.rpo_hours}
            if age >= rpo:
                yield Result.fail(disk, f"newest snapshot {snapshot.snapshot_id} is {hours(age)} old "
                                  f"(RPO {params.rpo_hours:g} h)", instance=disk.instance_id, **evidence)
            else:
                yield Result.ok(disk, f"newest snapshot is {hours(age)} old", **evidence)


class CrossRegionCopyParams(CheckParams):
    # A cold standby is only as good as its newest copy: one from last month restores last month's data.
    max_copy_age_hours: float = Field(48, gt=0)
    # How many other regions must hold a copy.
    min_copy_regions: int = Field(1, ge=1)
    # A copy still in flight (CopyingToRegions on a recent local snapshot) is not yet a copy; allow it only if
    # the pack says so.
    count_copies_in_progress: bool = False


def is_prod_disk(estate: Estate, disk: Disk, own_env: str | None, params: CheckParams,
                 hosts: dict[str, bool | str] | None = None) -> bool | str:
    """Whether the disk serves production (its own tags, whose environment is `own_env`, or its instance's), or
    why that cannot be told.

    `hosts` remembers each instance's answer (`is_prod_host`) across the disks of one check."""
    if own_env == "prod" and not (disk.unreadable and disk.unknown("tags")):
        return True
    if disk.unreadable and (reason := disk.unknown("instance_id")):
        return f"its instance, and so its environment, is unknown: {reason}"
    if disk.instance_id:
        host = hosts.get(disk.instance_id) if hosts is not None else None
        if host is None:
            host = is_prod_host(estate, disk.instance_id, params)
            if hosts is not None:
                hosts[disk.instance_id] = host
        if host is not False:
            return host
    if disk.unreadable and (reason := disk.unknown("tags")):
        return reason
    return False


def is_prod_host(estate: Estate, instance_id: str, params: CheckParams) -> bool | str:
    """Whether the instance serves production, or why that cannot be told."""
    instance = estate.cvm.instance(instance_id)
    if instance is None:
        return f"instance {instance_id} is not in the CVM inventory, so its environment is unknown"
    if reason := instance.unknown("tags", "name"):
        return f"instance {instance_id} {reason}"
    return params.scope.is_prod(instance.tags, instance.name)


@check(
    id="cbs_snapshot_cross_region_copy",
    promise="W2.1",
    severity="medium",
    title="Production disks' snapshots are copied to another region",
    remediation="Copy the disk's snapshots to a DR region: enable cross-region copy on its scheduled snapshot "
    "policy (IsCopyToRemote) or run tccli cbs CopySnapshotCrossRegions, so that a completed copy no older than "
    "{max_copy_age_hours} hours exists in at least {min_copy_regions} other region(s).",
    requires=("cbs", "cvm"),
    sources=EVIDENCE_SOURCES,
    risk="Snapshots stored only in the disk's own region are lost with the region or with the account's rights "
    "there; a regional outage or a deliberate purge leaves nothing to restore.",
)
def snapshot_cross_region_copy(estate: Estate, params: CrossRegionCopyParams) -> Iterator[Result]:
    now = estate.collected_at
    window = timedelta(hours=params.max_copy_age_hours)
    cbs_gaps = estate.gaps_for("cbs")
    hosts: dict[str, bool | str] = {}  # a host has several disks: tell its environment once
    # A snapshot of the disk's account whose region, time, state or copies are unknown may be the copy that counts:
    # found in one pass.
    unreadable: dict[tuple[str, str], str] = {}
    for s in estate.cbs.snapshots:
        if s.unreadable and (r := s.unknown("region", "created_at", "state", "copying_to_regions")):
            unreadable.setdefault((s.disk_id, s.account), f"snapshot {s.snapshot_id} {r}")
    by_disk = estate.cbs.snapshots_by_disk()
    for disk, own_env in zip(estate.cbs.disks, estate.cbs.environments(params.scope), strict=True):
        prod = is_prod_disk(estate, disk, own_env, params, hosts)
        if isinstance(prod, str):
            yield Result.error(disk, prod)
            continue
        if not prod:
            continue
        if disk.unreadable and (reason := disk.unknown("region", "snapshots")):
            yield Result.error(disk, reason)
            continue
        if reason := unreadable.get((disk.disk_id, disk.account)):
            yield Result.error(disk, reason)
            continue
        fresh_regions: dict[str, str] = {}  # region -> snapshot id of a completed copy inside the window
        stale: dict[str, float] = {}  # region -> age in hours of its newest (too old) copy
        problems: list[str] = []
        in_flight: dict[str, str] = {}  # region -> a recent local snapshot still being copied there
        for snap in by_disk.get(disk.disk_id, ()):
            if snap.account != disk.account or snap.state != "NORMAL":
                continue
            if snap.region == disk.region:
                # A local snapshot matters only for the copies it has in flight: most have none, and need no age.
                if snap.copying_to_regions and isinstance(age := age_at(snap.created_at, now), timedelta) \
                        and age < window:
                    for region in snap.copying_to_regions:
                        if region != disk.region:
                            in_flight.setdefault(region, snap.snapshot_id)
                continue
            age = age_at(snap.created_at, now)
            if isinstance(age, str):
                problems.append(f"copy {snap.snapshot_id} in {snap.region}: {age}")
            elif age < window:
                fresh_regions.setdefault(snap.region, snap.snapshot_id)
            else:
                stale[snap.region] = min(stale.get(snap.region, float("inf")), age.total_seconds() / 3600)
        counted = set(fresh_regions) | (set(in_flight) if params.count_copies_in_progress else set())
        evidence = {"copies": fresh_regions, "in_progress": in_flight,
                    "stale_copies_hours": {r: round(h, 1) for r, h in stale.items() if r not in fresh_regions},
                    "max_copy_age_hours": params.max_copy_age_hours}
        if len(counted) >= params.min_copy_regions:
            yield Result.ok(disk, f"copied to {', '.join(sorted(counted))}", **evidence)
            continue
        # Copies may sit in a region whose snapshots could not be read: then absence is not proven.
        unread = sorted({g.region or "every region" for g in cbs_gaps
                         if g.account == disk.account and g.region != disk.region})
        if problems:
            yield Result.error(disk, problems[0], **evidence)
        elif unread:
            yield Result.error(disk, f"no usable copy found, and snapshots in {', '.join(unread)} could not be read",
                               **evidence)
        else:
            yield Result.fail(disk, _copy_shortfall(counted, stale, in_flight, params), instance=disk.instance_id,
                              **evidence)


def _copy_shortfall(counted: set[str], stale: dict[str, float], in_flight: dict[str, str],
                    params: CrossRegionCopyParams) -> str:
    need = f"need a completed copy younger than {params.max_copy_age_hours:g} h in {params.min_copy_regions} " \
           "other region(s)"
    parts = []
    stale_only = {r: h for r, h in stale.items() if r not in counted}
    if counted:
        parts.append(f"copied only to {', '.join(sorted(counted))}")
    elif stale_only:
        parts.append("no recent copy in another region")
    else:
        parts.append("no snapshot of this disk is copied to another region")
    if stale_only:
        parts.append("newest copy " + ", ".join(f"in {r} is {hours(timedelta(hours=h))} old"
                                                for r, h in sorted(stale_only.items())))
    if in_flight and not params.count_copies_in_progress:
        parts.append(f"copy to {', '.join(sorted(in_flight))} still in progress")
    return "; ".join(parts) + f" ({need})"
