"""Scenario part: drills, as the history store would hold them.

Before the incident nothing was ever signed off: one restore test a year earlier was approved although it took
two days, and last month's drill still awaits sign-off. Hardened: a signed monthly drill ten days ago and a
signed quarterly failover forty days ago, both within their RTO and RPO targets.
"""

from __future__ import annotations

from datetime import timedelta

from ..estate import DrillRecord, Estate
from .world import ACCOUNT, World

RTO_TARGET = 240.0  # minutes
RPO_TARGET = 60.0
APPROVERS = ["li.wei (DR owner)", "zhang.min (head of operations)"]


def build(world: World, estate: Estate) -> None:
    estate.drills.records.extend(_hardened(world) if world.hardened else _before_incident(world))


def _record(world: World, drill_id: str, kind: str, days_ago: float, *, signed: bool, rto: float | None,
            rpo: float | None, duration_hours: float = 4) -> DrillRecord:
    started = world.ago(days=days_ago)
    finished = started + timedelta(hours=duration_hours)
    return DrillRecord(
        account=ACCOUNT, drill_id=drill_id, kind=kind,  # type: ignore[arg-type]
        started_at=started, finished_at=finished,
        signed_off_at=finished + timedelta(days=1) if signed else None,
        approvers=list(APPROVERS) if signed else [],
        rto_target_minutes=RTO_TARGET, rpo_target_minutes=RPO_TARGET,
        rto_measured_minutes=rto, rpo_measured_minutes=rpo,
    )


def _before_incident(world: World) -> list[DrillRecord]:
    return [
        _record(world, "drill-2025-q4-restore", "quarterly", 400, signed=True, rto=2880, rpo=1440,
                duration_hours=48),
        _record(world, "drill-2026-10-monthly", "monthly", 20, signed=False, rto=None, rpo=None),
    ]


def _hardened(world: World) -> list[DrillRecord]:
    return [
        _record(world, "drill-quarterly-failover", "quarterly", 40, signed=True, rto=185, rpo=12, duration_hours=6),
        _record(world, "drill-monthly-restore", "monthly", 10, signed=True, rto=95, rpo=8),
    ]
