"""Drill records as the history store holds them: what the drill_* checks judge."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from ..fields import new_list
from .base import TIMESTAMP, Model, Plausible, Resource

# An RTO or RPO beyond a year of minutes is not a drill's measurement or target.
MINUTES = Plausible(0, 366 * 24 * 60)


class DrillRecord(Resource):
    """A drill. Only signed-off drills are evidence. `unreadable` keys the checks consult: "kind", "started_at",
    "signed_off_at" and the four RTO/RPO fields (e.g. a record whose signature chain does not verify)."""

    RESOURCE_TYPE = "drill"

    drill_id: str
    kind: Literal["monthly", "quarterly"]
    started_at: Annotated[datetime, TIMESTAMP]
    finished_at: Annotated[datetime | None, TIMESTAMP] = None
    # When the last required approver signed; None until complete.
    signed_off_at: Annotated[datetime | None, TIMESTAMP] = None
    approvers: list[str] = Field(default_factory=new_list)
    # Steps recorded as failed when the drill was signed off: a drill signed off with failures did not succeed.
    failed_steps: list[str] = Field(default_factory=new_list)
    rto_target_minutes: Annotated[float | None, MINUTES] = None
    rpo_target_minutes: Annotated[float | None, MINUTES] = None
    rto_measured_minutes: Annotated[float | None, MINUTES] = None
    rpo_measured_minutes: Annotated[float | None, MINUTES] = None

    @property
    def resource_id(self) -> str:
        return self.drill_id

    @property
    def signed_off(self) -> bool:
        return self.signed_off_at is not None


class DrillState(Model):
    records: list[DrillRecord] = Field(default_factory=new_list)
