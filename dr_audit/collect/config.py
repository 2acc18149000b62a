"""How a live collection runs (`CollectConfig`), and the parts of it a run's options decide.

A leaf of the collector: one collection (`live.py`), many accounts (`members.py`) and an organization
(`organization.py`) all take a config; it knows none of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from ..scope import OffsiteTarget
from .client import RetryPolicy
from .deadline import CALL_BUDGET, DEFAULT_RUN_TIMEOUT, READ_TIMEOUT, RunBudget
from .errors import Secrets

if TYPE_CHECKING:
    from ..options import RunOptions


@dataclass
class CollectConfig:
    """How to collect: endpoints, regions, off-site targets and the client layer's knobs."""

    endpoint_url: str | None = None
    cos_endpoint_url: str | None = None
    regions: list[str] = field(default_factory=list)  # empty: every region DescribeRegions lists
    offsite_targets: list[OffsiteTarget] = field(default_factory=list)
    offsite_secrets: Secrets | None = None  # None: each target's env vars, else the standard AWS chain
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    rate_limits: bool = True
    rate_share: float = 1.0
    timeout: float = READ_TIMEOUT  # per request: the wait for each next byte
    run_timeout: float | None = DEFAULT_RUN_TIMEOUT  # the whole collection (`run --timeout`); None: unbounded
    service_timeout: float | None = None  # each (account, service), from its first call
    call_budget: float = CALL_BUDGET  # one call, every attempt and pause included
    workers_per_lane: int = 16
    progress: bool = False
    source: Literal["live", "demo"] = "live"

    def budget(self) -> RunBudget:
        """A fresh clock for one collection under these limits."""
        return RunBudget(run_seconds=self.run_timeout, service_seconds=self.service_timeout,
                         call_seconds=self.call_budget)


def run_timeout(options: RunOptions) -> float | None:
    """The whole collection's time: `--timeout`, else the default."""
    return options.timeout if options.timeout is not None else DEFAULT_RUN_TIMEOUT


def pack_offsite_targets(options: RunOptions) -> list[OffsiteTarget]:
    """The off-site targets in the scope of the pack this run uses."""
    from ..packs import load_scope

    return list(load_scope(options.pack).offsite_targets)
