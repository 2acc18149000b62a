"""Drill records as the history store holds them: what the drill_* checks judge."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from ..fields import new_list
from .base import Model, Resource


class DrillRecord(Resource):
    """A drill. Only signed-off drills are evidence. `unreadable` keys the checks consult: "kind", "started_at",
    "signed_off_at" and the four RTO/RPO fields (e.g. a record whose signature chain does not verify)."""

    RESOURCE_TYPE = "drill"

    drill_id: str
    kind: Literal["monthly", "quarterly"]
    started_at: datetime
    finished_at: datetime | None = None
    signed_off_at: datetime | None = None  # when the last required approver signed; None until complete
    approvers: list[str] = Field(default_factory=new_list)
    rto_target_minutes: float | None = None
    rpo_target_minutes: float | None = None
    rto_measured_minutes: float | None = None
    rpo_measured_minutes: float | None = None

    @property
    def resource_id(self) -> str:
        return self.drill_id

    @property
    def signed_off(self) -> bool:
        return self.signed_off_at is not None


class DrillState(Model):
    records: list[DrillRecord] = Field(default_factory=new_list)
