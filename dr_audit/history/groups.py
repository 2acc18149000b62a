"""The shards of a run group as the history store holds them: the newest run of each shard, checked to agree on
how many shards the group has."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import BadInput

if TYPE_CHECKING:
    from ..merge import ShardRun
    from .store import HistoryStore


def group_shards(store: HistoryStore, run_group: str) -> tuple[int, list[ShardRun]]:
    """The group's shard count and, for each shard that reported, its newest run (a shard run again replaces its
    earlier run). No run in the group, or shards that disagree on the count, is bad input."""
    from ..merge import ShardRun

    rows = store.group_runs(run_group)
    if not rows:
        raise BadInput(f"no run in run group {run_group!r} in the history store {store.location} "
                       "(runs join a group with `dr-audit run --shard I/N --run-group ID`)")
    counts = sorted({row["shard_count"] for row in rows})
    if len(counts) > 1:
        raise BadInput(f"run group {run_group!r} mixes shard counts {', '.join(map(str, counts))}: give each audit "
                       "its own --run-group")
    newest = {row["shard_index"]: row for row in rows}  # rows come oldest first
    shards = []
    for index in sorted(newest):
        run_id = newest[index]["id"]
        report = store.get_run(run_id)
        report.pop("history", None)
        shards.append(ShardRun(index=index, count=counts[0], run_id=run_id, report=report))
    return counts[0], shards
