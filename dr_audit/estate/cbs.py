"""CBS: disks, scheduled snapshot policies and their bindings, and snapshots."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from ..fields import new_dict, new_list
from .base import DAYS, TIMESTAMP, Model, Plausible, Resource
from .index import Indexed

if TYPE_CHECKING:
    from ..scope import Scope


class Disk(Resource):
    """A CBS disk. `unreadable` keys the checks consult: "policy_ids" (bindings), "tags", and "snapshots" (the
    disk's snapshots could not be listed although the disk could)."""

    RESOURCE_TYPE = "cbs.disk"

    disk_id: str
    usage: str = "DATA_DISK"  # SYSTEM_DISK / DATA_DISK
    instance_id: str | None = None
    attached: bool = False
    zone: str = ""
    state: str = "ATTACHED"
    tags: dict[str, str] = Field(default_factory=new_dict)
    policy_ids: list[str] = Field(default_factory=new_list)  # bound auto-snapshot policies

    @property
    def resource_id(self) -> str:
        return self.disk_id


class SnapshotSchedule(Model):
    """One entry of AutoSnapshotPolicy.Policy[]."""

    days_of_week: Annotated[list[int], Plausible(0, 6)] = Field(default_factory=new_list)  # 0 = Sunday … 6
    days_of_month: Annotated[list[int], Plausible(1, 31)] = Field(default_factory=new_list)
    interval_days: Annotated[int | None, Plausible(1, 365)] = None  # documented range
    hours: Annotated[list[int], Plausible(0, 23)] = Field(default_factory=new_list)


class SnapshotPolicy(Resource):
    RESOURCE_TYPE = "cbs.snapshot_policy"

    policy_id: str
    name: str = ""
    activated: bool = False
    state: str = "NORMAL"  # NORMAL / ISOLATED
    schedules: list[SnapshotSchedule] = Field(default_factory=new_list)
    retention_days: Annotated[int | None, DAYS] = None
    retention_months: Annotated[int | None, Plausible(0, 1200)] = None
    # One snapshot a day at most counts, so more than a century's worth cannot be a real setting.
    retention_amount: Annotated[int | None, DAYS] = None
    advanced_retention_days: Annotated[int | None, Plausible(0, 100)] = None  # documented range
    permanent: bool = False
    disk_ids: list[str] = Field(default_factory=new_list)

    @property
    def resource_id(self) -> str:
        return self.policy_id


class Snapshot(Resource):
    """A snapshot; `created_at` is aware UTC (CreateTime is Beijing time in the API: collectors convert).

    A copy made by CopySnapshotCrossRegions sits in the destination region, keeps the source `disk_id` and has
    `copy_from_remote`; `copying_to_regions` lists copies still in flight."""

    RESOURCE_TYPE = "cbs.snapshot"

    snapshot_id: str
    disk_id: str
    created_at: Annotated[datetime, TIMESTAMP]
    state: str = "NORMAL"
    copy_from_remote: bool = False
    copying_to_regions: list[str] = Field(default_factory=new_list)
    policy_id: str | None = None

    @property
    def resource_id(self) -> str:
        return self.snapshot_id


class CbsState(Indexed):
    disks: list[Disk] = Field(default_factory=new_list)
    policies: list[SnapshotPolicy] = Field(default_factory=new_list)
    # Collectors keep the newest snapshot of each disk plus every cross-region copy, not the whole history.
    snapshots: list[Snapshot] = Field(default_factory=new_list)

    def environments(self, scope: Scope) -> list[str | None]:
        """Each disk's environment by its own tags under `scope` (`Scope.env_of`), in `disks`' order: told once for
        every check that sets prod disks apart. Whether its tags were read is the caller's to ask."""
        return self._each(f"environments {scope.environment_key()}", self.disks, lambda d: scope.env_of(d.tags))

    def policies_of(self, disk: Disk) -> list[SnapshotPolicy]:
        """The policies bound to the disk, in the order the estate lists them."""
        by_id = self._grouped("policies", self.policies, lambda p: (p.account, p.policy_id))
        found = {id(p): p for policy_id in disk.policy_ids for p in by_id.get((disk.account, policy_id), ())}
        return self._in_order("policy_positions", self.policies, list(found.values()))

    def snapshots_of(self, disk_id: str) -> list[Snapshot]:
        return list(self.snapshots_by_disk().get(disk_id, ()))

    def snapshots_by_disk(self) -> Mapping[str, Sequence[Snapshot]]:
        """Every disk's snapshots (any account or region), in the estate's order: for walks over many disks, which
        need no copy of each disk's list. Read it, never change it."""
        return self._grouped("snapshots", self.snapshots, _disk_of)

    def taken_from(self, disk: Disk) -> list[Snapshot]:
        """Snapshots taken of the disk where it lives (its account and region), in any state. A cross-region copy
        is not one: its created_at is when it was copied, later than the moment of the data it holds."""
        return next(self.taken_from_each((disk,)))[1]

    def taken_from_each(self, disks: Iterable[Disk]) -> Iterator[tuple[Disk, list[Snapshot]]]:
        """Each disk with `taken_from(disk)`, for walks over many disks: the grouping is looked up once for all."""
        by_disk = self.snapshots_by_disk()
        for disk in disks:
            yield disk, [s for s in by_disk.get(disk.disk_id, ())
                         if s.account == disk.account and s.region == disk.region and not s.copy_from_remote]

    def recovery_points_of(self, disk: Disk) -> list[Snapshot]:
        """The disk's recovery points: completed snapshots taken from it (see `taken_from`)."""
        return self.recovery_points(self.taken_from(disk))

    @staticmethod
    def recovery_points(taken_from: Iterable[Snapshot]) -> list[Snapshot]:
        """The completed ones among snapshots taken from a disk: the one definition of a recovery point, shared by
        the freshness check (which has each disk's snapshots at hand) and the drill evidence."""
        return [s for s in taken_from if s.state == "NORMAL"]


def _disk_of(snapshot: Snapshot) -> str:
    return snapshot.disk_id
