"""Drills (W2.5): monthly and quarterly recovery drills happen, are signed off, and meet their objectives.

The evidence is the history store's drill records. A drill counts only once it is signed off: an unsigned drill
is work in progress, not proof. A quarterly drill exercises at least what a monthly one does, so by default it also
satisfies the monthly cadence (`quarterly_counts_as_monthly`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import NamedTuple

from pydantic import Field

from dr_audit.api import EVIDENCE_SOURCES, CheckParams, DrillRecord, Estate, Result, account_ref, check

# A drill dated this far after collection is not an observation; it cannot prove the cadence.
FUTURE_TOLERANCE = timedelta(hours=1)


def accounts_of(estate: Estate) -> list[str]:
    return estate.accounts or sorted({r.account for r in estate.drills.records})


class Problem(NamedTuple):
    record: DrillRecord
    reason: str


def signed_records(estate: Estate, account: str) -> tuple[list[DrillRecord], list[DrillRecord], list[Problem]]:
    """(signed, unsigned, unreadable) drills of the account; only signed, dated drills are evidence."""
    signed: list[DrillRecord] = []
    unsigned: list[DrillRecord] = []
    problems: list[Problem] = []
    for record in estate.drills.records:
        # A drill that could not be read may not even say its account: it may be any account's latest drill.
        if record.account != account and not (record.account == "" and record.unreadable):
            continue
        if reason := record.unknown("signed_off_at", "started_at", "kind"):
            problems.append(Problem(record, f"drill {record.drill_id}: {reason}"))
        elif not _aware(record.started_at) or (record.signed_off_at and not _aware(record.signed_off_at)):
            problems.append(Problem(record, f"drill {record.drill_id}: its times carry no time zone"))
        elif record.signed_off:
            signed.append(record)
        else:
            unsigned.append(record)
    return signed, unsigned, problems


def _aware(moment: datetime) -> bool:
    return moment.tzinfo is not None and moment.utcoffset() is not None


def _age_days(record: DrillRecord, now: datetime) -> float:
    return (now - record.started_at).total_seconds() / 86400


class MonthlyCadenceParams(CheckParams):
    max_age_days: int = Field(31, ge=1)
    quarterly_counts_as_monthly: bool = True


class QuarterlyCadenceParams(CheckParams):
    max_age_days: int = Field(92, ge=1)


def _cadence(estate: Estate, kinds: set[str], label: str, max_age_days: int) -> Iterator[Result]:
    now = estate.collected_at
    for account in accounts_of(estate):
        ref = account_ref(account)
        signed, unsigned, problems = signed_records(estate, account)
        future = {r.drill_id for r in signed if (r.started_at - now) > FUTURE_TOLERANCE}
        counted = [r for r in signed if r.kind in kinds and r.drill_id not in future]
        recent = [r for r in counted if _age_days(r, now) <= max_age_days]
        evidence = {"max_age_days": max_age_days, "unsigned_drills": sorted(r.drill_id for r in unsigned)}
        if recent:
            latest = max(recent, key=lambda r: r.started_at)
            yield Result.ok(ref, f"{latest.kind} drill {latest.drill_id} signed off, started "
                            f"{_age_days(latest, now):.0f} days ago", drill=latest.drill_id,
                            approvers=latest.approvers, **evidence)
        elif problems:
            yield Result.error(ref, problems[0].reason, **evidence)
        else:
            parts = [f"no signed-off {label} drill in the last {max_age_days} days"]
            if counted:
                latest = max(counted, key=lambda r: r.started_at)
                parts.append(f"the last one ({latest.drill_id}) started {_age_days(latest, now):.0f} days ago")
                evidence["last_drill"] = latest.drill_id
            elif not signed:
                parts.append("no drill has ever been signed off")
            if unsigned:
                parts.append(f"{len(unsigned)} drill(s) await sign-off")
            if future:
                parts.append(f"{len(future)} drill(s) are dated after the collection")
            yield Result.fail(ref, "; ".join(parts), **evidence)


@check(
    id="drill_monthly_cadence",
    promise="W2.5",
    severity="high",
    title="A signed-off monthly drill took place within the last month",
    remediation="Run the monthly recovery drill and have its approvers sign it off (dr-audit drill init --kind "
    "monthly; drill start; drill record; drill sign); one must start within every {max_age_days} days.",
    requires=("drills",),
    sources=EVIDENCE_SOURCES,
    risk="Backups and replicas that are never restored in a drill fail when they are needed: the week-long "
    "recovery of 2020 is what an unpractised restore looks like.",
)
def monthly_cadence(estate: Estate, params: MonthlyCadenceParams) -> Iterator[Result]:
    kinds = {"monthly", "quarterly"} if params.quarterly_counts_as_monthly else {"monthly"}
    yield from _cadence(estate, kinds, "monthly", params.max_age_days)


@check(
    id="drill_quarterly_cadence",
    promise="W2.5",
    severity="high",
    title="A signed-off quarterly drill took place within the last quarter",
    remediation="Run the quarterly drill (a full regional failover and restore) and have its approvers sign it "
    "off (dr-audit drill init --kind quarterly); one must start within every {max_age_days} days.",
    requires=("drills",),
    sources=EVIDENCE_SOURCES,
    risk="Only a full failover proves that the standby region can carry production within the promised RTO.",
)
def quarterly_cadence(estate: Estate, params: QuarterlyCadenceParams) -> Iterator[Result]:
    yield from _cadence(estate, {"quarterly"}, "quarterly", params.max_age_days)


class ObjectivesParams(CheckParams):
    pass


@check(
    id="drill_objectives_met",
    promise="W2.5",
    severity="high",
    title="The latest signed-off drill met its RTO and RPO targets",
    remediation="Find what made the drill miss its targets (slow restore, stale copies, missing runbook steps), "
    "fix it and run the drill again; a drill must record its RTO and RPO targets and the measured values.",
    requires=("drills",),
    sources=EVIDENCE_SOURCES,
    risk="A drill that took longer or lost more data than promised shows the real recovery would too.",
)
def objectives_met(estate: Estate, params: ObjectivesParams) -> Iterator[Result]:
    for account in accounts_of(estate):
        signed, unsigned, problems = signed_records(estate, account)
        latest = max(signed, key=lambda r: r.started_at) if signed else None
        # A record that could not be read may be the latest drill, unless it is known to be older.
        blocking = [p for p in problems if latest is None or not _known_older(p.record, latest)]
        if blocking:
            yield Result.error(account_ref(account), blocking[0].reason)
        elif latest is None:
            yield Result.fail(account_ref(account), "no signed-off drill exists to show RTO and RPO are met",
                              unsigned_drills=sorted(r.drill_id for r in unsigned))
        else:
            yield _judge_objectives(latest)


def _known_older(record: DrillRecord, than: DrillRecord) -> bool:
    if record.unknown("started_at") or not _aware(record.started_at):
        return False
    return record.started_at < than.started_at


def _judge_objectives(drill: DrillRecord) -> Result:
    fields = ("rto_target_minutes", "rpo_target_minutes", "rto_measured_minutes", "rpo_measured_minutes")
    # Which steps failed decides too: a snapshot without that list cannot show the drill succeeded.
    if reason := drill.unknown(*fields, "failed_steps"):
        return Result.error(drill, reason)
    evidence = {name: getattr(drill, name) for name in fields} | {"kind": drill.kind}
    problems = []
    if drill.failed_steps:
        # Measured times mean little when the steps that produced them failed: the drill did not succeed.
        problems.append(f"signed off with failed steps: {', '.join(drill.failed_steps)}")
        evidence["failed_steps"] = drill.failed_steps
    # A drill that did not set or measure an objective has not shown it is met: fail closed.
    missing = [name for name in fields if getattr(drill, name) is None]
    if missing:
        names = ", ".join(n.removesuffix("_minutes").replace("_", " ") for n in missing)
        problems.append(f"signed off without {names}")
    else:
        for objective in ("rto", "rpo"):
            measured = getattr(drill, f"{objective}_measured_minutes")
            target = getattr(drill, f"{objective}_target_minutes")
            if measured > target:
                problems.append(f"{objective.upper()} {measured:g} min exceeds the target {target:g} min")
    if problems:
        return Result.fail(drill, "; ".join(problems), **evidence)
    return Result.ok(drill, f"RTO {drill.rto_measured_minutes:g}/{drill.rto_target_minutes:g} min, "
                     f"RPO {drill.rpo_measured_minutes:g}/{drill.rpo_target_minutes:g} min", **evidence)
